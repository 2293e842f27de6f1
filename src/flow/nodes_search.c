/*
 * nodes_search.c — `search`: the k documents that best answer a query.
 *
 *   {"type": "search", "query": "{{question}}", "documents": "docs",
 *    "k": 2, "to": "hits"}                        keyword ranking (default)
 *   {"type": "search", "query": "{{question}}", "documents": "docs",
 *    "method": "embed", "model": "models/e.bin", "to": "hits"}
 *
 * The documents are a store value: a list of texts, or of {"name", "text"}
 * objects as read_file gives for a directory. Hits are a list of
 * {"name", "text", "score", "rank"}, best first; ties keep document order.
 * The node's action is "none" when nothing matched, else "default".
 *
 * "keyword" ranks by BM25, the classic formula of text retrieval: for each
 * query word w (lower-cased letters and digits, common words dropped) that a
 * document d holds tf times,
 *     score(d) += idf(w) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avg|d|))
 *     idf(w)    = ln(1 + (N - n_w + 0.5) / (n_w + 0.5))
 * with k1 = 1.2, b = 0.75, N documents of which n_w hold w. It needs no
 * model, so it is exact and fast on the small models the tests train.
 * "embed" ranks by the cosine of rg_embed vectors (normalised, so a dot
 * product) from the model, embedding the documents on every run. With
 * "index" (a file of `rustgpt index`, under --dir) the documents and their
 * vectors come from that file instead: only the query is embedded, with the
 * index's model (or "model") and pooling, after a check that the model
 * embeds the index's probe text as the index says it did, and
 * index_search() scores every row. Hits from an index are named "#ID".
 *
 *   {"type": "search", "query": "{{question}}", "index": "notes.idx", "k": 3, "to": "hits"}
 */
#include "flow/flow_file.h"
#include "infer/index.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *query, *documents, *to, *method, *model, *index;
    int k;
    ModelCache *models;
    const char *dir;             /* the loader's --dir: index files are under it */
} Search;

static void search_free(void *user)
{
    Search *s = user;
    if (!s) return;
    free(s->query);
    free(s->documents);
    free(s->to);
    free(s->method);
    free(s->model);
    free(s->index);
    free(s);
}

/* ---- words --------------------------------------------------------------------- */

enum { MAX_WORD = 32 };

static int is_stopword(const char *w)
{
    static const char *const stop[] = { "a", "an", "and", "are", "as", "at", "be", "by", "do", "does", "for",
        "from", "how", "i", "in", "is", "it", "of", "on", "or", "that", "the", "this", "to", "was", "what",
        "when", "where", "which", "who", "why", "with", "you", NULL };
    for (int i = 0; stop[i]; i++)
        if (strcmp(w, stop[i]) == 0) return 1;
    return 0;
}

/* The next word of *at into word (lower case); 0 at the end of the text. */
static int next_word(const char **at, char word[MAX_WORD])
{
    const unsigned char *p = (const unsigned char *)*at;
    for (;;) {
        while (*p && !isalnum(*p)) p++;
        if (!*p) return 0;
        int n = 0;
        while (isalnum(*p)) {
            if (n < MAX_WORD - 1) word[n++] = (char)tolower(*p);
            p++;
        }
        word[n] = '\0';
        *at = (const char *)p;
        if (!is_stopword(word)) return 1;
    }
}

static int count_word(const char *text, const char *w, int *length)
{
    char word[MAX_WORD];
    int count = 0, n = 0;
    while (next_word(&text, word)) {
        n++;
        count += strcmp(word, w) == 0;
    }
    if (length) *length = n;
    return count;
}

/* ---- ranking --------------------------------------------------------------------- */

static const char *doc_text(const cJSON *doc)
{
    const cJSON *t = cJSON_IsObject(doc) ? cJSON_GetObjectItem(doc, "text") : doc;
    return cJSON_IsString(t) ? t->valuestring : NULL;
}

