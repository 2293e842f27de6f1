/*
 * data_txt.c — training texts from a plain-text file (DESIGN.md §4), for
 * pretraining: documents separated by blank lines (a line of nothing but
 * spaces counts as blank), each document one text. The lines of a document
 * keep their newlines; the text is trimmed and gets " </s>" as every text
 * does (data.c).
 *
 * The file comes a line at a time from the line reader (data_lines.c), which
 * has checked each line for NUL bytes and invalid UTF-8, so memory holds the
 * document being gathered and the texts, never the file. A document longer
 * than DATA_MAX_TEXT_BYTES — a book with no blank line, say — is not an
 * error: it is cut into texts of at most that size at line ends (a line
 * longer than that comes from the reader in pieces cut at spaces). So "one
 * long document" loads, and training then cuts each text into windows of
 * the context's length (tokenized_set_build_model()). A message names the
 * line the document begins on: "x.txt:12: ...".
 */
#include "train/data_internal.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* The document being gathered. */
typedef struct {
    char *text;
    size_t len, cap;
    Place at;              /* the line it begins on */
    size_t n_texts;        /* documents (or parts of one) added so far */
} Document;

/* Add the document gathered so far to ds (if it holds anything) and start
 * an empty one. */
static int flush(Dataset *ds, Document *doc)
{
    if (doc->len == 0) return 0;
    size_t len = doc->len;
    doc->len = 0;
    doc->n_texts++;
    return data_add_text(ds, &doc->at, doc->text, len);
}

/* Append a piece of a line (and the newline after it, when it ends its
 * line) to the document, which first goes to ds when the piece would take
 * it past DATA_MAX_TEXT_BYTES. */
static int append(Dataset *ds, Document *doc, const Place *at, const char *piece, size_t len,
                  int line_ends)
{
    size_t add = len + (line_ends ? 1 : 0);
    if (doc->len + add > DATA_MAX_TEXT_BYTES && flush(ds, doc) != 0) return -1;
    if (doc->len == 0) {
        if (is_blank(piece, len)) return 0;   /* a document starts with its first word */
        doc->at = *at;
    }
    if (doc->len + add > doc->cap) {
        size_t cap = doc->cap ? doc->cap : 4096;
        while (cap < doc->len + add) cap *= 2;
        char *bigger = realloc(doc->text, cap);
        if (!bigger) return fail("%s:%zu: out of memory for a document of %zu bytes", at->file,
                                 doc->at.line, doc->len + add);
        doc->text = bigger;
        doc->cap = cap;
    }
    memcpy(doc->text + doc->len, piece, len);
    doc->len += len;
    if (line_ends) doc->text[doc->len++] = '\n';
    return 0;
}

int data_load_txt(Dataset *ds, LineReader *r)
{
    Document doc = { 0 };
    const char *piece;
    size_t len;
    int line_ends, got, rc = 0;
    while (rc == 0 && (got = lines_next(r, &piece, &len, &line_ends)) == 1) {
        int whole_line = r->column == 0 && line_ends;
        if (whole_line && is_blank(piece, len)) rc = flush(ds, &doc);
        else rc = append(ds, &doc, &r->at, piece, len, line_ends);
    }
    if (got < 0) rc = -1;
    if (rc == 0) rc = flush(ds, &doc);
    free(doc.text);
    if (rc == 0 && doc.n_texts == 0)
        rc = data_fail_at(&(Place){ r->at.file, 0, 0 }, "file is empty");
    return rc;
}
