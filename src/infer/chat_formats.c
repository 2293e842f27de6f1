/*
 * chat_formats.c — recognising and writing the chat templates of published
 * models (chat_formats.h). Detection follows llama.cpp's heuristics in the
 * same order, so a template is put in the same family by both; the
 * rendering writes each family's turns exactly as llama.cpp's does, e.g.
 *
 *   ChatML   <|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n
 *   Llama 3  <|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>...
 *   Llama 2  [INST] <<SYS>>\nBe brief\n<</SYS>>\n\nHi [/INST]
 *   Gemma    <start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n
 *   Phi-3    <|user|>\nHi<|end|>\n<|assistant|>\n
 *   Mistral  [INST]Hi[/INST]  (v7: [SYSTEM_PROMPT] ... and spaces by version)
 *
 * The BOS token is not written: the tokenizer adds it as the model says.
 */
#include "infer/chat_formats.h"

#include <ctype.h>
#include <string.h>

#include "core/util.h"

static const struct { const char *name; chat_format f; } names[] = {
    { "chatml", CHAT_FORMAT_CHATML },           { "llama2", CHAT_FORMAT_LLAMA2 },
    { "llama2-sys", CHAT_FORMAT_LLAMA2_SYS },   { "llama2-sys-bos", CHAT_FORMAT_LLAMA2_SYS_BOS },
    { "llama2-sys-strip", CHAT_FORMAT_LLAMA2_SYS_STRIP },
    { "mistral-v1", CHAT_FORMAT_MISTRAL_V1 },   { "mistral-v3", CHAT_FORMAT_MISTRAL_V3 },
    { "mistral-v3-tekken", CHAT_FORMAT_MISTRAL_V3_TEKKEN },
    { "mistral-v7", CHAT_FORMAT_MISTRAL_V7 },   { "phi3", CHAT_FORMAT_PHI3 },
    { "phi4", CHAT_FORMAT_PHI4 },               { "gemma", CHAT_FORMAT_GEMMA },
    { "llama3", CHAT_FORMAT_LLAMA3 },
};

const char *chat_format_name(chat_format f)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].f == f) return names[i].name;
    return "unknown";
}

static int has(const char *tmpl, const char *s) { return strstr(tmpl, s) != NULL; }

chat_format chat_format_detect(const char *t)
{
    if (!t) return CHAT_FORMAT_UNKNOWN;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(t, names[i].name) == 0) return names[i].f;
    if (has(t, "<|im_start|>"))
        return has(t, "<|im_sep|>") ? CHAT_FORMAT_PHI4
             : has(t, "<end_of_utterance>") ? CHAT_FORMAT_UNKNOWN   /* SmolVLM: not ChatML */
             : CHAT_FORMAT_CHATML;
    if (strncmp(t, "mistral", 7) == 0 || has(t, "[INST]")) {
        if (has(t, "[SYSTEM_PROMPT]")) return CHAT_FORMAT_MISTRAL_V7;
        if (has(t, "' [INST] ' + system_message") || has(t, "[AVAILABLE_TOOLS]")) {
            if (has(t, " [INST]")) return CHAT_FORMAT_MISTRAL_V1;
            if (has(t, "\"[INST]\"")) return CHAT_FORMAT_MISTRAL_V3_TEKKEN;
            return CHAT_FORMAT_MISTRAL_V3;
        }
        if (has(t, "content.strip()")) return CHAT_FORMAT_LLAMA2_SYS_STRIP;
        if (has(t, "bos_token + '[INST]")) return CHAT_FORMAT_LLAMA2_SYS_BOS;
        if (has(t, "<<SYS>>")) return CHAT_FORMAT_LLAMA2_SYS;
        return CHAT_FORMAT_LLAMA2;
    }
    if (has(t, "<|assistant|>") && has(t, "<|end|>")) return CHAT_FORMAT_PHI3;
    /* llama.cpp tests several other families here (ChatGLM, Falcon 3,
     * Zephyr, ...) before Gemma and Llama 3; a template of theirs never
     * carries Gemma's or Llama 3's markers, so the order of these two
     * checks is all that matters. */
    if (has(t, "<start_of_turn>")) return CHAT_FORMAT_GEMMA;
    if (has(t, "<|start_header_id|>") && has(t, "<|end_header_id|>")) return CHAT_FORMAT_LLAMA3;
    return CHAT_FORMAT_UNKNOWN;
}

