/*
 * chat_session.c — the conversation the model sees (docs/10-decoding.md).
 *
 * The model was tuned on single exchanges, "User: {q} Assistant: {a} </s>",
 * so a conversation is simply those exchanges one after another: each turn's
 * prompt is fed after the earlier turns and the answer is generated from
 * there. The model's context is only seq_len tokens, and its positions are
 * learned absolutely, so rather than letting the Generator's window slide
 * (which would cut a turn in the middle) the session keeps whole turns and,
 * before each answer, drops the oldest until the prompt plus room for the
 * answer fits; then it resets the Generator and feeds the kept turns again.
 * If an answer still runs into the end of the context, one more old turn is
 * dropped and the answer continues. Only a single turn longer than the whole
 * context is cut. So a long conversation never fails; it forgets its start.
 *
 * Nothing here prints: chat.c streams the tokens and writes the notes.
 */
#include "cli/chat.h"
#include "tokenizers/word.h"
#include "infer/text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int chat_session_create(ChatSession *s, const Model *m, const char *model_path,
                        const SamplingOptions *opt)
{
    memset(s, 0, sizeof *s);
    s->model = m;
    s->model_path = model_path;
    s->opt = *opt;
    s->max_history = -1;
    rng_seed(&s->rng, opt->seed);
    int T = m->config.seq_len;
    s->tokens = xmalloc((size_t)T + 1, sizeof(int));
    s->turn_ends = xmalloc((size_t)T + 1, sizeof(int));
    s->answer = xmalloc((size_t)opt->max_tokens + 1, sizeof(int));
    if (!s->tokens || !s->turn_ends || !s->answer || generator_create(&s->gen, m) != 0) {
        chat_session_free(s);
        return -1;
    }
    return 0;
}

void chat_session_clear(ChatSession *s)
{
    s->n_tokens = s->n_turns = s->n_dropped = 0;
    generator_reset(&s->gen);
    s->transcript_len = 0;
    s->transcript_turns = 0;
    if (s->transcript) s->transcript[0] = '\0';
    for (int i = 0; i < s->n_unknown; i++) free(s->unknown[i]);
    s->n_unknown = 0;
}

void chat_session_free(ChatSession *s)
{
    chat_session_clear(s);
    generator_free(&s->gen);
    free(s->tokens);
    free(s->turn_ends);
    free(s->answer);
    free(s->transcript);
    free(s->unknown);
    memset(s, 0, sizeof *s);
}

int chat_session_set_options(ChatSession *s, const SamplingOptions *opt)
{
    if (opt->max_tokens != s->opt.max_tokens) {
        int *answer = xmalloc((size_t)opt->max_tokens + 1, sizeof(int));
        if (!answer) return -1;
        free(s->answer);
        s->answer = answer;
    }
    if (opt->seed != s->opt.seed) rng_seed(&s->rng, opt->seed);
    s->opt = *opt;
    return 0;
}

/* ---- unknown words ------------------------------------------------------ */

typedef struct {
    ChatSession *s;
    ChatTurn *turn;
} UnknownScan;

/* Is piece [len] an item of the ", "-separated list? */
static int listed(const char *list, const char *piece, size_t len)
{
    for (const char *p = list; *p; p += strspn(p, ", ")) {
        size_t item = strcspn(p, ",");
        if (item == len && memcmp(p, piece, len) == 0) return 1;
        p += item;
    }
    return 0;
}

/* The vocabulary's spelling of piece [len] in another case ("Japan" for
 * "japan"), or NULL: all lowercase first, then capitalised, then any other
 * mix (a scan of the vocabulary, once per unknown word). ASCII letters only. */
