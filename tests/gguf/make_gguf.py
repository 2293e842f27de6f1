#!/usr/bin/python3
"""make_gguf.py — small random-weight GGUF models for tests, no download.

usage:
  python3 tests/gguf/make_gguf.py --arch llama|gpt2|bert --out FILE.gguf [options]

options (defaults in brackets):
  --type F32|F16|BF16|Q8_0|Q4_0   type of the matrices [F32]; norms and biases
                                  stay F32. Q8_0/Q4_0 need --embd and --ff
                                  multiples of 32.
  --layers N [2]     --embd N [64]     --heads N [4]     --ff N [4*embd]
  --kv-heads N       llama: key/value heads [heads]; 1 = multi-query,
                     fewer than heads = grouped-query
  --ctx N [256]      context length (gpt2/bert: rows of position_embd)
  --vocab-merges N   gpt2/llama: merges / pieces learned beyond the
                     characters [200]; bert: words [200]
  --tokenizer gpt2|llama|bert   [llama for llama, gpt2 for gpt2, bert for bert]
  --rope-base X [10000]   --eps X [1e-5]   --seed N [0]   --name TEXT
  --scale X [1.0]    multiplies the output projection: larger = peakier
                     next-token distributions (the default gives a top
                     probability of roughly 0.1-0.5, not a flat 1/vocab)
  --pooling 1|2 [1]  bert: mean (1) or CLS (2) pooling
  --chat-template TEXT   store tokenizer.chat_template
  --add-bos 0|1      override tokenizer.ggml.add_bos_token

Tokenizers are learned from a built-in English paragraph, deterministically:
  gpt2   byte-level BPE: 256 byte tokens in GPT-2's byte-to-unicode alphabet,
         then merges ("a b" strings), then <|endoftext|> (BOS = EOS = it);
         tokenizer.ggml.pre = "gpt-2", add_bos_token false
  llama  SentencePiece: <unk> <s> </s>, 256 byte tokens <0x00>..<0xFF>, then
         pieces with U+2581 for spaces, scored by log frequency; add_bos true
  bert   WordPiece as llama.cpp's converter stores it: [PAD] [UNK] [CLS]
         [SEP] [MASK], word-initial pieces with a U+2581 prefix, "##"
         continuations without "##"; no duplicates
Tensor names and keys follow llama.cpp (/work/shared/INTEROP.md). GGUF v3,
alignment 32. Needs Python 3 and numpy (Debian: python3-numpy).
"""
import argparse
import collections
import math
import sys

import numpy as np

from gguf_writer import ALIGN, TYPE_IDS, bytes_to_unicode, write_gguf

CORPUS = (
    "The quick brown fox jumps over the lazy dog. A small model learns to "
    "read and write one token at a time. Attention lets every position look "
    "back at the ones before it, and the feed-forward layers mix what it "
    "found. Training moves the weights a little after every batch, so that "
    "the next token becomes more likely. Hello world! Hello, how are you "
    "today? I am fine, thank you. The cat sat on the mat; the dog sat on the "
    "log. Numbers like 12, 345 and 6789 appear too, with symbols: (a + b) * c "
    "= d. Quantization stores weights in blocks with a scale each, and the "
    "file keeps its keys and tensors in a simple binary layout that tools "
    "such as llama.cpp read directly. "
)

FILE_TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 7, "BF16": 32}


# ---- tokenizers ------------------------------------------------------------------


def learn_merges(words, n_merges):
    """Plain BPE over words (each a tuple of symbols): the most frequent
    adjacent pair is merged, ties broken by the pair itself."""
    counts = collections.Counter(words)
    vocab = {tuple(w): c for w, c in counts.items()}
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, c in vocab.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        new_vocab = {}
        for w, c in vocab.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new_vocab[tuple(out)] = new_vocab.get(tuple(out), 0) + c
        vocab = new_vocab
    return merges