static void bm25(const char *query, const cJSON *docs, int n, double *scores)
{
    const double k1 = 1.2, b = 0.75;
    int *lengths = calloc((size_t)n, sizeof *lengths);
    if (!lengths) return;
    double avg = 0;
    int i = 0;
    for (const cJSON *d = docs->child; d; d = d->next, i++) {
        count_word(doc_text(d), "", &lengths[i]);
        avg += lengths[i];
    }
    avg = n ? avg / n : 1;
    if (avg <= 0) avg = 1;
    char word[MAX_WORD], seen[64][MAX_WORD];
    int n_seen = 0;
    const char *at = query;
    while (next_word(&at, word)) {
        int dup = 0;
        for (int s = 0; s < n_seen; s++) dup |= strcmp(seen[s], word) == 0;
        if (dup || n_seen == 64) continue;
        strcpy(seen[n_seen++], word);
        int holding = 0;
        for (const cJSON *d = docs->child; d; d = d->next) holding += count_word(doc_text(d), word, NULL) > 0;
        double idf = log(1 + (n - holding + 0.5) / (holding + 0.5));
        i = 0;
        for (const cJSON *d = docs->child; d; d = d->next, i++) {
            int tf = count_word(doc_text(d), word, NULL);
            if (tf) scores[i] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[i] / avg));
        }
    }
    free(lengths);
}

static rg_status embed_scores(const Search *s, const char *query, const cJSON *docs, int n, double *scores)
{
    const char **texts = xcalloc((size_t)n + 1, sizeof *texts);
    if (!texts) return RG_ERR_NOMEM;
    texts[0] = query;
    int i = 1;
    for (const cJSON *d = docs->child; d; d = d->next) texts[i++] = doc_text(d);
    float *vectors;
    int dim;
    rg_status st = flow_embed_texts(s->models, s->model, texts, n + 1, RG_POOL_DEFAULT, &vectors, &dim);
    free(texts);
    if (st != RG_OK) return st;
    for (i = 0; i < n; i++) {
        double dot = 0;
        for (int j = 0; j < dim; j++) dot += (double)vectors[j] * vectors[(size_t)(i + 1) * dim + j];
        scores[i] = dot;
    }
    free(vectors);
    return RG_OK;
}

/* prep: {"query": text, "documents": [...]}. */
static rg_status search_prep(const rg_flow_ctx *ctx, cJSON **out)
{
    const Search *s = ctx->user;
    char *query;
    if (flow_render_template(s->query, ctx->store, &query) != 0) return RG_ERR_NOT_FOUND;
    if (s->index) {
        *out = cJSON_CreateObject();
        cJSON_AddStringToObject(*out, "query", query);
        free(query);
        return RG_OK;
    }
    cJSON *docs = flow_store_lookup(ctx->store, s->documents);
    if (!docs) {
        free(query);
        return RG_ERR_NOT_FOUND;
    }
    for (const cJSON *d = cJSON_IsArray(docs) ? docs->child : NULL; d; d = d->next)
        if (!doc_text(d)) {
            cJSON_Delete(docs);
            docs = NULL;
            break;
        }
    if (!cJSON_IsArray(docs)) {
        free(query);
        cJSON_Delete(docs);
        fail("key 'documents': '%s' must be a list of texts or of {\"name\", \"text\"} objects", s->documents);
        return RG_ERR_INVALID;
    }
    *out = cJSON_CreateObject();
    cJSON_AddStringToObject(*out, "query", query);
    cJSON_AddItemToObject(*out, "documents", docs);
    free(query);
    return RG_OK;
}