static const char *in_another_case(const Vocab *vocab, const char *piece, size_t len)
{
    char word[128];
    if (len >= sizeof word) return NULL;
    for (size_t i = 0; i < len; i++) word[i] = (char)tolower((unsigned char)piece[i]);
    int id = vocab_lookup(vocab, word, len);
    if (id >= TOKEN_N_SPECIAL) return vocab->words[id];
    word[0] = (char)toupper((unsigned char)word[0]);
    if ((id = vocab_lookup(vocab, word, len)) >= TOKEN_N_SPECIAL) return vocab->words[id];
    for (id = TOKEN_N_SPECIAL; id < vocab->size; id++) {
        const char *w = vocab->words[id];
        if (strlen(w) == len && strncasecmp(w, piece, len) == 0) return w;
    }
    return NULL;
}

/* Append item to the ", "-joined list [cap] once, ", ..." when full. */
static void list_add(char *list, size_t cap, const char *item, size_t len)
{
    size_t used = strlen(list);
    if (listed(list, item, len)) {
        /* already named */
    } else if (used + len + 6 < cap) {
        snprintf(list + used, cap - used, "%s%.*s", used ? ", " : "", (int)len, item);
    } else if (used + 5 < cap && strcmp(list + used - 3, "...") != 0) {
        snprintf(list + used, cap - used, ", ...");
    }
}

static void note_unknown(const char *piece, size_t len, void *ctx)
{
    UnknownScan *scan = ctx;
    ChatSession *s = scan->s;
    if (s->model->tokenizer || vocab_lookup(&s->model->vocab, piece, len) >= 0) return;
    const char *spelled = in_another_case(&s->model->vocab, piece, len);
    if (spelled) list_add(scan->turn->other_case, sizeof scan->turn->other_case, spelled, strlen(spelled));
    /* This line's list, for the note after the answer. */
    list_add(scan->turn->unknown, sizeof scan->turn->unknown, piece, len);
    /* The session's list, for /show unknown: each word once. */
    for (int i = 0; i < s->n_unknown; i++)
        if (strlen(s->unknown[i]) == len && memcmp(s->unknown[i], piece, len) == 0) return;
    char **grown = realloc(s->unknown, ((size_t)s->n_unknown + 1) * sizeof *grown);
    char *word = malloc(len + 1);
    if (grown) s->unknown = grown;
    if (!grown || !word) { free(word); return; }   /* a note lost, nothing more */
    memcpy(word, piece, len);
    word[len] = '\0';
    s->unknown[s->n_unknown++] = word;
}

/* ---- the kept turns ----------------------------------------------------- */

static void drop_oldest_turn(ChatSession *s)
{
    int first = s->turn_ends[0];
    memmove(s->tokens, s->tokens + first, (size_t)(s->n_tokens - first) * sizeof(int));
    for (int t = 1; t < s->n_turns; t++) s->turn_ends[t - 1] = s->turn_ends[t] - first;
    s->n_tokens -= first;
    s->n_turns--;
    s->n_dropped++;
}

/* Make the generator's context exactly the kept turns. When nothing was
 * dropped since the last answer it already is, and nothing is recomputed. */
static void sync_generator(ChatSession *s)
{
    Generator *g = &s->gen;
    if (g->n_context == s->n_tokens &&
        memcmp(g->context, s->tokens, (size_t)s->n_tokens * sizeof(int)) == 0)
        return;
    generator_reset(g);
    generator_feed_many(g, s->tokens, s->n_tokens);
}

/* ---- answering ---------------------------------------------------------- */

typedef struct {
    ChatSession *s;
    ChatTurn *turn;
    TokenCallback on_token;
    void *ctx;
    int user, assistant, colon;   /* the turn markers' ids (-1: not in the vocabulary) */
    int held;                     /* a "User"/"Assistant" token not yet shown, or -1 */
} Recorder;

static int pass_on(Recorder *r, int token)
{
    if (r->on_token && r->on_token(token, r->ctx)) r->turn->stopped = 1;
    return r->turn->stopped;
}

