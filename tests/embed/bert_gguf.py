#!/usr/bin/python3
"""bert_gguf.py — random-weight BERT GGUF files and a numpy BERT, for the
embedding checks (tests/cli/embed_interop.sh, `rustgpt bench embed`).

  bert_gguf.py make OUT.gguf [--layers 2 --dim 64 --heads 4 --ff 128 --ctx 128
                              --pooling 1 --seed 1 --f16 --nomic]
      A GGUF v3 file as llama.cpp's converter writes a BERT model (tensor
      names, keys, WordPiece vocabulary with U+2581 word marks), weights
      drawn from a seeded normal distribution. --nomic: a nomic-bert file
      instead (nomic-embed-text's layout: no position table, rotary
      positions with rope.freq_base 1000, q/k/v fused in attn_qkv, a SwiGLU
      FFN with ffn_gate, no biases).
  bert_gguf.py ref MODEL.gguf IDS.json POOLING
      IDS.json: a list of token-id lists. Prints one JSON list per text: the
      pooled (not normalised) embedding computed in numpy from the file's
      weights — the second implementation the C code is checked against.

The vocabulary: the specials at BERT's usual ids ([PAD] 0, [UNK] 100,
[CLS] 101, [SEP] 102, [MASK] 103), then common English words, every ASCII
letter, digit and punctuation as a word start and as a continuation, common
suffixes, and a few accented, Greek, Cyrillic and CJK characters.
"""
import json
import struct
import sys

import numpy as np

WORDS = """the of and to in is was for on that with as by at from his it an were are which this be or
has had not but first one their its new after who they have her she two been other when there all
during into school time may years more most only over city some world would where later up such used
many can state about national out known university united then made american so him team also film
under year game well part de against three between season group both new how what why cat dog sat mat
run running quick brown fox jumps lazy hello search embedding model text vector water ice sun rises east
west frozen rain snow book paper music house river mountain computer language""".split()
SUFFIXES = ["s", "ed", "ing", "ly", "er", "est", "tion", "able", "ness", "ment", "al", "ic"]
EXTRA = ["é", "è", "ü", "ñ", "ç", "α", "β", "γ", "д", "ж", "中", "文", "日", "本", "語", "ß", "ø"]
PUNCT = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
WB = "\u2581"


def vocabulary():
    tokens = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    seen = set(tokens)

    def add(t):
        if t not in seen:
            seen.add(t)
            tokens.append(t)
    for w in WORDS:
        add(WB + w)
    for c in "abcdefghijklmnopqrstuvwxyz0123456789" + "".join(EXTRA):
        add(WB + c)
        add(c)
    for p in PUNCT:
        add(WB + p)
    for s in SUFFIXES:
        add(s)
    return tokens


def write_gguf(path, kvs, tensors):
    """kvs: list of (key, type, value); tensors: list of (name, array)."""
    def s(x):
        b = x.encode()
        return struct.pack("<Q", len(b)) + b

    def value(t, v):
        if t == "str":
            return struct.pack("<I", 8) + s(v)
        if t == "u32":
            return struct.pack("<II", 4, v)
        if t == "i32":
            return struct.pack("<Ii", 5, v)
        if t == "f32":
            return struct.pack("<If", 6, v)
        if t == "bool":
            return struct.pack("<IB", 7, 1 if v else 0)
        if t == "strs":
            return struct.pack("<IIQ", 9, 8, len(v)) + b"".join(s(x) for x in v)
        if t == "i32s":
            return struct.pack("<IIQ", 9, 5, len(v)) + struct.pack(f"<{len(v)}i", *v)
        raise ValueError(t)
    out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)))
    for k, t, v in kvs:
        out += s(k) + value(t, v)
    offset, blobs = 0, []
    for name, arr in tensors:
        ggml_type = 1 if arr.dtype == np.float16 else 0
        out += s(name) + struct.pack("<I", arr.ndim) + b"".join(struct.pack("<Q", d) for d in reversed(arr.shape))
        out += struct.pack("<IQ", ggml_type, offset)
        data = arr.tobytes()
        blobs.append(data)
        offset += (len(data) + 31) // 32 * 32
    out += b"\0" * ((32 - len(out) % 32) % 32)
    for data in blobs:
        out += data + b"\0" * ((32 - len(data) % 32) % 32)
    with open(path, "wb") as f:
        f.write(out)


