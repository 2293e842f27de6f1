/*
 * chat_formats.h — the chat templates of published models, recognised the
 * way llama.cpp recognises them: not by running the Jinja text of
 * tokenizer.chat_template but by looking for the markers each family uses
 * ("<|im_start|>" is ChatML, "[INST]" is Llama 2 or Mistral, ...), then
 * writing the conversation in that family's form (chat_formats.c).
 */
#ifndef RUSTGPT_CHAT_FORMATS_H
#define RUSTGPT_CHAT_FORMATS_H

#include <stddef.h>

#include "rustgpt.h"

typedef enum {
    CHAT_FORMAT_UNKNOWN = 0,
    CHAT_FORMAT_CHATML,
    CHAT_FORMAT_LLAMA2,            /* [INST] ... [/INST], no system block       */
    CHAT_FORMAT_LLAMA2_SYS,        /* with <<SYS>> ... <</SYS>>                  */
    CHAT_FORMAT_LLAMA2_SYS_BOS,    /* and <s> before each later [INST]           */
    CHAT_FORMAT_LLAMA2_SYS_STRIP,  /* and messages trimmed                       */
    CHAT_FORMAT_MISTRAL_V1,
    CHAT_FORMAT_MISTRAL_V3,
    CHAT_FORMAT_MISTRAL_V3_TEKKEN,
    CHAT_FORMAT_MISTRAL_V7,
    CHAT_FORMAT_PHI3,
    CHAT_FORMAT_PHI4,
    CHAT_FORMAT_GEMMA,
    CHAT_FORMAT_LLAMA3,
} chat_format;

/* The family of a template text (or of a family name such as "chatml",
 * "llama3", as llama.cpp also accepts); CHAT_FORMAT_UNKNOWN if none. */
chat_format chat_format_detect(const char *tmpl);
/* "chatml", "llama2", "llama3", "gemma", "phi3", "mistral-v7", ... */
const char *chat_format_name(chat_format f);

/* Write msgs[n] in format f into buf[0..cap), NUL-terminated; add_assistant
 * opens the assistant's turn. *len_out gets the length (or the length
 * needed with RG_ERR_TOO_SMALL). Roles are "system", "user", "assistant". */
rg_status chat_format_render(chat_format f, const rg_message *msgs, int n, int add_assistant,
                             char *buf, size_t cap, size_t *len_out);

#endif
