/*
 * nodes_text.c — the node types that work on text and values in the store:
 * `template` (fill {{key}} placeholders) and `branch` (compare or
 * regex-match a store value and return an action), with the template
 * renderer and dotted-path lookup the other node types share.
 *
 *   {"type": "template", "template": "Q: {{question}}\nA:", "to": "prompt"}
 *   {"type": "set", "values": {"query": "{{question}}", "hits": []}, "add": {"steps": 1}}
 *   {"type": "branch", "key": "intent",
 *    "cases": [{"equals": "greet", "action": "greet"},
 *              {"match": "^(what|who|where)\\b", "action": "ask"}],
 *    "else": "other"}
 *
 * A placeholder takes a string value as it is, a list of strings as one
 * line each, anything else as compact JSON. `set` writes fixed values
 * (strings filled as templates) and adds to counters, which is how a loop
 * counts its steps.
 *
 * A branch declares every action it can return (its cases' and its else),
 * so the loader can refuse a successor wired to an action it never returns.
 * Regular expressions are POSIX extended (regex.h), compiled at load time:
 * a bad pattern is an error before anything runs.
 */
#include "flow/flow_file.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- templates ------------------------------------------------------------ */

cJSON *flow_store_lookup(rg_flow_store *store, const char *path)
{
    char key[256];
    size_t n = strcspn(path, ".");
    if (n == 0 || n >= sizeof key) {
        fail("'%s' is not a store key", path);
        return NULL;
    }
    memcpy(key, path, n);
    key[n] = '\0';
    cJSON *value;
    if (rg_flow_store_get(store, key, &value) != RG_OK) return NULL;
    const char *rest = path + n;
    cJSON *at = value;
    while (*rest == '.') {
        rest++;
        size_t m = strcspn(rest, ".");
        char field[256];
        if (m == 0 || m >= sizeof field) break;
        memcpy(field, rest, m);
        field[m] = '\0';
        rest += m;
        cJSON *next = NULL;
        if (cJSON_IsArray(at) && isdigit((unsigned char)field[0])) next = cJSON_GetArrayItem(at, atoi(field));
        else if (cJSON_IsObject(at)) next = cJSON_GetObjectItemCaseSensitive(at, field);
        if (!next) {
            fail("no '%s' in store key '%s' (looking up '%s')", field, key, path);
            cJSON_Delete(value);
            return NULL;
        }
        at = next;
    }
    if (at == value) return value;
    cJSON *copy = cJSON_Duplicate(at, 1);
    cJSON_Delete(value);
    return copy;
}

int flow_has_placeholder(const char *text)
{
    const char *open = strstr(text, "{{");
    return open && strstr(open, "}}");
}

static int is_list_of_strings(const cJSON *value)
{
    if (!cJSON_IsArray(value) || !value->child) return 0;
    for (const cJSON *v = value->child; v; v = v->next)
        if (!cJSON_IsString(v)) return 0;
    return 1;
}

/* A list of strings fills a placeholder as lines: what a prompt wants. */
static char *join_lines(const cJSON *list)
{
    size_t len = 1;
    for (const cJSON *v = list->child; v; v = v->next) len += strlen(v->valuestring) + 1;
    char *text = xmalloc(len, 1);
    if (!text) return NULL;
    text[0] = '\0';
    for (const cJSON *v = list->child; v; v = v->next) {
        strcat(text, v->valuestring);
        if (v->next) strcat(text, "\n");
    }
    return text;
}

