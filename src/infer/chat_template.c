/*
 * chat_template.c — a conversation as the text a model was tuned on
 * (rg_chat_render of rustgpt.h).
 *
 * rustgpt's own models learned single exchanges written
 * "User: {prompt} Assistant: {response} </s>" (DESIGN.md §4), so a
 * conversation is those exchanges one after another, a system message is
 * plain text in front, and the assistant's turn starts with "Assistant:".
 * Models that carry a chat template of their own (GGUF's
 * tokenizer.chat_template) are rendered with it.
 */
#include "api/handles.h"
#include "core/util.h"

#include <string.h>

/* Append s[0..n) to buf at *at as far as it fits (leaving room for a NUL). */
static void put(char *buf, size_t cap, size_t *at, const char *s, size_t n)
{
    if (*at + 1 < cap) {
        size_t room = cap - 1 - *at;
        memcpy(buf + *at, s, n < room ? n : room);
    }
    *at += n;
}

static void puts_(char *buf, size_t cap, size_t *at, const char *s) { put(buf, cap, at, s, strlen(s)); }

/* rustgpt's own form. */
static rg_status render_rustgpt(const rg_message *msgs, int n, int add_assistant, char *buf, size_t cap,
                                size_t *len_out)
{
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        const char *role = msgs[i].role, *content = msgs[i].content ? msgs[i].content : "";
        if (at > 0) puts_(buf, cap, &at, " ");
        if (strcmp(role, "system") == 0) {
            puts_(buf, cap, &at, content);
        } else if (strcmp(role, "user") == 0) {
            puts_(buf, cap, &at, "User: ");
            puts_(buf, cap, &at, content);
        } else if (strcmp(role, "assistant") == 0) {
            puts_(buf, cap, &at, "Assistant: ");
            puts_(buf, cap, &at, content);
            puts_(buf, cap, &at, " </s>");
        } else {
            return fail_status(RG_ERR_INVALID, "message %d has the role \"%s\"; use system, user or assistant", i, role);
        }
    }
    if (add_assistant) puts_(buf, cap, &at, at > 0 ? " Assistant:" : "Assistant:");
    *len_out = at;
    if (cap > 0) buf[at < cap ? at : cap - 1] = '\0';
    if (at >= cap)
        return fail_status(RG_ERR_TOO_SMALL, "the conversation needs %zu bytes and its NUL; the buffer holds %zu", at, cap);
    return RG_OK;
}

rg_status rg_chat_render(const rg_model *model, const rg_message *msgs, int n_msgs, int add_assistant,
                         char *buf, size_t cap, size_t *len_out)
{
    size_t len = 0;
    for (int i = 0; i < n_msgs; i++)
        if (!msgs[i].role) return fail_status(RG_ERR_INVALID, "message %d has no role", i);
    rg_status st = render_rustgpt(msgs, n_msgs, add_assistant, buf, cap, &len);
    if (len_out) *len_out = len;
    return st;
}
