/*
 * bert.h — the BERT encoder architecture (bert.c), registered as "bert".
 */
#ifndef RUSTGPT_BERT_H
#define RUSTGPT_BERT_H

#include "rustgpt/plugin.h"

extern const rg_arch_vtable bert_arch_vtable;

#endif