int flow_render_template(const char *text, rg_flow_store *store, char **out)
{
    size_t cap = strlen(text) + 64, len = 0;
    char *buf = xmalloc(cap, 1);
    if (!buf) return -1;
    const char *at = text;
    for (;;) {
        const char *open = strstr(at, "{{"), *close = open ? strstr(open + 2, "}}") : NULL;
        const char *piece_end = close ? open : at + strlen(at);
        char *value_text = NULL;
        if (close) {
            char path[256];
            const char *a = open + 2, *b = close;
            while (a < b && isspace((unsigned char)*a)) a++;
            while (b > a && isspace((unsigned char)b[-1])) b--;
            snprintf(path, sizeof path, "%.*s", (int)(b - a), a);
            cJSON *value = flow_store_lookup(store, path);
            if (!value) {
                free(buf);
                return -1;
            }
            value_text = cJSON_IsString(value) ? xstrdup(value->valuestring)
                         : is_list_of_strings(value) ? join_lines(value) : cJSON_PrintUnformatted(value);
            cJSON_Delete(value);
            if (!value_text) {
                free(buf);
                return fail("out of memory filling a template");
            }
        }
        size_t piece = (size_t)(piece_end - at), extra = value_text ? strlen(value_text) : 0;
        if (len + piece + extra + 1 > cap) {
            cap = 2 * (len + piece + extra + 1);
            char *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                free(value_text);
                return fail("out of memory filling a template");
            }
            buf = grown;
        }
        memcpy(buf + len, at, piece);
        len += piece;
        if (!value_text) break;
        memcpy(buf + len, value_text, extra);
        len += extra;
        free(value_text);
        at = close + 2;
    }
    buf[len] = '\0';
    *out = buf;
    return 0;
}

/* ---- spec helpers ------------------------------------------------------------ */

int spec_string(const char *node, const cJSON *spec, const char *key, int required, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, key);
    *out = NULL;
    if (!v) return required ? fail("node '%s': missing key '%s'", node, key) : 0;
    if (!cJSON_IsString(v)) return fail("node '%s': key '%s' must be a string", node, key);
    if (required && !v->valuestring[0]) return fail("node '%s': key '%s' is empty", node, key);
    *out = v->valuestring;
    return 0;
}

int spec_number(const char *node, const cJSON *spec, const char *key, double min, double max,
                double fallback, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, key);
    *out = fallback;
    if (!v) return 0;
    if (!cJSON_IsNumber(v)) return fail("node '%s': key '%s' must be a number", node, key);
    if (!(v->valuedouble >= min && v->valuedouble <= max))
        return fail("node '%s': key '%s' is %g, outside [%g, %g]", node, key, v->valuedouble, min, max);
    *out = v->valuedouble;
    return 0;
}

int spec_bool(const char *node, const cJSON *spec, const char *key, int fallback, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, key);
    *out = fallback;
    if (!v) return 0;
    if (!cJSON_IsBool(v)) return fail("node '%s': key '%s' must be true or false", node, key);
    *out = cJSON_IsTrue(v);
    return 0;
}

/* ---- template ------------------------------------------------------------------ */

typedef struct {
    char *text;
    char *to;
} Template;

static void template_free(void *user)
{
    Template *t = user;
    if (!t) return;
    free(t->text);
    free(t->to);
    free(t);
}

static rg_status template_prep(const rg_flow_ctx *ctx, cJSON **out)
{
    const Template *t = ctx->user;
    char *text;
    if (flow_render_template(t->text, ctx->store, &text) != 0) return RG_ERR_NOT_FOUND;
    *out = cJSON_CreateString(text);
    free(text);
    return *out ? RG_OK : RG_ERR_NOMEM;
}

static rg_status template_post(const rg_flow_ctx *ctx, const cJSON *prep, const cJSON *exec, char *action)
{
    const Template *t = ctx->user;
    return rg_flow_store_set(ctx->store, t->to, prep);
}

