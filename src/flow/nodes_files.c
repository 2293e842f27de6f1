/*
 * nodes_files.c — `read_file` and `write_file`, confined to one directory.
 *
 *   {"type": "read_file",  "path": "docs",            "to": "documents"}
 *   {"type": "read_file",  "path": "notes/{{name}}",  "to": "text"}
 *   {"type": "write_file", "path": "out/answer.txt",  "from": "answer"}
 *   {"type": "write_file", "path": "log.txt",         "content": "Q: {{q}}"}
 *
 * A flow file comes from somewhere else than the person running it, so its
 * paths are never trusted: they are relative to the directory given with
 * --dir (no --dir, no file nodes), may not be absolute or contain "..",
 * and may not reach outside that directory through a symbolic link (the
 * resolved path must still be under the resolved directory). Paths with no
 * placeholder are checked when the file is loaded; the others each time
 * the node runs. Reading a directory gives the list of its regular files,
 * sorted by name, as {"name", "text"} objects (hidden files skipped); a
 * "suffix" key keeps only names ending in it. Writes are atomic.
 */
#include "flow/flow_file.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Is path (resolved) root or under it? */
static int is_under(const char *root, const char *path)
{
    size_t n = strlen(root);
    return strncmp(root, path, n) == 0 && (path[n] == '\0' || path[n] == '/' || strcmp(root, "/") == 0);
}

int flow_confine_path(const char *dir, const char *rel, int for_write, char **full)
{
    *full = NULL;
    if (!dir) return fail("file nodes need a directory to work in (--dir DIR)");
    if (!rel[0]) return fail("the path is empty");
    if (rel[0] == '/') return fail("'%s' is an absolute path; paths are relative to --dir", rel);
    for (const char *c = rel; *c;) {
        size_t n = strcspn(c, "/");
        if (n == 2 && c[0] == '.' && c[1] == '.') return fail("'%s' leaves the directory (..)", rel);
        c += n;
        while (*c == '/') c++;
    }
    size_t len = strlen(dir) + strlen(rel) + 2;
    char *path = xmalloc(len, 1);
    if (!path) return -1;
    snprintf(path, len, "%s/%s", dir, rel);
    char resolved[PATH_MAX];
    struct stat st;
    if (!for_write || lstat(path, &st) == 0) {
        /* An existing path: where it really is must be inside dir. */
        if (!realpath(path, resolved)) {
            int e = errno;
            free(path);
            return fail("cannot open '%s': %s", rel, strerror(e));
        }
        if (!is_under(dir, resolved)) {
            free(path);
            return fail("'%s' leads outside the directory (a symbolic link)", rel);
        }
        if (for_write && S_ISLNK(st.st_mode)) {
            free(path);
            return fail("'%s' is a symbolic link; write_file does not write through links", rel);
        }
    } else {
        /* A new file: its nearest existing ancestor must be inside dir. */
        char *parent = xstrdup(path);
        if (!parent) {
            free(path);
            return -1;
        }
        char *slash;
        while ((slash = strrchr(parent, '/')) && slash != parent) {
            *slash = '\0';
            if (lstat(parent, &st) == 0) break;
        }
        int ok = realpath(parent, resolved) && is_under(dir, resolved);
        free(parent);
        if (!ok) {
            free(path);
            return fail("'%s' leads outside the directory (a symbolic link)", rel);
        }
    }
    *full = path;
    return 0;
}

typedef struct {
    char *path;                  /* a template */
    char *to;                    /* read: the key to store into */
    char *from;                  /* write: the key to write, or */
    char *content;               /* write: a template */
    char *suffix;                /* read of a directory: keep names ending in it */
    const char *dir;             /* the loader's --dir (outlives the graph) */
} FileNode;

static void file_free(void *user)
{
    FileNode *f = user;
    if (!f) return;
    free(f->path);
    free(f->to);
    free(f->from);
    free(f->content);
    free(f->suffix);
    free(f);
}

/* prep (both): the confined path, rendered; write also renders its text. */
static rg_status file_prep(const rg_flow_ctx *ctx, cJSON **out)
{
    const FileNode *f = ctx->user;
    char *rel, *full;
    if (flow_render_template(f->path, ctx->store, &rel) != 0) return RG_ERR_NOT_FOUND;
    int st = flow_confine_path(f->dir, rel, f->to == NULL, &full);
    free(rel);
    if (st != 0) return RG_ERR_INVALID;
    cJSON *prep = cJSON_CreateObject();
    cJSON_AddStringToObject(prep, "path", full);
    free(full);
    if (!f->to) {
        char *text = NULL;
        if (f->content && flow_render_template(f->content, ctx->store, &text) != 0) {
            cJSON_Delete(prep);
            return RG_ERR_NOT_FOUND;
        }
        if (!text) {
            cJSON *value = flow_store_lookup(ctx->store, f->from);
            if (!value) {
                cJSON_Delete(prep);
                return RG_ERR_NOT_FOUND;
            }
            text = cJSON_IsString(value) ? xstrdup(value->valuestring) : cJSON_Print(value);
            cJSON_Delete(value);
        }
        cJSON_AddStringToObject(prep, "text", text ? text : "");
        free(text);
    }
    *out = prep;
    return RG_OK;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of a directory, sorted, as [{"name", "text"}]. */
static rg_status read_directory(const FileNode *f, const char *path, cJSON **out)
{
    DIR *d = opendir(path);
    if (!d) return rg_flow_set_error(RG_ERR_IO, "cannot list the directory");
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name), sl = f->suffix ? strlen(f->suffix) : 0;
        if (e->d_name[0] == '.' || (sl && (len < sl || strcmp(e->d_name + len - sl, f->suffix) != 0))) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) break;
            names = grown;
        }
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare_strings);
    cJSON *list = cJSON_CreateArray();
    rg_status st = RG_OK;
    for (size_t i = 0; i < n; i++) {
        char file[PATH_MAX];
        struct stat sb;
        snprintf(file, sizeof file, "%s/%s", path, names[i]);
        char resolved[PATH_MAX];
        if (st == RG_OK && stat(file, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (!realpath(file, resolved) || !is_under(f->dir, resolved)) {
                fail("'%s' leads outside the directory (a symbolic link)", names[i]);
                st = RG_ERR_INVALID;
            } else {
                size_t len;
                char *text = read_whole_file(file, &len);
                if (!text) st = RG_ERR_IO;
                cJSON *doc = cJSON_CreateObject();
                cJSON_AddStringToObject(doc, "name", names[i]);
                cJSON_AddStringToObject(doc, "text", text ? text : "");
                cJSON_AddItemToArray(list, doc);
                free(text);
            }
        }
        free(names[i]);
    }
    free(names);
    if (st != RG_OK) cJSON_Delete(list);
    else *out = list;
    return st;
}

