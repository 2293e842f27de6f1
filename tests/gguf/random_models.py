#!/usr/bin/python3
"""random_models.py — small random-weight GGUF files of the llama, qwen2 and
gpt2 architectures, for the cross-checks against llama.cpp
(tests/cli/gguf_llamacpp.sh).

    random_models.py OUT.gguf --arch llama|qwen2|gpt2 [--kv-heads N]
                     [--type F32|F16|Q8_0|Q4_0] [--dim 256] [--layers 2]
                     [--ff 512] [--heads 4] [--tied] [--seed 1]

The weights are scaled so that the next-token distributions are peaked
(a greedy continuation is then well defined and survives float rounding).
llama/qwen2 files carry a SentencePiece vocabulary (tokenizer.ggml.model
"llama"): the three specials, the 256 byte pieces <0xXX>, and pieces cut
from a few English words with scores that favour longer pieces; gpt2 files
carry a byte-level BPE vocabulary (model "gpt2"): the 256 byte symbols in
GPT-2's alphabet and merges of a few words. K-quant files are made from
these with `rustgpt quantize`.
"""
import argparse

import numpy as np

from gguf_writer import bytes_to_unicode, kind_of, write_gguf

TENSOR_TYPES = ("F32", "F16", "Q4_0", "Q8_0")
WORDS = ("the quick brown fox jumps over the lazy dog hello world rust gpt "
         "llama model token piece small random weights every layer").split()


class I32(int):
    """An integer stored as int32 (token types); plain ints are uint32."""


def spm_vocab(rng, vocab=0):
    tokens, scores, types = ["<unk>", "<s>", "</s>"], [0.0, 0.0, 0.0], [2, 3, 3]
    for b in range(256):
        tokens.append("<0x%02X>" % b)
        scores.append(0.0)
        types.append(6)
    pieces = set()
    for w in WORDS:
        for text in ("\u2581" + w, w):
            for i in range(len(text)):
                for j in range(i + 1, min(len(text), i + 6) + 1):
                    pieces.add(text[i:j])
    for p in sorted(pieces):
        tokens.append(p)
        scores.append(float(-10.0 + len(p) + rng.uniform(-0.4, 0.4)))
        types.append(1)
    while len(tokens) < vocab:                  # --vocab: unused pieces up to a real size
        tokens.append("<unused%d>" % len(tokens))
        scores.append(-100.0)
        types.append(5)
    return tokens, scores, types


def bpe_vocab():
    alpha = bytes_to_unicode()
    tokens = [alpha[b] for b in range(256)]
    merges = []
    known = set(tokens)
    for w in WORDS:
        word = [alpha[b] for b in (" " + w).encode()]
        while len(word) > 1:                    # merge left to right
            a, b = word[0], word[1]
            if a + b not in known:
                merges.append(a + " " + b)
                tokens.append(a + b)
                known.add(a + b)
            word = [a + b] + word[2:]
    tokens.append("<|endoftext|>")
    return tokens, merges