static int build_template(const FlowLoader *loader, rg_flow_graph *g, const char *name, const cJSON *spec,
                          rg_flow_node **out)
{
    const char *text, *to;
    if (spec_string(name, spec, "template", 1, &text) != 0 || spec_string(name, spec, "to", 1, &to) != 0)
        return -1;
    Template *t = xcalloc(1, sizeof *t);
    if (!t || !(t->text = xstrdup(text)) || !(t->to = xstrdup(to))) {
        template_free(t);
        return -1;
    }
    static const rg_flow_ops ops = { .prep = template_prep, .post = template_post, .free_user = template_free };
    if (rg_flow_node_new(g, name, RG_FLOW_NODE, &ops, t, out) != RG_OK) {
        template_free(t);
        return -1;
    }
    const char *actions[] = { RG_FLOW_DEFAULT };
    return rg_flow_declare_actions(*out, actions, 1) == RG_OK ? 0 : -1;
}

static const char *const template_keys[] = { "template", "to", NULL };
const FlowNodeType flow_type_template = { "template", template_keys, build_template };

/* ---- branch ---------------------------------------------------------------------- */

typedef enum { CASE_EQUALS, CASE_MATCH, CASE_CONTAINS, CASE_LESS, CASE_GREATER, CASE_EXISTS } CaseKind;

typedef struct {
    CaseKind kind;
    cJSON *operand;              /* equals / contains / less / greater / exists */
    regex_t regex;               /* match */
    char action[RG_FLOW_ACTION_MAX];
} BranchCase;

typedef struct {
    char *key;
    BranchCase *cases;
    int n_cases;
    char otherwise[RG_FLOW_ACTION_MAX];
} Branch;

static void branch_free(void *user)
{
    Branch *b = user;
    if (!b) return;
    for (int i = 0; i < b->n_cases; i++) {
        if (b->cases[i].kind == CASE_MATCH) regfree(&b->cases[i].regex);
        cJSON_Delete(b->cases[i].operand);
    }
    free(b->cases);
    free(b->key);
    free(b);
}

/* prep: the value at key (JSON null when it is absent). */
static rg_status branch_prep(const rg_flow_ctx *ctx, cJSON **out)
{
    const Branch *b = ctx->user;
    *out = flow_store_lookup(ctx->store, b->key);
    if (!*out) *out = cJSON_CreateNull();
    return RG_OK;
}

static int case_holds(const BranchCase *c, const cJSON *value)
{
    if (c->kind == CASE_EXISTS) return cJSON_IsTrue(c->operand) == !cJSON_IsNull(value);
    if (c->kind == CASE_LESS || c->kind == CASE_GREATER) {
        double x;
        if (cJSON_IsNumber(value)) x = value->valuedouble;
        else if (cJSON_IsString(value) && value->valuestring[0]) {
            char *end;
            x = strtod(value->valuestring, &end);
            if (*end) return 0;
        } else return 0;
        return c->kind == CASE_LESS ? x < c->operand->valuedouble : x > c->operand->valuedouble;
    }
    if (c->kind == CASE_EQUALS) return cJSON_Compare(value, c->operand, 1);
    char *printed = cJSON_IsString(value) ? NULL : cJSON_PrintUnformatted(value);
    const char *text = printed ? printed : cJSON_IsString(value) ? value->valuestring : "";
    int holds = c->kind == CASE_MATCH ? regexec(&c->regex, text, 0, NULL, 0) == 0
                                      : strstr(text, c->operand->valuestring) != NULL;
    cJSON_free(printed);
    return holds;
}

static rg_status branch_post(const rg_flow_ctx *ctx, const cJSON *value, const cJSON *exec, char *action)
{
    const Branch *b = ctx->user;
    for (int i = 0; i < b->n_cases; i++)
        if (case_holds(&b->cases[i], value)) {
            snprintf(action, RG_FLOW_ACTION_MAX, "%s", b->cases[i].action);
            return RG_OK;
        }
    snprintf(action, RG_FLOW_ACTION_MAX, "%s", b->otherwise);
    return RG_OK;
}

