/*
 * data_fixture.h — helpers of the data-loading tests (test_data.c,
 * test_data_stream.c): load a string as a named file, compare a dataset's
 * texts, and check that a bad file is refused with a one-line message that
 * holds its place, leaving the dataset exactly as it was.
 */
#ifndef RUSTGPT_DATA_FIXTURE_H
#define RUSTGPT_DATA_FIXTURE_H

#include "train/data.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

static int load(Dataset *ds, const char *name, const char *content)
{
    return data_load_buffer(ds, name, content, strlen(content));
}

/* Does ds hold exactly these texts? */
static int holds(const Dataset *ds, const char *const *texts, size_t n)
{
    int ok = ds->count == n;
    for (size_t i = 0; ok && i < n; i++) ok = strcmp(ds->texts[i], texts[i]) == 0;
    if (!ok) {
        printf("    dataset holds %zu texts:\n", ds->count);
        for (size_t i = 0; i < ds->count && i < 10; i++) printf("      \"%.200s\"\n", ds->texts[i]);
    }
    return ok;
}

/* Loading content (len bytes) as name must fail with a message that holds
 * where and what, and must leave a dataset that already held one text
 * exactly as it was. */
static int rejects_bytes(const char *name, const char *content, size_t len,
                         const char *where, const char *what)
{
    Dataset ds = { 0 };
    dataset_add(&ds, "kept", 4);
    char **texts = ds.texts, *kept = ds.texts[0];
    size_t capacity = ds.capacity;
    int rc = data_load_buffer(&ds, name, content, len);
    int ok = rc == -1 && strstr(last_error(), where) && strstr(last_error(), what) &&
             strchr(last_error(), '\n') == NULL;
    if (!ok) printf("    rc %d, message \"%s\"\n", rc, last_error());
    int unchanged = ds.count == 1 && ds.texts == texts && ds.texts[0] == kept &&
                    ds.capacity == capacity && strcmp(kept, "kept </s>") == 0;
    if (!unchanged) printf("    the dataset changed: %zu texts\n", ds.count);
    dataset_free(&ds);
    return ok && unchanged;
}

static int rejects(const char *name, const char *content, const char *where, const char *what)
{
    return rejects_bytes(name, content, strlen(content), where, what);
}

#endif