def gpt2_tokenizer(n_merges):
    table = bytes_to_unicode()
    # pre-split as GPT-2 roughly does: a word keeps its leading space
    words, word = [], ""
    for ch in CORPUS:
        if ch.isalnum():
            word += ch
        else:
            if word:
                words.append(word)
            word = ch if ch == " " else ""
            if ch != " ":
                words.append(ch)
    words = [tuple(table[b] for b in w.encode("utf-8")) for w in words if w]
    merges = learn_merges(words, n_merges)
    tokens = [table[b] for b in range(256)]
    seen = set(tokens)
    for a, b in merges:
        if a + b not in seen:
            tokens.append(a + b)
            seen.add(a + b)
    tokens.append("<|endoftext|>")
    types = [1] * (len(tokens) - 1) + [3]
    eot = len(tokens) - 1
    kvs = [
        ("tokenizer.ggml.model", "str", "gpt2"),
        ("tokenizer.ggml.pre", "str", "gpt-2"),
        ("tokenizer.ggml.tokens", "str[]", tokens),
        ("tokenizer.ggml.token_type", "i32[]", types),
        ("tokenizer.ggml.merges", "str[]", [a + " " + b for a, b in merges]),
        ("tokenizer.ggml.bos_token_id", "u32", eot),
        ("tokenizer.ggml.eos_token_id", "u32", eot),
        ("tokenizer.ggml.add_bos_token", "bool", False),
    ]
    return kvs, len(tokens)


def llama_tokenizer(n_pieces):
    sp = "\u2581"
    text = sp + CORPUS.strip().replace(" ", sp)
    # pieces: every character, then the most frequent substrings of words
    # (a word keeps its leading U+2581), scored by log frequency
    chars = sorted(set(text))
    counts = collections.Counter()
    for w in text.split(sp):
        if not w:
            continue
        w = sp + w
        for i in range(len(w)):
            for j in range(i + 2, min(len(w), i + 8) + 1):
                counts[w[i:j]] += 1
    pieces = [p for p, _ in sorted(counts.items(), key=lambda kv: (-kv[1] * len(kv[0]), kv[0]))][:n_pieces]
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    scores = [0.0, 0.0, 0.0] + [0.0] * 256
    types = [2, 3, 3] + [6] * 256
    seen = set(tokens)
    char_counts = collections.Counter(text)
    for c in chars:
        if c not in seen:
            tokens.append(c)
            scores.append(-10.0 + math.log(char_counts[c]))
            types.append(1)
            seen.add(c)
    for p in pieces:
        if p not in seen:
            tokens.append(p)
            scores.append(math.log(counts[p] * len(p)))
            types.append(1)
            seen.add(p)
    kvs = [
        ("tokenizer.ggml.model", "str", "llama"),
        ("tokenizer.ggml.tokens", "str[]", tokens),
        ("tokenizer.ggml.scores", "f32[]", scores),
        ("tokenizer.ggml.token_type", "i32[]", types),
        ("tokenizer.ggml.unknown_token_id", "u32", 0),
        ("tokenizer.ggml.bos_token_id", "u32", 1),
        ("tokenizer.ggml.eos_token_id", "u32", 2),
        ("tokenizer.ggml.add_bos_token", "bool", True),
        ("tokenizer.ggml.add_eos_token", "bool", False),
    ]
    return kvs, len(tokens)


def bert_tokenizer(n_words):
    sp = "\u2581"
    words = []
    for raw in CORPUS.lower().split():
        w = "".join(c if c.isalnum() else " " + c + " " for c in raw).split()
        words.extend(w)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = sorted(set("".join(words)))
    tokens = specials[:]
    seen = set(tokens)

    def add(t):
        if t not in seen:
            tokens.append(t)
            seen.add(t)

    for c in chars:
        add(sp + c)     # word-initial
        add(c)          # continuation ("##c" in BERT's own files)
    freq = collections.Counter(words)
    for w, _ in sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[:n_words]:
        add(sp + w)
        if len(w) > 3:
            add(w[2:])  # a continuation piece
    kvs = [
        ("tokenizer.ggml.model", "str", "bert"),
        ("tokenizer.ggml.tokens", "str[]", tokens),
        ("tokenizer.ggml.token_type", "i32[]", [3] * len(specials) + [1] * (len(tokens) - len(specials))),
        ("tokenizer.ggml.unknown_token_id", "u32", 1),
        ("tokenizer.ggml.cls_token_id", "u32", 2),
        ("tokenizer.ggml.seperator_token_id", "u32", 3),
        ("tokenizer.ggml.padding_token_id", "u32", 0),
        ("tokenizer.ggml.mask_token_id", "u32", 4),
        ("tokenizer.ggml.add_bos_token", "bool", True),
        ("tokenizer.ggml.add_eos_token", "bool", True),
    ]
    return kvs, len(tokens)