/* Keep each generated token in s->answer, then hand it to the caller. A
 * model that goes on past its answer writes the next turn's marker, "User :"
 * (or "Assistant :"): the answer ends there, marker excluded. So a "User" or
 * "Assistant" token is held back until the next one shows whether a ":"
 * follows. */
static int record_token(int token, void *ctx)
{
    Recorder *r = ctx;
    if (r->held >= 0 && token == r->colon) {
        r->turn->n_answer--;             /* drop the held marker word */
        r->turn->at_marker = 1;
        r->held = -1;
        return 1;
    }
    r->s->answer[r->turn->n_answer++] = token;
    if (token == model_eos(r->s->model)) r->turn->ended = 1;
    if (r->held >= 0) {
        int held = r->held;
        r->held = -1;
        if (pass_on(r, held)) return 1;
    }
    if ((token == r->user || token == r->assistant) && token >= 0) {
        r->held = token;
        return 0;
    }
    return pass_on(r, token);
}

/* Generate until </s>, --max-tokens or a stop, continuing past the end of
 * the context by dropping old turns. prompt [n_prompt] is the current turn's. */
static int generate_answer(ChatSession *s, const int *prompt, int n_prompt, Recorder *rec)
{
    ChatTurn *turn = rec->turn;
    int T = s->model->config.seq_len;
    const int *feed = prompt;
    int n_feed = n_prompt;
    for (;;) {
        SamplingOptions opt = s->opt;
        int room = T - s->gen.n_context - n_feed;
        int left = s->opt.max_tokens - turn->n_answer;
        opt.max_tokens = left < room ? left : room;
        int produced = opt.beams > 1
            ? beam_search(&s->gen, feed, n_feed, &opt, record_token, rec)
            : generate(&s->gen, feed, n_feed, &opt, &s->rng, record_token, rec);
        if (produced < 0) return -1;
        if (turn->ended || turn->stopped || turn->at_marker || turn->n_answer >= s->opt.max_tokens) break;
        if (s->n_turns == 0 || turn->n_answer == 0) break;       /* one turn fills it all */
        /* The context is full: forget one more old turn and go on. */
        drop_oldest_turn(s);
        turn->dropped++;
        sync_generator(s);
        generator_feed_many(&s->gen, prompt, n_prompt);
        if (turn->n_answer > 1) generator_feed_many(&s->gen, s->answer, turn->n_answer - 1);
        feed = &s->answer[turn->n_answer - 1];
        n_feed = 1;
    }
    if (rec->held >= 0) {          /* the answer ended on "User" itself */
        rec->held = -1;
        pass_on(rec, s->answer[turn->n_answer - 1]);
    }
    return 0;
}

static int transcript_append(ChatSession *s, const char *text, size_t len)
{
    if (s->transcript_len + len + 1 > s->transcript_cap) {
        size_t cap = (s->transcript_len + len + 1) * 2;
        char *grown = realloc(s->transcript, cap);
        if (!grown) return fail("out of memory for the chat transcript");
        s->transcript = grown;
        s->transcript_cap = cap;
    }
    memcpy(s->transcript + s->transcript_len, text, len);
    s->transcript_len += len;
    s->transcript[s->transcript_len] = '\0';
    return 0;
}

/* Add "User: {line}\nAssistant: {answer}\n\n" to the transcript. */
static int record_transcript(ChatSession *s, const char *line, int n_answer)
{
    int eos = model_eos(s->model);
    int n_shown = n_answer > 0 && s->answer[n_answer - 1] == eos ? n_answer - 1 : n_answer;
    size_t need = model_decode(s->model, s->answer, n_shown, NULL, 0);
    char *text = xmalloc(need + 1, 1);
    if (!text) return -1;
    model_decode(s->model, s->answer, n_shown, text, need + 1);
    int rc = transcript_append(s, "User: ", 6);
    if (rc == 0) rc = transcript_append(s, line, strlen(line));
    if (rc == 0) rc = transcript_append(s, "\nAssistant: ", 12);
    if (rc == 0) rc = transcript_append(s, text, need);
    if (rc == 0) rc = transcript_append(s, "\n\n", 2);
    if (rc == 0) s->transcript_turns++;
    free(text);
    return rc;
}