static int parse_case(const char *name, int index, const cJSON *spec, BranchCase *c)
{
    static const char *const tests[] = { "equals", "match", "contains", "less", "greater", "exists" };
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(spec, "action");
    if (!cJSON_IsObject(spec)) return fail("node '%s': cases[%d] must be an object", name, index);
    if (!cJSON_IsString(action) || !action->valuestring[0] || strlen(action->valuestring) >= RG_FLOW_ACTION_MAX)
        return fail("node '%s': cases[%d]: key 'action' must be a short non-empty string", name, index);
    snprintf(c->action, sizeof c->action, "%s", action->valuestring);
    int found = 0;
    for (const cJSON *k = spec->child; k; k = k->next) {
        if (strcmp(k->string, "action") == 0) continue;
        int t = 0;
        while (t < 6 && strcmp(k->string, tests[t]) != 0) t++;
        if (t == 6)
            return fail("node '%s': cases[%d]: unknown key '%s' (a case has one of equals, match, contains, "
                        "less, greater, exists, and action)", name, index, k->string);
        if (found++) return fail("node '%s': cases[%d]: one test per case", name, index);
        c->kind = (CaseKind)t;
        if ((c->kind == CASE_MATCH || c->kind == CASE_CONTAINS) && !cJSON_IsString(k))
            return fail("node '%s': cases[%d]: key '%s' must be a string", name, index, k->string);
        if ((c->kind == CASE_LESS || c->kind == CASE_GREATER) && !cJSON_IsNumber(k))
            return fail("node '%s': cases[%d]: key '%s' must be a number", name, index, k->string);
        if (c->kind == CASE_EXISTS && !cJSON_IsBool(k))
            return fail("node '%s': cases[%d]: key 'exists' must be true or false", name, index);
        if (c->kind == CASE_MATCH) {
            int err = regcomp(&c->regex, k->valuestring, REG_EXTENDED | REG_NOSUB);
            if (err) {
                char why[128];
                regerror(err, &c->regex, why, sizeof why);
                c->kind = CASE_EQUALS;     /* nothing compiled to free */
                return fail("node '%s': cases[%d]: bad regular expression '%s': %s", name, index,
                            k->valuestring, why);
            }
        }
        if (!(c->operand = cJSON_Duplicate(k, 1))) return -1;
    }
    return found ? 0 : fail("node '%s': cases[%d] has no test", name, index);
}

static int build_branch(const FlowLoader *loader, rg_flow_graph *g, const char *name, const cJSON *spec,
                        rg_flow_node **out)
{
    const char *key, *otherwise;
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(spec, "cases");
    if (spec_string(name, spec, "key", 1, &key) != 0 || spec_string(name, spec, "else", 0, &otherwise) != 0)
        return -1;
    if (!cJSON_IsArray(cases) || cJSON_GetArraySize(cases) == 0)
        return fail("node '%s': key 'cases' must be a non-empty list", name);
    if (otherwise && strlen(otherwise) >= RG_FLOW_ACTION_MAX)
        return fail("node '%s': key 'else' is too long", name);
    int n = cJSON_GetArraySize(cases);
    Branch *b = xcalloc(1, sizeof *b);
    if (!b) return -1;
    b->cases = xcalloc((size_t)n, sizeof *b->cases);
    b->key = xstrdup(key);
    snprintf(b->otherwise, sizeof b->otherwise, "%s", otherwise ? otherwise : RG_FLOW_DEFAULT);
    if (!b->cases || !b->key) {
        branch_free(b);
        return -1;
    }
    for (const cJSON *c = cases->child; c; c = c->next, b->n_cases++)
        if (parse_case(name, b->n_cases, c, &b->cases[b->n_cases]) != 0) {
            b->n_cases++;
            branch_free(b);
            return -1;
        }
    static const rg_flow_ops ops = { .prep = branch_prep, .post = branch_post, .free_user = branch_free };
    if (rg_flow_node_new(g, name, RG_FLOW_NODE, &ops, b, out) != RG_OK) {
        branch_free(b);
        return -1;
    }
    const char **actions = xcalloc((size_t)n + 1, sizeof *actions);
    if (!actions) return -1;
    int n_actions = 0;
    for (int i = 0; i <= n; i++) {
        const char *a = i < n ? b->cases[i].action : b->otherwise;
        int seen = 0;
        for (int j = 0; j < n_actions; j++) seen |= strcmp(actions[j], a) == 0;
        if (!seen) actions[n_actions++] = a;
    }
    int st = rg_flow_declare_actions(*out, actions, n_actions) == RG_OK ? 0 : -1;
    free(actions);
    return st;
}