def make(path, layers=2, dim=64, heads=4, ff=128, ctx=128, pooling=1, seed=1, f16=False, lowercase=True,
         nomic=False):
    rng = np.random.default_rng(seed)
    tokens = vocabulary()
    V = len(tokens)

    def w(*shape, scale=None, offset=0.0):
        scale = (1.0 / np.sqrt(shape[-1])) if scale is None else scale
        a = (offset + scale * rng.standard_normal(shape)).astype(np.float32)
        return a
    tensors = [("token_embd.weight", w(V, dim, scale=0.5)), ("token_types.weight", w(2, dim, scale=0.1)),
               ("position_embd.weight", w(ctx, dim, scale=0.1)),
               ("token_embd_norm.weight", w(dim, scale=0.1, offset=1.0)), ("token_embd_norm.bias", w(dim, scale=0.1))]
    arch = "nomic-bert" if nomic else "bert"
    if nomic:
        del tensors[2]
        for i in range(layers):
            p = f"blk.{i}."
            for name, shape in [("attn_qkv", (3 * dim, dim)), ("attn_output", (dim, dim)), ("ffn_up", (ff, dim)),
                                ("ffn_gate", (ff, dim)), ("ffn_down", (dim, ff))]:
                m = w(*shape)
                tensors.append((p + name + ".weight", m.astype(np.float16) if f16 else m))
            for norm in ("attn_output_norm", "layer_output_norm"):
                tensors.append((p + norm + ".weight", w(dim, scale=0.1, offset=1.0)))
                tensors.append((p + norm + ".bias", w(dim, scale=0.1)))
    for i in range(0 if nomic else layers):
        p = f"blk.{i}."
        for name, shape in [("attn_q", (dim, dim)), ("attn_k", (dim, dim)), ("attn_v", (dim, dim)),
                            ("attn_output", (dim, dim)), ("ffn_up", (ff, dim)), ("ffn_down", (dim, ff))]:
            m = w(*shape)
            tensors.append((p + name + ".weight", m.astype(np.float16) if f16 else m))
            tensors.append((p + name + ".bias", w(shape[0], scale=0.1)))
            if name == "attn_output":
                tensors.append((p + "attn_output_norm.weight", w(dim, scale=0.1, offset=1.0)))
                tensors.append((p + "attn_output_norm.bias", w(dim, scale=0.1)))
        tensors.append((p + "layer_output_norm.weight", w(dim, scale=0.1, offset=1.0)))
        tensors.append((p + "layer_output_norm.bias", w(dim, scale=0.1)))
    kvs = [("general.architecture", "str", arch), ("general.name", "str", f"random-{arch}-{layers}x{dim}"),
           (arch + ".context_length", "u32", ctx), (arch + ".embedding_length", "u32", dim),
           (arch + ".feed_forward_length", "u32", ff), (arch + ".block_count", "u32", layers),
           (arch + ".attention.head_count", "u32", heads), (arch + ".attention.layer_norm_epsilon", "f32", 1e-12),
           (arch + ".attention.causal", "bool", False), (arch + ".pooling_type", "u32", pooling)]
    if nomic:
        kvs.append((arch + ".rope.freq_base", "f32", 1000.0))
    kvs += [
           ("tokenizer.ggml.model", "str", "bert"), ("tokenizer.ggml.tokens", "strs", tokens),
           ("tokenizer.ggml.token_type", "i32s", [3 if t.startswith("[") else 1 for t in tokens]),
           ("tokenizer.ggml.token_type_count", "u32", 2), ("tokenizer.ggml.bos_token_id", "u32", 101),
           ("tokenizer.ggml.seperator_token_id", "u32", 102), ("tokenizer.ggml.unknown_token_id", "u32", 100),
           ("tokenizer.ggml.padding_token_id", "u32", 0), ("tokenizer.ggml.mask_token_id", "u32", 103),
           ("tokenizer.ggml.normalizer.lowercase", "bool", lowercase)]
    write_gguf(path, kvs, tensors)