/* Keep prompt [n_prompt] + the answer as the newest turn, closed by </s>
 * (added when the answer was stopped or cut, so the next turn starts clean). */
static void keep_turn(ChatSession *s, const int *prompt, int n_prompt, ChatTurn *turn)
{
    if (!turn->ended) {
        s->answer[turn->n_answer] = model_eos(s->model);
        if (s->gen.n_context < s->model->config.seq_len) generator_feed(&s->gen, model_eos(s->model));
    }
    int n_answer = turn->n_answer + !turn->ended;
    memcpy(s->tokens + s->n_tokens, prompt, (size_t)n_prompt * sizeof(int));
    memcpy(s->tokens + s->n_tokens + n_prompt, s->answer, (size_t)n_answer * sizeof(int));
    s->n_tokens += n_prompt + n_answer;
    s->turn_ends[s->n_turns++] = s->n_tokens;
}

int chat_answer(ChatSession *s, const char *line, TokenCallback on_token, void *ctx,
                ChatTurn *turn)
{
    memset(turn, 0, sizeof *turn);
    size_t size = strlen(line) + 32;
    char *text = xmalloc(size, 1);
    if (!text) return -1;
    snprintf(text, size, "User: %s Assistant:", line);
    int n_prompt = model_encode(s->model, text, NULL, 0);
    int *ids = n_prompt >= 0 ? xmalloc((size_t)(n_prompt ? n_prompt : 1), sizeof(int)) : NULL;
    if (ids) model_encode(s->model, text, ids, n_prompt);
    free(text);
    if (!ids) return -1;
    UnknownScan scan = { s, turn };
    tokenizer_split(line, note_unknown, &scan);

    /* Room for the answer: --max-tokens, but at most half the context, so
     * that a long --max-tokens does not push every earlier turn out. */
    int T = s->model->config.seq_len;
    int room = s->opt.max_tokens < T / 2 ? s->opt.max_tokens : T / 2;
    const int *prompt = ids;
    if (n_prompt > T - room) {          /* keep the tail: it ends "Assistant :" */
        turn->prompt_cut = n_prompt - (T - room);
        prompt += turn->prompt_cut;
        n_prompt -= turn->prompt_cut;
    }
    turn->n_prompt = n_prompt;
    while (s->n_turns > 0 && (s->n_tokens + n_prompt + room > T ||
                              (s->max_history >= 0 && s->n_turns > s->max_history))) {
        drop_oldest_turn(s);
        turn->dropped++;
    }
    sync_generator(s);
    /* The turn markers, to stop at (a model with a subword tokenizer has
     * none as single tokens: it stops at its end token alone). */
    const Vocab *vocab = s->model->tokenizer ? NULL : &s->model->vocab;
    Recorder rec = { s, turn, on_token, ctx, vocab ? vocab_lookup(vocab, "User", 4) : -1,
                     vocab ? vocab_lookup(vocab, "Assistant", 9) : -1,
                     vocab ? vocab_lookup(vocab, ":", 1) : -1, -1 };
    int rc = generate_answer(s, prompt, n_prompt, &rec);
    if (rc == 0) {
        keep_turn(s, prompt, n_prompt, turn);
        rc = record_transcript(s, line, turn->n_answer);
    }
    free(ids);
    return rc;
}

int chat_save_transcript(const ChatSession *s, const char *path)
{
    AtomicFile w;
    if (atomic_open(&w, path) != 0) return -1;
    if (s->transcript_len && fwrite(s->transcript, 1, s->transcript_len, w.fp) != s->transcript_len) {
        atomic_abort(&w);
        return fail("%s: cannot write the transcript", path);
    }
    return atomic_commit(&w);
}