def build(args):
    rng = np.random.default_rng(args.seed)
    d, ff, L, H = args.dim, args.ff, args.layers, args.heads
    kv = args.kv_heads or H
    hd = d // H
    kv_meta, tensors = [], []
    arch = args.arch
    kv_meta.append(("general.architecture", arch))
    kv_meta.append(("general.name", "random-%s" % arch))
    if arch == "gpt2":
        tokens, merges = bpe_vocab()
        kv_meta += [("tokenizer.ggml.model", "gpt2"), ("tokenizer.ggml.pre", "gpt-2"),
                    ("tokenizer.ggml.tokens", tokens), ("tokenizer.ggml.merges", merges),
                    ("tokenizer.ggml.token_type", [I32(3 if t == "<|endoftext|>" else 1) for t in tokens]),
                    ("tokenizer.ggml.bos_token_id", len(tokens) - 1),
                    ("tokenizer.ggml.eos_token_id", len(tokens) - 1)]
    else:
        tokens, scores, types = spm_vocab(rng, args.vocab)
        kv_meta += [("tokenizer.ggml.model", "llama"), ("tokenizer.ggml.tokens", tokens),
                    ("tokenizer.ggml.scores", scores), ("tokenizer.ggml.token_type", [I32(x) for x in types]),
                    ("tokenizer.ggml.bos_token_id", 1), ("tokenizer.ggml.eos_token_id", 2),
                    ("tokenizer.ggml.unknown_token_id", 0), ("tokenizer.ggml.add_bos_token", True)]
        if args.template:
            kv_meta.append(("tokenizer.chat_template", args.template))
    V = len(tokens)
    kv_meta += [(arch + ".context_length", args.ctx), (arch + ".embedding_length", d),
                (arch + ".block_count", L), (arch + ".feed_forward_length", ff),
                (arch + ".attention.head_count", H)]
    if arch == "gpt2":
        kv_meta.append((arch + ".attention.layer_norm_epsilon", 1e-5))
    else:
        kv_meta += [(arch + ".attention.head_count_kv", kv),
                    (arch + ".attention.layer_norm_rms_epsilon", 1e-5),
                    (arch + ".rope.freq_base", 10000.0)]
        if args.n_rot:
            kv_meta.append((arch + ".rope.dimension_count", args.n_rot))

    def mat(rows, cols, gain=1.0):
        return rng.standard_normal((rows, cols)).astype(np.float32) * (gain / np.sqrt(cols))

    def vec(n, around=0.0, spread=0.1):
        return (around + spread * rng.standard_normal(n)).astype(np.float32)

    t = args.type
    # a tied output reads the embeddings: keep its logits in a useful range
    emb_scale = 4.0 / np.sqrt(d) if args.tied else 1.0
    tensors.append(("token_embd.weight", emb_scale * rng.standard_normal((V, d)).astype(np.float32), t))
    if arch == "gpt2":
        tensors.append(("position_embd.weight", 0.5 * rng.standard_normal((args.ctx, d)).astype(np.float32), t))
    for l in range(L):
        p = "blk.%d." % l
        tensors.append((p + "attn_norm.weight", vec(d, 1.0), t))
        if arch == "gpt2":
            tensors.append((p + "attn_norm.bias", vec(d), t))
            tensors.append((p + "attn_qkv.weight", mat(3 * d, d, 1.5), t))
            tensors.append((p + "attn_qkv.bias", vec(3 * d), t))
            tensors.append((p + "attn_output.weight", mat(d, d), t))
            tensors.append((p + "attn_output.bias", vec(d), t))
        else:
            tensors.append((p + "attn_q.weight", mat(H * hd, d, 1.5), t))
            tensors.append((p + "attn_k.weight", mat(kv * hd, d, 1.5), t))
            tensors.append((p + "attn_v.weight", mat(kv * hd, d), t))
            if arch == "qwen2":
                tensors.append((p + "attn_q.bias", vec(H * hd), t))
                tensors.append((p + "attn_k.bias", vec(kv * hd), t))
                tensors.append((p + "attn_v.bias", vec(kv * hd), t))
            tensors.append((p + "attn_output.weight", mat(d, H * hd), t))
        tensors.append((p + "ffn_norm.weight", vec(d, 1.0), t))
        if arch == "gpt2":
            tensors.append((p + "ffn_norm.bias", vec(d), t))
            tensors.append((p + "ffn_up.weight", mat(ff, d, 2.0), t))
            tensors.append((p + "ffn_up.bias", vec(ff), t))
            tensors.append((p + "ffn_down.weight", mat(d, ff), t))
            tensors.append((p + "ffn_down.bias", vec(d), t))
        else:
            tensors.append((p + "ffn_gate.weight", mat(ff, d, 1.5), t))
            tensors.append((p + "ffn_up.weight", mat(ff, d, 1.5), t))
            tensors.append((p + "ffn_down.weight", mat(d, ff), t))
    tensors.append(("output_norm.weight", vec(d, 1.0), t))
    if arch == "gpt2":
        tensors.append(("output_norm.bias", vec(d), t))
    if not args.tied:
        tensors.append(("output.weight", mat(V, d, 4.0), t))
    return kv_meta, tensors


def write(path, kv_meta, tensors):
    """kv_meta: [(key, python value)], kinds inferred (I32 marks int32);
    tensors: [(name, array, type)], vectors always F32."""
    def kind(v):
        if isinstance(v, I32) or (isinstance(v, list) and isinstance(v[0], I32)):
            return "i32[]" if isinstance(v, list) else "i32"
        return kind_of(v)
    write_gguf(path, [(k, kind(v), v) for k, v in kv_meta],
               [(n, np.asarray(a, dtype=np.float32), "F32" if np.ndim(a) == 1 else t) for n, a, t in tensors])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--arch", default="llama", choices=["llama", "qwen2", "gpt2"])
    ap.add_argument("--type", default="F32", choices=TENSOR_TYPES)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--ff", type=int, default=512)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=0)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--n-rot", type=int, default=0)
    ap.add_argument("--vocab", type=int, default=0, help="pad the vocabulary to this size")
    ap.add_argument("--tied", action="store_true")
    ap.add_argument("--template", default="")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    kv_meta, tensors = build(args)
    write(args.out, kv_meta, tensors)


if __name__ == "__main__":
    main()