static rg_status read_exec(const rg_flow_ctx *ctx, const cJSON *prep, cJSON **out)
{
    const char *path = cJSON_GetObjectItem(prep, "path")->valuestring;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) return read_directory(ctx->user, path, out);
    size_t len;
    char *text = read_whole_file(path, &len);
    if (!text) return RG_ERR_IO;
    *out = cJSON_CreateString(text);
    free(text);
    return *out ? RG_OK : RG_ERR_NOMEM;
}

static rg_status read_post(const rg_flow_ctx *ctx, const cJSON *prep, const cJSON *exec, char *action)
{
    return rg_flow_store_set(ctx->store, ((const FileNode *)ctx->user)->to, exec);
}

static rg_status write_exec(const rg_flow_ctx *ctx, const cJSON *prep, cJSON **out)
{
    const char *path = cJSON_GetObjectItem(prep, "path")->valuestring;
    const char *text = cJSON_GetObjectItem(prep, "text")->valuestring;
    AtomicFile w;
    if (atomic_open(&w, path) != 0) return RG_ERR_IO;
    if (fputs(text, w.fp) < 0) {
        atomic_abort(&w);
        return rg_flow_set_error(RG_ERR_IO, "write failed");
    }
    return atomic_commit(&w) == 0 ? RG_OK : RG_ERR_IO;
}

static int build_file_node(const FlowLoader *loader, rg_flow_graph *g, const char *name, const cJSON *spec,
                           int writing, rg_flow_node **out)
{
    const char *path, *to = NULL, *from = NULL, *content = NULL, *suffix = NULL;
    if (spec_string(name, spec, "path", 1, &path) != 0) return -1;
    if (!writing && (spec_string(name, spec, "to", 1, &to) != 0 || spec_string(name, spec, "suffix", 0, &suffix) != 0))
        return -1;
    if (writing && (spec_string(name, spec, "from", 0, &from) != 0 || spec_string(name, spec, "content", 0, &content) != 0))
        return -1;
    if (writing && !from == !content) return fail("node '%s': give one of the keys 'from' and 'content'", name);
    if (!loader->dir) return fail("node '%s': %s needs a directory to work in (--dir DIR)", name,
                                  writing ? "write_file" : "read_file");
    if (!flow_has_placeholder(path)) {
        /* Checked now, so that a bad path stops the file before anything
         * runs. A file to read may not exist yet (an earlier node may write
         * it): then it is checked as a new file would be. */
        char *full, probe[PATH_MAX], why[512];
        struct stat sb;
        snprintf(probe, sizeof probe, "%s/%s", loader->dir, path);
        int as_new = writing || lstat(probe, &sb) != 0;
        if (flow_confine_path(loader->dir, path, as_new, &full) != 0) {
            snprintf(why, sizeof why, "%s", last_error());
            return fail("node '%s': key 'path': %s", name, why);
        }
        free(full);
    }
    FileNode *f = xcalloc(1, sizeof *f);
    if (!f) return -1;
    f->dir = loader->dir;
    f->path = xstrdup(path);
    f->to = to ? xstrdup(to) : NULL;
    f->from = from ? xstrdup(from) : NULL;
    f->content = content ? xstrdup(content) : NULL;
    f->suffix = suffix ? xstrdup(suffix) : NULL;
    static const rg_flow_ops read_ops = { .prep = file_prep, .exec = read_exec, .post = read_post,
                                          .free_user = file_free };
    static const rg_flow_ops write_ops = { .prep = file_prep, .exec = write_exec, .free_user = file_free };
    if (rg_flow_node_new(g, name, RG_FLOW_NODE, writing ? &write_ops : &read_ops, f, out) != RG_OK) {
        file_free(f);
        return -1;
    }
    const char *actions[] = { RG_FLOW_DEFAULT };
    return rg_flow_declare_actions(*out, actions, 1) == RG_OK ? 0 : -1;
}

static int build_read_file(const FlowLoader *loader, rg_flow_graph *g, const char *name, const cJSON *spec,
                           rg_flow_node **out)
{
    return build_file_node(loader, g, name, spec, 0, out);
}

static int build_write_file(const FlowLoader *loader, rg_flow_graph *g, const char *name, const cJSON *spec,
                            rg_flow_node **out)
{
    return build_file_node(loader, g, name, spec, 1, out);
}

static const char *const read_keys[] = { "path", "to", "suffix", NULL };
static const char *const write_keys[] = { "path", "from", "content", NULL };
const FlowNodeType flow_type_read_file = { "read_file", read_keys, build_read_file };
const FlowNodeType flow_type_write_file = { "write_file", write_keys, build_write_file };
