#!/usr/bin/python3
"""Write a small random-weight GPT-2 checkpoint directory in Hugging Face's
layout, and the logits a PyTorch implementation of GPT-2 gives for a token
sequence, so that rustgpt's loader (src/formats/hf_gpt2.c) and its gpt2
architecture can be checked against PyTorch (tests/test_hf_gpt2.c).

usage: make_hf_gpt2.py OUTDIR [--f16] [--no-prefix] [--untied]

  OUTDIR/config.json, model.safetensors, vocab.json, merges.txt
  OUTDIR/reference.json   {"ids": [...], "logits": [[V floats] per position],
                           "text": "...", "text_ids": [...]}

The vocabulary is GPT-2's 256 byte tokens (in its byte-to-unicode alphabet),
a few merges and <|endoftext|>. Weights are drawn with a fixed seed and
scaled so that the next-token distributions are far from flat. The model is
written with the "transformer." prefix and lm_head.weight (tied, as
save_pretrained writes it) unless told otherwise. Needs python3-torch.
"""
import json
import math
import struct
import sys

import torch


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


MERGES = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a"), ("e", "r"),
          ("o", "n"), ("Ġ", "s"), ("r", "e"), ("a", "t"), ("Ġ", "w"), ("o", "r"),
          ("e", "n"), ("Ġs", "t"), ("in", "g"), ("Ġ", "c"), ("a", "n"), ("Ġa", "n"),
          ("Ġan", "d"), ("e", "s")]


def bpe_encode(text, ranks, byte_map):
    """Plain byte-level BPE over space-led words (enough for the test text)."""
    ids = []
    words, word = [], ""
    for ch in text:
        if ch == " " and word:
            words.append(word)
            word = ""
        word += ch
    if word:
        words.append(word)
    for w in words:
        parts = [byte_map[b] for b in w.encode("utf-8")]
        while len(parts) > 1:
            best = min(range(len(parts) - 1), key=lambda i: ranks.get((parts[i], parts[i + 1]), 1 << 30))
            if (parts[best], parts[best + 1]) not in ranks:
                break
            parts[best:best + 2] = [parts[best] + parts[best + 1]]
        ids.extend(parts)
    return ids


def gpt2_forward(w, ids, cfg):
    """GPT-2's final hidden states (after ln_f) as Hugging Face computes
    them (Conv1D weights are [in, out]); logits are these times Woutᵀ."""
    d, n_head, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    hd = d // n_head
    T = len(ids)
    x = w["wte.weight"][ids] + w["wpe.weight"][:T]
    ln = torch.nn.functional.layer_norm
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(cfg["n_layer"]):
        p = lambda s: w["h.%d.%s" % (l, s)]
        h = ln(x, (d,), p("ln_1.weight"), p("ln_1.bias"), eps)
        qkv = h @ p("attn.c_attn.weight") + p("attn.c_attn.bias")
        q, k, v = qkv.split(d, dim=-1)
        q, k, v = (t.view(T, n_head, hd).transpose(0, 1) for t in (q, k, v))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(0, 1).reshape(T, d)
        x = x + y @ p("attn.c_proj.weight") + p("attn.c_proj.bias")
        h = ln(x, (d,), p("ln_2.weight"), p("ln_2.bias"), eps)
        h = torch.nn.functional.gelu(h @ p("mlp.c_fc.weight") + p("mlp.c_fc.bias"), approximate="tanh")
        x = x + h @ p("mlp.c_proj.weight") + p("mlp.c_proj.bias")
    return ln(x, (d,), w["ln_f.weight"], w["ln_f.bias"], eps)


def write_safetensors(path, tensors, dtype):
    header, blobs, at = {}, [], 0
    for name, t in tensors.items():
        data = t.to(dtype).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F16" if dtype == torch.float16 else "F32",
                        "shape": list(t.shape), "data_offsets": [at, at + len(data)]}
        blobs.append(data)
        at += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    out = sys.argv[1]
    f16, prefix, untied = "--f16" in sys.argv, "--no-prefix" not in sys.argv, "--untied" in sys.argv
    byte_map = bytes_to_unicode()
    tokens = [byte_map[b] for b in range(256)] + [a + b for a, b in MERGES] + ["<|endoftext|>"]
    cfg = {"model_type": "gpt2", "activation_function": "gelu_new", "n_embd": 64, "n_layer": 2,
           "n_head": 4, "n_positions": 64, "n_ctx": 64, "vocab_size": len(tokens),
           "layer_norm_epsilon": 1e-5, "n_inner": None}
    g = torch.Generator().manual_seed(1234)
    d, V, ff = cfg["n_embd"], len(tokens), 4 * cfg["n_embd"]
    r = lambda *shape, s=0.2: torch.randn(*shape, generator=g) * s
    w = {"wte.weight": r(V, d, s=0.5), "wpe.weight": r(cfg["n_positions"], d, s=0.1),
         "ln_f.weight": 1 + r(d, s=0.1), "ln_f.bias": r(d, s=0.1)}
    for l in range(cfg["n_layer"]):
        p = "h.%d." % l
        w.update({p + "ln_1.weight": 1 + r(d, s=0.1), p + "ln_1.bias": r(d, s=0.1),
                  p + "attn.c_attn.weight": r(d, 3 * d), p + "attn.c_attn.bias": r(3 * d, s=0.1),
                  p + "attn.c_proj.weight": r(d, d), p + "attn.c_proj.bias": r(d, s=0.1),
                  p + "ln_2.weight": 1 + r(d, s=0.1), p + "ln_2.bias": r(d, s=0.1),
                  p + "mlp.c_fc.weight": r(d, ff), p + "mlp.c_fc.bias": r(ff, s=0.1),
                  p + "mlp.c_proj.weight": r(ff, d, s=0.1), p + "mlp.c_proj.bias": r(d, s=0.1),
                  p + "attn.bias": torch.tril(torch.ones(1, 1, 64, 64))})   # the mask buffer
    if f16:     # the reference then computes with the rounded weights too
        w = {k: v.half().float() for k, v in w.items()}
    stored = {("transformer." if prefix else "") + k: v for k, v in w.items()}
    if untied:
        stored["lm_head.weight"] = r(V, d, s=0.5)
        if f16:
            stored["lm_head.weight"] = stored["lm_head.weight"].half().float()
    elif prefix:
        stored["lm_head.weight"] = w["wte.weight"]
    write_safetensors(out + "/model.safetensors", stored, torch.float16 if f16 else torch.float32)
    with open(out + "/config.json", "w") as f:
        json.dump(cfg, f, indent=2)
    with open(out + "/vocab.json", "w") as f:
        json.dump({t: i for i, t in enumerate(tokens)}, f, ensure_ascii=False)
    with open(out + "/merges.txt", "w") as f:
        f.write("#version: 0.2\n" + "".join("%s %s\n" % m for m in MERGES))
    ids = [40, 270, 262, 5, 17, 257, 88, 120, 276, 33, 261, 99, 0, 255]
    text = "the cat and the string sat on the tower"
    ranks = {m: i for i, m in enumerate(MERGES)}
    text_ids = [tokens.index(t) for t in bpe_encode(text, ranks, byte_map)]
    w_out = stored.get("lm_head.weight", w["wte.weight"])
    with torch.no_grad():
        logits = gpt2_forward(w, ids, cfg) @ w_out.float().T
    with open(out + "/reference.json", "w") as f:
        json.dump({"ids": ids, "logits": logits.tolist(), "text": text, "text_ids": text_ids}, f)


if __name__ == "__main__":
    main()