/* ---- writing ---------------------------------------------------------------- */

typedef struct { char *buf; size_t cap, len; } out_text;

static void put_n(out_text *o, const char *s, size_t n)
{
    if (o->len < o->cap) {
        size_t room = o->cap - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void put(out_text *o, const char *s) { put_n(o, s, strlen(s)); }

/* s without leading and trailing whitespace (llama.cpp's trim). */
static void put_trimmed(out_text *o, const char *s)
{
    size_t a = 0, b = strlen(s);
    while (a < b && isspace((unsigned char)s[a])) a++;
    while (b > a && isspace((unsigned char)s[b - 1])) b--;
    put_n(o, s + a, b - a);
}

static int is_role(const rg_message *m, const char *role) { return strcmp(m->role, role) == 0; }

static void render_llama2(out_text *o, chat_format f, const rg_message *msgs, int n)
{
    int system_block = f != CHAT_FORMAT_LLAMA2;
    int bos_inside = f == CHAT_FORMAT_LLAMA2_SYS_BOS, strip = f == CHAT_FORMAT_LLAMA2_SYS_STRIP;
    int inside_turn = 1;
    put(o, "[INST] ");
    for (int i = 0; i < n; i++) {
        const char *content = msgs[i].content;
        if (!inside_turn) {
            inside_turn = 1;
            put(o, bos_inside ? "<s>[INST] " : "[INST] ");
        }
        if (is_role(&msgs[i], "system")) {
            if (system_block) put(o, "<<SYS>>\n");
            strip ? put_trimmed(o, content) : put(o, content);
            put(o, system_block ? "\n<</SYS>>\n\n" : "\n");
        } else if (is_role(&msgs[i], "user")) {
            strip ? put_trimmed(o, content) : put(o, content);
            put(o, " [/INST]");
        } else {
            strip ? put_trimmed(o, content) : put(o, content);
            put(o, "</s>");
            inside_turn = 0;
        }
    }
}

static void render_mistral(out_text *o, chat_format f, const rg_message *msgs, int n)
{
    if (f == CHAT_FORMAT_MISTRAL_V7) {
        for (int i = 0; i < n; i++) {
            if (is_role(&msgs[i], "system")) { put(o, "[SYSTEM_PROMPT] "); put(o, msgs[i].content); put(o, "[/SYSTEM_PROMPT]"); }
            else if (is_role(&msgs[i], "user")) { put(o, "[INST] "); put(o, msgs[i].content); put(o, "[/INST]"); }
            else { put(o, " "); put(o, msgs[i].content); put(o, "</s>"); }
        }
        return;
    }
    const char *leading = f == CHAT_FORMAT_MISTRAL_V1 ? " " : "";
    const char *trailing = f == CHAT_FORMAT_MISTRAL_V3_TEKKEN ? "" : " ";
    int inside_turn = 0;
    for (int i = 0; i < n; i++) {
        if (!inside_turn) {
            put(o, leading); put(o, "[INST]"); put(o, trailing);
            inside_turn = 1;
        }
        if (is_role(&msgs[i], "system")) {
            put(o, msgs[i].content); put(o, "\n\n");
        } else if (is_role(&msgs[i], "user")) {
            put(o, msgs[i].content); put(o, leading); put(o, "[/INST]");
        } else {
            put(o, trailing);
            f == CHAT_FORMAT_MISTRAL_V3 ? put_trimmed(o, msgs[i].content) : put(o, msgs[i].content);
            put(o, "</s>");
            inside_turn = 0;
        }
    }
}

static void render_gemma(out_text *o, const rg_message *msgs, int n, int add_assistant)
{
    /* Gemma has no system turn: the system text goes in front of the
     * next user message. */
    const char *system = NULL;
    for (int i = 0; i < n; i++) {
        if (is_role(&msgs[i], "system")) { system = msgs[i].content; continue; }
        int model = is_role(&msgs[i], "assistant");
        put(o, "<start_of_turn>"); put(o, model ? "model" : msgs[i].role); put(o, "\n");
        if (system && !model) {
            put_trimmed(o, system); put(o, "\n\n");
            system = NULL;
        }
        put_trimmed(o, msgs[i].content);
        put(o, "<end_of_turn>\n");
    }
    if (add_assistant) put(o, "<start_of_turn>model\n");
}

rg_status chat_format_render(chat_format f, const rg_message *msgs, int n, int add_assistant,
                             char *buf, size_t cap, size_t *len_out)
{
    out_text o = { buf, cap, 0 };
    for (int i = 0; i < n; i++) {
        if (!msgs[i].role || !msgs[i].content) {
            fail("chat: message %d has no role or no content", i);
            return RG_ERR_INVALID;
        }
    }
    switch (f) {
    case CHAT_FORMAT_CHATML:
        for (int i = 0; i < n; i++) { put(&o, "<|im_start|>"); put(&o, msgs[i].role); put(&o, "\n"); put(&o, msgs[i].content); put(&o, "<|im_end|>\n"); }
        if (add_assistant) put(&o, "<|im_start|>assistant\n");
        break;
    case CHAT_FORMAT_PHI4:
        for (int i = 0; i < n; i++) { put(&o, "<|im_start|>"); put(&o, msgs[i].role); put(&o, "<|im_sep|>"); put(&o, msgs[i].content); put(&o, "<|im_end|>"); }
        if (add_assistant) put(&o, "<|im_start|>assistant<|im_sep|>");
        break;
    case CHAT_FORMAT_LLAMA2: case CHAT_FORMAT_LLAMA2_SYS: case CHAT_FORMAT_LLAMA2_SYS_BOS:
    case CHAT_FORMAT_LLAMA2_SYS_STRIP:
        render_llama2(&o, f, msgs, n);
        break;
    case CHAT_FORMAT_MISTRAL_V1: case CHAT_FORMAT_MISTRAL_V3: case CHAT_FORMAT_MISTRAL_V3_TEKKEN:
    case CHAT_FORMAT_MISTRAL_V7:
        render_mistral(&o, f, msgs, n);
        break;
    case CHAT_FORMAT_PHI3:
        for (int i = 0; i < n; i++) { put(&o, "<|"); put(&o, msgs[i].role); put(&o, "|>\n"); put(&o, msgs[i].content); put(&o, "<|end|>\n"); }
        if (add_assistant) put(&o, "<|assistant|>\n");
        break;
    case CHAT_FORMAT_GEMMA:
        render_gemma(&o, msgs, n, add_assistant);
        break;
    case CHAT_FORMAT_LLAMA3:
        for (int i = 0; i < n; i++) {
            put(&o, "<|start_header_id|>"); put(&o, msgs[i].role); put(&o, "<|end_header_id|>\n\n");
            put_trimmed(&o, msgs[i].content); put(&o, "<|eot_id|>");
        }
        if (add_assistant) put(&o, "<|start_header_id|>assistant<|end_header_id|>\n\n");
        break;
    default:
        fail("chat: no known chat template");
        return RG_ERR_UNSUPPORTED;
    }
    *len_out = o.len;
    if (o.len >= cap) {
        if (cap > 0) buf[cap - 1] = '\0';
        fail("chat: the conversation needs %zu bytes and its NUL; the buffer holds %zu", o.len, cap);
        return RG_ERR_TOO_SMALL;
    }
    buf[o.len] = '\0';
    return RG_OK;
}
