/*
 * no_entry.c — a test plugin without rustgpt_plugin_init: refused.
 */
int rustgpt_not_a_plugin(void);
int rustgpt_not_a_plugin(void) { return 0; }
