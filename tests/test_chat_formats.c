/*
 * test_chat_formats.c — chat templates recognised as llama.cpp recognises
 * them (infer/chat_formats.c), and each family's rendering of one short
 * conversation, byte for byte as llama.cpp writes it.
 */
#include "test.h"

#include <string.h>

#include "infer/chat_formats.h"

static const rg_message conv[] = {
    { "system", "Be brief." }, { "user", "Hi" }, { "assistant", " Hello! " }, { "user", "Bye" },
};

static int renders(chat_format f, const char *want)
{
    char buf[1024];
    size_t len = 0;
    if (chat_format_render(f, conv, 4, 1, buf, sizeof buf, &len) != RG_OK) return 0;
    if (strcmp(buf, want) != 0 || len != strlen(want)) {
        printf("    %s rendered:\n%s\n", chat_format_name(f), buf);
        return 0;
    }
    return 1;
}

static void test_detection_follows_llama_cpp(void)
{
    CHECK(chat_format_detect("{% for m in messages %}<|im_start|>{{ m.role }}\n") == CHAT_FORMAT_CHATML);
    CHECK(chat_format_detect("<|im_start|>{{ role }}<|im_sep|>") == CHAT_FORMAT_PHI4);
    CHECK(chat_format_detect("{{ '<|start_header_id|>' + role + '<|end_header_id|>' }}") == CHAT_FORMAT_LLAMA3);
    CHECK(chat_format_detect("{{ bos_token + '[INST] ' + content.strip() }}") == CHAT_FORMAT_LLAMA2_SYS_STRIP);
    CHECK(chat_format_detect("[INST] <<SYS>>\\n{{ system }}") == CHAT_FORMAT_LLAMA2_SYS);
    CHECK(chat_format_detect("{{ '[INST] ' + content + ' [/INST]' }}") == CHAT_FORMAT_LLAMA2);
    CHECK(chat_format_detect("[SYSTEM_PROMPT]{{ s }}[/SYSTEM_PROMPT][INST]") == CHAT_FORMAT_MISTRAL_V7);
    CHECK(chat_format_detect("{{ '<start_of_turn>' + role }}") == CHAT_FORMAT_GEMMA);
    CHECK(chat_format_detect("<|user|>{{ c }}<|end|><|assistant|>") == CHAT_FORMAT_PHI3);
    CHECK(chat_format_detect("chatml") == CHAT_FORMAT_CHATML);
    CHECK(chat_format_detect("{{ messages }}") == CHAT_FORMAT_UNKNOWN);
    CHECK(chat_format_detect(NULL) == CHAT_FORMAT_UNKNOWN);
}

static void test_each_family_renders_as_llama_cpp(void)
{
    CHECK(renders(CHAT_FORMAT_CHATML,
                  "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                  "<|im_start|>assistant\n Hello! <|im_end|>\n<|im_start|>user\nBye<|im_end|>\n"
                  "<|im_start|>assistant\n"));
    CHECK(renders(CHAT_FORMAT_LLAMA3,
                  "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                  "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                  "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                  "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
                  "<|start_header_id|>assistant<|end_header_id|>\n\n"));
    CHECK(renders(CHAT_FORMAT_LLAMA2_SYS,
                  "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s>[INST] Bye [/INST]"));
    CHECK(renders(CHAT_FORMAT_GEMMA,
                  "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
                  "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n"));
    CHECK(renders(CHAT_FORMAT_PHI3,
                  "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n Hello! <|end|>\n"
                  "<|user|>\nBye<|end|>\n<|assistant|>\n"));
    CHECK(renders(CHAT_FORMAT_MISTRAL_V7,
                  "[SYSTEM_PROMPT] Be brief.[/SYSTEM_PROMPT][INST] Hi[/INST]  Hello! </s>[INST] Bye[/INST]"));
}

static void test_small_buffer_reports_the_size(void)
{
    char buf[8];
    size_t len = 0;
    CHECK(chat_format_render(CHAT_FORMAT_CHATML, conv, 2, 0, buf, sizeof buf, &len) == RG_ERR_TOO_SMALL);
    CHECK(len == strlen("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"));
    CHECK(buf[sizeof buf - 1] == '\0');
}

int main(void)
{
    RUN(test_detection_follows_llama_cpp);
    RUN(test_each_family_renders_as_llama_cpp);
    RUN(test_small_buffer_reports_the_size);
    TESTS_DONE();
}
