/*
 * text.h — text in and out of a Model, whatever its tokenizer: the word
 * tokenizer of phase one (m->vocab) or any registered one (m->tokenizer,
 * rustgpt.h's rg_tokenizer). Training, generation and the chat go through
 * these, so a model trained with a plugin tokenizer works everywhere.
 */
#ifndef RUSTGPT_TEXT_H
#define RUSTGPT_TEXT_H

#include "archs/gpt.h"

#include <stddef.h>

/* Encode the NUL-terminated text into ids[0..max_ids); returns how many ids
 * the whole text has (maybe more than max_ids), or -1 after fail() (text
 * the tokenizer cannot encode, such as invalid UTF-8 for most). */
int model_encode(const Model *m, const char *text, int *ids, int max_ids);

/* Decode ids[0..n) into buf, NUL-terminated and cut to cap bytes (as
 * snprintf); returns the length the whole text needs. Ids outside the
 * vocabulary are skipped. */
size_t model_decode(const Model *m, const int *ids, int n, char *buf, size_t cap);

/* The ids of the end-of-sequence and unknown tokens (-1 when none). */
int model_eos(const Model *m);
int model_unk(const Model *m);

/* In a chat example "User: ... Assistant: answer </s>" as ids [n], the index
 * just after the last "Assistant:", or 0 when there is none. */
int model_answer_start(const Model *m, const int *ids, int n);

/* The text of token id as the tokenizer stores it, NUL-terminated when it
 * fits buf (pieces may contain any byte); "" for an invalid id. */
const char *model_piece(const Model *m, int id, char *buf, size_t cap);

#endif
