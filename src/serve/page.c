/*
 * page.c — the chat page GET / serves: src/serve/page.html, turned into a C
 * array by the Makefile (xxd -i) so the binary carries it and nothing is
 * read from disk or fetched from elsewhere at run time.
 */
const unsigned char serve_page_html[] = {
#include "serve_page.inc"
    , 0x00
};
const unsigned int serve_page_html_len = sizeof serve_page_html - 1;