/* The k best rows of an index file for query. */
static rg_status search_index(const Search *s, const char *query, cJSON **out)
{
    char *path, model[4096];
    if (flow_confine_path(s->dir, s->index, 0, &path) != 0) return RG_ERR_INVALID;
    EmbIndex *ix;
    int opened = index_open(path, 0, &ix);
    free(path);
    if (opened != 0) return RG_ERR_FORMAT;
    const char *named = index_model(ix);
    snprintf(model, sizeof model, "%.*s", (int)strcspn(named, "\t"), named);
    if (s->model[0]) snprintf(model, sizeof model, "%s", s->model);
    const char *texts[2] = { query, INDEX_PROBE_TEXT };
    float *vectors = NULL;
    int dim = 0;
    uint32_t ix_dim = index_dim(ix);
    rg_status st = flow_embed_texts(s->models, model, texts, 2, (rg_pooling)index_pooling(ix), &vectors, &dim);
    if (st == RG_OK && (uint32_t)dim != ix_dim) {
        fail("the index holds %u-wide vectors, model '%s' makes %d-wide ones", ix_dim, model, dim);
        st = RG_ERR_INVALID;
    }
    if (st == RG_OK) {
        /* Both probes are unit vectors: the same model gives a dot of 1. */
        double dot = 0;
        for (int j = 0; j < dim; j++) dot += (double)vectors[dim + j] * index_probe(ix)[j];
        if (dot < 0.99) {
            fail("the index was made with another model than '%s' (its probe text embeds differently)", model);
            st = RG_ERR_INVALID;
        }
    }
    IndexHit *hits = st == RG_OK ? xcalloc((size_t)s->k, sizeof *hits) : NULL;
    if (st == RG_OK && !hits) st = RG_ERR_NOMEM;
    if (st == RG_OK) {
        int n = index_search(index_vectors(ix), index_count(ix), ix_dim, vectors, s->k, hits);
        *out = cJSON_CreateArray();
        for (int r = 0; r < n; r++) {
            size_t len;
            const char *text = index_text(ix, hits[r].id, &len);
            char name[32], *copy = xmalloc(len + 1, 1);
            if (!copy) break;
            memcpy(copy, text, len);
            copy[len] = '\0';
            snprintf(name, sizeof name, "#%llu", (unsigned long long)hits[r].id);
            cJSON *hit = cJSON_CreateObject();
            cJSON_AddStringToObject(hit, "name", name);
            cJSON_AddStringToObject(hit, "text", copy);
            cJSON_AddNumberToObject(hit, "score", round(hits[r].score * 1e4) / 1e4);
            cJSON_AddNumberToObject(hit, "rank", r + 1);
            cJSON_AddItemToArray(*out, hit);
            free(copy);
        }
    }
    free(hits);
    free(vectors);
    index_close(ix);
    return st;
}