# ---- architectures -----------------------------------------------------------------


class Weights:
    """Random tensors: matrices ~ N(0, 1/fan_in) so activations keep their
    size through the layers; norms ~ 1 + N(0, 0.1²); biases ~ N(0, 0.02²)."""

    def __init__(self, seed, mtype):
        self.rng = np.random.default_rng(seed)
        self.mtype = mtype
        self.tensors = []

    def matrix(self, name, rows, cols, std=None):
        std = std if std is not None else 1.0 / math.sqrt(cols)
        self.tensors.append((name, (self.rng.standard_normal((rows, cols)) * std).astype(np.float32), self.mtype))

    def norm(self, name, n):
        self.tensors.append((name, (1.0 + 0.1 * self.rng.standard_normal(n)).astype(np.float32), "F32"))

    def bias(self, name, n):
        self.tensors.append((name, (0.02 * self.rng.standard_normal(n)).astype(np.float32), "F32"))


def build(args):
    tok_name = args.tokenizer or {"llama": "llama", "gpt2": "gpt2", "bert": "bert"}[args.arch]
    tok_kvs, n_vocab = {"gpt2": gpt2_tokenizer, "llama": llama_tokenizer, "bert": bert_tokenizer}[tok_name](
        args.vocab_merges)
    if args.add_bos is not None:
        tok_kvs = [kv for kv in tok_kvs if kv[0] != "tokenizer.ggml.add_bos_token"]
        tok_kvs.append(("tokenizer.ggml.add_bos_token", "bool", bool(args.add_bos)))
    if args.chat_template:
        tok_kvs.append(("tokenizer.chat_template", "str", args.chat_template))
    E, L, H, ff = args.embd, args.layers, args.heads, args.ff or 4 * args.embd
    if E % H:
        sys.exit("make_gguf.py: --embd must be a multiple of --heads")
    if args.type in ("Q8_0", "Q4_0") and (E % 32 or ff % 32):
        sys.exit("make_gguf.py: %s needs --embd and --ff multiples of 32" % args.type)
    head_dim = E // H
    kv_heads = args.kv_heads or H
    a = args.arch
    w = Weights(args.seed, args.type)
    out_std = args.scale * 4.0 / math.sqrt(E)
    kvs = [
        ("general.architecture", "str", a),
        ("general.name", "str", args.name or "random-%s" % a),
        ("general.file_type", "u32", FILE_TYPES[args.type]),
        ("general.alignment", "u32", ALIGN),
        ("%s.context_length" % a, "u32", args.ctx),
        ("%s.embedding_length" % a, "u32", E),
        ("%s.block_count" % a, "u32", L),
        ("%s.feed_forward_length" % a, "u32", ff),
        ("%s.attention.head_count" % a, "u32", H),
    ]
    if a == "llama":
        kvs += [
            ("llama.attention.head_count_kv", "u32", kv_heads),
            ("llama.rope.dimension_count", "u32", head_dim),
            ("llama.rope.freq_base", "f32", args.rope_base),
            ("llama.attention.layer_norm_rms_epsilon", "f32", args.eps),
            ("llama.vocab_size", "u32", n_vocab),
        ]
        w.matrix("token_embd.weight", n_vocab, E, std=1.0)
        for i in range(L):
            p = "blk.%d." % i
            w.norm(p + "attn_norm.weight", E)
            w.matrix(p + "attn_q.weight", E, E)
            w.matrix(p + "attn_k.weight", kv_heads * head_dim, E)
            w.matrix(p + "attn_v.weight", kv_heads * head_dim, E)
            w.matrix(p + "attn_output.weight", E, E)
            w.norm(p + "ffn_norm.weight", E)
            w.matrix(p + "ffn_gate.weight", ff, E)
            w.matrix(p + "ffn_up.weight", ff, E)
            w.matrix(p + "ffn_down.weight", E, ff)
        w.norm("output_norm.weight", E)
        w.matrix("output.weight", n_vocab, E, std=out_std)
    elif a == "gpt2":
        kvs.append(("gpt2.attention.layer_norm_epsilon", "f32", args.eps))
        w.matrix("token_embd.weight", n_vocab, E, std=1.0)
        w.matrix("position_embd.weight", args.ctx, E, std=0.3)
        for i in range(L):
            p = "blk.%d." % i
            w.norm(p + "attn_norm.weight", E)
            w.bias(p + "attn_norm.bias", E)
            w.matrix(p + "attn_qkv.weight", 3 * E, E)
            w.bias(p + "attn_qkv.bias", 3 * E)
            w.matrix(p + "attn_output.weight", E, E)
            w.bias(p + "attn_output.bias", E)
            w.norm(p + "ffn_norm.weight", E)
            w.bias(p + "ffn_norm.bias", E)
            w.matrix(p + "ffn_up.weight", ff, E)
            w.bias(p + "ffn_up.bias", ff)
            w.matrix(p + "ffn_down.weight", E, ff)
            w.bias(p + "ffn_down.bias", E)
        w.norm("output_norm.weight", E)
        w.bias("output_norm.bias", E)
        w.matrix("output.weight", n_vocab, E, std=out_std)
    elif a == "bert":
        kvs += [
            ("bert.attention.layer_norm_epsilon", "f32", args.eps),
            ("bert.attention.causal", "bool", False),
            ("bert.pooling_type", "u32", args.pooling),
            ("tokenizer.ggml.token_type_count", "u32", 2),
        ]
        w.matrix("token_embd.weight", n_vocab, E, std=1.0)
        # llama.cpp adds these two to the embeddings directly: F32 only
        w.matrix("token_types.weight", 2, E, std=0.3)
        w.matrix("position_embd.weight", args.ctx, E, std=0.3)
        for i in (-2, -1):
            w.tensors[i] = (w.tensors[i][0], w.tensors[i][1], "F32")
        w.norm("token_embd_norm.weight", E)
        w.bias("token_embd_norm.bias", E)
        for i in range(L):
            p = "blk.%d." % i
            for t in ("attn_q", "attn_k", "attn_v", "attn_output"):
                w.matrix(p + t + ".weight", E, E)
                w.bias(p + t + ".bias", E)
            w.norm(p + "attn_output_norm.weight", E)
            w.bias(p + "attn_output_norm.bias", E)
            w.matrix(p + "ffn_up.weight", ff, E)
            w.bias(p + "ffn_up.bias", ff)
            w.matrix(p + "ffn_down.weight", E, ff)
            w.bias(p + "ffn_down.bias", E)
            w.norm(p + "layer_output_norm.weight", E)
            w.bias(p + "layer_output_norm.bias", E)
    # a matrix whose rows do not split into blocks stays F32
    tensors = []
    for name, array, t in w.tensors:
        if t in ("Q8_0", "Q4_0") and array.ndim == 2 and array.shape[1] % 32:
            t = "F32"
        tensors.append((name, array, t))
    return kvs + tok_kvs, tensors


def main():
    p = argparse.ArgumentParser(description="small random-weight GGUF models (see the top of this file)")
    p.add_argument("--arch", required=True, choices=["llama", "gpt2", "bert"])
    p.add_argument("--out", required=True)
    p.add_argument("--type", default="F32", choices=list(TYPE_IDS))
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--embd", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=0)
    p.add_argument("--ff", type=int, default=0)
    p.add_argument("--ctx", type=int, default=256)
    p.add_argument("--vocab-merges", type=int, default=200)
    p.add_argument("--tokenizer", choices=["gpt2", "llama", "bert"])
    p.add_argument("--rope-base", type=float, default=10000.0)
    p.add_argument("--eps", type=float, default=1e-5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--pooling", type=int, default=1, choices=[1, 2])
    p.add_argument("--name")
    p.add_argument("--chat-template")
    p.add_argument("--add-bos", type=int, choices=[0, 1])
    args = p.parse_args()
    if args.kv_heads and args.heads % args.kv_heads:
        sys.exit("make_gguf.py: --heads must be a multiple of --kv-heads")
    kvs, tensors = build(args)
    write_gguf(args.out, kvs, tensors)


if __name__ == "__main__":
    main()