def read_gguf(path):
    """Keys and tensors (as float32 arrays in PyTorch [out, in] shape)."""
    b = open(path, "rb").read()
    pos = 4
    version, n_t, n_kv = struct.unpack_from("<IQQ", b, pos)
    pos += 20

    def s():
        nonlocal pos
        n, = struct.unpack_from("<Q", b, pos)
        pos += 8 + n
        return b[pos - n:pos].decode()
    sizes = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}

    def val(t):
        nonlocal pos
        if t == 8:
            return s()
        if t == 9:
            et, n = struct.unpack_from("<IQ", b, pos)
            pos += 12
            return [val(et) for _ in range(n)]
        f = "<" + sizes[t]
        v, = struct.unpack_from(f, b, pos)
        pos += struct.calcsize(f)
        return v
    kv = {}
    for _ in range(n_kv):
        k = s()
        t, = struct.unpack_from("<I", b, pos)
        pos += 4
        kv[k] = val(t)
    infos = []
    for _ in range(n_t):
        name = s()
        nd, = struct.unpack_from("<I", b, pos)
        pos += 4
        dims = struct.unpack_from(f"<{nd}Q", b, pos)
        pos += 8 * nd
        t, off = struct.unpack_from("<IQ", b, pos)
        pos += 12
        infos.append((name, dims, t, off))
    start = (pos + 31) // 32 * 32
    tensors = {}
    for name, dims, t, off in infos:
        n = int(np.prod(dims))
        dt = np.float16 if t == 1 else np.float32
        a = np.frombuffer(b, dtype=dt, count=n, offset=start + off).astype(np.float32)
        tensors[name] = a.reshape(tuple(reversed(dims)))
    return kv, tensors


def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))


def layernorm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def rope(x, base):
    """x [h, n, dh] turned by rotary positions, the neox pairing: (x_i, x_{i+dh/2})
    by the angle pos * base^(-2i/dh)."""
    h, n, dh = x.shape
    angle = np.arange(n)[:, None] * base ** (-2.0 * np.arange(dh // 2) / dh)[None, :]
    c, s = np.cos(angle), np.sin(angle)
    a, b = x[..., :dh // 2], x[..., dh // 2:]
    return np.concatenate([a * c - b * s, a * s + b * c], axis=-1)


def hidden(kv, t, ids):
    arch = kv["general.architecture"]
    nomic = arch == "nomic-bert"
    L, h = kv[arch + ".block_count"], kv[arch + ".attention.head_count"]
    eps = kv[arch + ".attention.layer_norm_epsilon"]
    ids = np.array(ids)
    n = len(ids)
    x = t["token_embd.weight"][ids] + t["token_types.weight"][0]
    if not nomic:
        x = x + t["position_embd.weight"][:n]
    x = layernorm(x.astype(np.float64), t["token_embd_norm.weight"], t["token_embd_norm.bias"], eps)
    d = x.shape[1]
    dh = d // h
    for i in range(L):
        p = f"blk.{i}."
        lin = lambda v, name: v @ t[p + name + ".weight"].T + t.get(p + name + ".bias", 0)
        if nomic:
            qkv = lin(x, "attn_qkv")
            q, k, v = (qkv[:, j * d:(j + 1) * d].reshape(n, h, dh).transpose(1, 0, 2) for j in range(3))
            q, k = rope(q, kv[arch + ".rope.freq_base"]), rope(k, kv[arch + ".rope.freq_base"])
        else:
            q, k, v = (lin(x, nm).reshape(n, h, dh).transpose(1, 0, 2) for nm in ("attn_q", "attn_k", "attn_v"))
        s = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        a = (s @ v).transpose(1, 0, 2).reshape(n, d)
        x = layernorm(x + lin(a, "attn_output"), t[p + "attn_output_norm.weight"], t[p + "attn_output_norm.bias"], eps)
        if nomic:
            g = lin(x, "ffn_gate")
            f = lin(g / (1 + np.exp(-g)) * lin(x, "ffn_up"), "ffn_down")
        else:
            f = lin(gelu(lin(x, "ffn_up")), "ffn_down")
        x = layernorm(x + f, t[p + "layer_output_norm.weight"], t[p + "layer_output_norm.bias"], eps)
    return x


def pool(hs, pooling):
    return {"mean": lambda: hs.mean(0), "cls": lambda: hs[0], "last": lambda: hs[-1], "max": lambda: hs.max(0),
            "mean-sqrt": lambda: hs.sum(0) / np.sqrt(len(hs))}[pooling]()


def main(argv):
    if len(argv) >= 2 and argv[0] == "make":
        opts = {"layers": 2, "dim": 64, "heads": 4, "ff": 128, "ctx": 128, "pooling": 1, "seed": 1}
        f16, nomic = "--f16" in argv, "--nomic" in argv
        it = iter([a for a in argv[2:] if a not in ("--f16", "--nomic")])
        for a in it:
            opts[a.lstrip("-")] = int(next(it))
        make(argv[1], f16=f16, nomic=nomic, **opts)
        return 0
    if len(argv) == 4 and argv[0] == "ref":
        kv, t = read_gguf(argv[1])
        for ids in json.load(open(argv[2])):
            print(json.dumps([float(v) for v in pool(hidden(kv, t, ids), argv[3])]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