static const char *const branch_keys[] = { "key", "cases", "else", NULL };
const FlowNodeType flow_type_branch = { "branch", branch_keys, build_branch };

/* ---- set ---------------------------------------------------------------------- */

typedef struct {
    cJSON *values;               /* key -> value (strings are templates) */
    cJSON *add;                  /* key -> number                         */
} Set;

static void set_free(void *user)
{
    Set *s = user;
    if (!s) return;
    cJSON_Delete(s->values);
    cJSON_Delete(s->add);
    free(s);
}

/* prep: the values with their templates filled (reads the store). */
static rg_status set_prep(const rg_flow_ctx *ctx, cJSON **out)
{
    const Set *s = ctx->user;
    *out = s->values ? cJSON_Duplicate(s->values, 1) : cJSON_CreateObject();
    for (cJSON *v = (*out)->child; v; v = v->next) {
        char *text;
        if (!cJSON_IsString(v)) continue;
        if (flow_render_template(v->valuestring, ctx->store, &text) != 0) return RG_ERR_NOT_FOUND;
        cJSON_SetValuestring(v, text);
        free(text);
    }
    return RG_OK;
}

static rg_status set_post(const rg_flow_ctx *ctx, const cJSON *values, const cJSON *exec, char *action)
{
    const Set *s = ctx->user;
    for (const cJSON *v = values->child; v; v = v->next) {
        rg_status st = rg_flow_store_set(ctx->store, v->string, v);
        if (st != RG_OK) return st;
    }
    for (const cJSON *a = s->add ? s->add->child : NULL; a; a = a->next) {
        rg_status st = rg_flow_store_add(ctx->store, a->string, a->valuedouble, NULL);
        if (st != RG_OK) return st;
    }
    return RG_OK;
}

static int build_set(const FlowLoader *loader, rg_flow_graph *g, const char *name, const cJSON *spec,
                     rg_flow_node **out)
{
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(spec, "values");
    const cJSON *add = cJSON_GetObjectItemCaseSensitive(spec, "add");
    if (values && !cJSON_IsObject(values)) return fail("node '%s': key 'values' must be an object", name);
    if (add && !cJSON_IsObject(add)) return fail("node '%s': key 'add' must be an object of numbers", name);
    for (const cJSON *a = add ? add->child : NULL; a; a = a->next)
        if (!cJSON_IsNumber(a)) return fail("node '%s': key 'add': '%s' must be a number", name, a->string);
    if (!values && !add) return fail("node '%s': give key 'values' or 'add'", name);
    Set *s = xcalloc(1, sizeof *s);
    if (!s) return -1;
    s->values = values ? cJSON_Duplicate(values, 1) : NULL;
    s->add = add ? cJSON_Duplicate(add, 1) : NULL;
    static const rg_flow_ops ops = { .prep = set_prep, .post = set_post, .free_user = set_free };
    if (rg_flow_node_new(g, name, RG_FLOW_NODE, &ops, s, out) != RG_OK) {
        set_free(s);
        return -1;
    }
    const char *actions[] = { RG_FLOW_DEFAULT };
    return rg_flow_declare_actions(*out, actions, 1) == RG_OK ? 0 : -1;
}

static const char *const set_keys[] = { "values", "add", NULL };
const FlowNodeType flow_type_set = { "set", set_keys, build_set };