static rg_status search_exec(const rg_flow_ctx *ctx, const cJSON *prep, cJSON **out)
{
    const Search *s = ctx->user;
    if (s->index) return search_index(s, cJSON_GetObjectItem(prep, "query")->valuestring, out);
    const cJSON *docs = cJSON_GetObjectItem(prep, "documents");
    const char *query = cJSON_GetObjectItem(prep, "query")->valuestring;
    int n = cJSON_GetArraySize(docs);
    double *scores = xcalloc((size_t)n + 1, sizeof *scores);
    int *order = xcalloc((size_t)n + 1, sizeof *order);
    rg_status st = scores && order ? RG_OK : RG_ERR_NOMEM;
    if (st == RG_OK && strcmp(s->method, "embed") == 0) st = embed_scores(s, query, docs, n, scores);
    else if (st == RG_OK) bm25(query, docs, n, scores);
    if (st == RG_OK) {
        /* Insertion sort by score, stable: n is a folder's worth of files. */
        for (int i = 0; i < n; i++) {
            int j = i;
            while (j > 0 && scores[order[j - 1]] < scores[i]) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
        *out = cJSON_CreateArray();
        for (int r = 0; r < n && r < s->k; r++) {
            if (strcmp(s->method, "keyword") == 0 && scores[order[r]] <= 0) break;   /* shares no word */
            const cJSON *doc = cJSON_GetArrayItem(docs, order[r]);
            cJSON *hit = cJSON_CreateObject();
            const cJSON *name = cJSON_IsObject(doc) ? cJSON_GetObjectItem(doc, "name") : NULL;
            if (cJSON_IsString(name)) cJSON_AddStringToObject(hit, "name", name->valuestring);
            cJSON_AddStringToObject(hit, "text", doc_text(doc));
            cJSON_AddNumberToObject(hit, "score", round(scores[order[r]] * 1e4) / 1e4);
            cJSON_AddNumberToObject(hit, "rank", r + 1);
            cJSON_AddItemToArray(*out, hit);
        }
    }
    free(scores);
    free(order);
    return st;
}

static rg_status search_post(const rg_flow_ctx *ctx, const cJSON *prep, const cJSON *exec, char *action)
{
    const Search *s = ctx->user;
    snprintf(action, RG_FLOW_ACTION_MAX, "%s", cJSON_GetArraySize(exec) > 0 ? RG_FLOW_DEFAULT : "none");
    return rg_flow_store_set(ctx->store, s->to, exec);
}

static int build_search(const FlowLoader *loader, rg_flow_graph *graph, const char *name, const cJSON *spec,
                        rg_flow_node **out)
{
    const char *query, *documents, *to, *method, *model, *index;
    double k;
    if (spec_string(name, spec, "query", 1, &query) != 0 || spec_string(name, spec, "index", 0, &index) != 0 ||
        spec_string(name, spec, "documents", !index, &documents) != 0 ||
        spec_string(name, spec, "to", 1, &to) != 0 || spec_string(name, spec, "method", 0, &method) != 0 ||
        spec_string(name, spec, "model", 0, &model) != 0 || spec_number(name, spec, "k", 1, 1000, 3, &k) != 0)
        return -1;
    if (index && documents) return fail("node '%s': give one of the keys 'index' and 'documents'", name);
    if (index) {
        char *full, why[512];
        if (flow_confine_path(loader->dir, index, 0, &full) != 0) {
            snprintf(why, sizeof why, "%s", last_error());
            return fail("node '%s': key 'index': %s", name, why);
        }
        free(full);
        if (method && strcmp(method, "embed") != 0)
            return fail("node '%s': an index is searched by embeddings: key 'method' must be \"embed\"", name);
        method = "embed";
    }
    if (!method) method = "keyword";
    if (strcmp(method, "keyword") != 0 && strcmp(method, "embed") != 0)
        return fail("node '%s': key 'method' is '%s': it is \"keyword\" or \"embed\"", name, method);
    if (strcmp(method, "embed") == 0 && !index && !model && !loader->model)
        return fail("node '%s': method \"embed\" needs key 'model' (or --model)", name);
    Search *s = xcalloc(1, sizeof *s);
    if (!s) return -1;
    s->query = xstrdup(query);
    s->documents = xstrdup(documents ? documents : "");
    s->index = index ? xstrdup(index) : NULL;
    s->dir = loader->dir;
    s->to = xstrdup(to);
    s->method = xstrdup(method);
    s->model = xstrdup(model ? model : loader->model && !index ? loader->model : "");
    s->k = (int)k;
    s->models = loader->models;
    static const rg_flow_ops ops = { .prep = search_prep, .exec = search_exec, .post = search_post,
                                     .free_user = search_free };
    if (!s->query || !s->documents || !s->to || !s->method || !s->model ||
        rg_flow_node_new(graph, name, RG_FLOW_NODE, &ops, s, out) != RG_OK) {
        search_free(s);
        return -1;
    }
    /* "default" when there is at least one hit, "none" when nothing matched. */
    const char *actions[] = { RG_FLOW_DEFAULT, "none" };
    return rg_flow_declare_actions(*out, actions, 2) == RG_OK ? 0 : -1;
}

static const char *const search_keys[] = { "query", "documents", "index", "to", "method", "model", "k", NULL };
const FlowNodeType flow_type_search = { "search", search_keys, build_search };
