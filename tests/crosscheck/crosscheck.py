#!/usr/bin/env python3
"""crosscheck.py — an independent reading of a rustgpt model, in numpy only.

It parses a .safetensors export by hand (8-byte little-endian header length,
JSON header, raw float32 data: no safetensors package), rebuilds the model of
DESIGN.md §2 from the page rather than from the C code, tokenizes with the
vocabulary stored in __metadata__, and computes the mean next-token
cross-entropy of a data file. tests/cli/crosscheck.sh compares that with
`rustgpt eval`, so the C forward pass, the tokenizer and the exporter are
checked against a second implementation written from the spec.

    crosscheck.py loss MODEL.safetensors DATA.json [--eval-output FILE] [--rtol 1e-4]
    crosscheck.py same-tensors MODEL.safetensors MODEL.json

`loss` prints "loss X (N targets)"; with --eval-output (a file holding
rustgpt eval's output, with a line "loss X") it also compares and exits 1
when the relative difference exceeds rtol. `same-tensors` checks that the
JSON export holds bit-for-bit the tensors of the safetensors one.
"""
import json
import math
import re
import string
import struct
import sys

import numpy as np

# ---- the file ---------------------------------------------------------------

CONFIG_FIELDS = ("vocab_size", "d_model", "n_heads", "d_hidden", "n_layers", "seq_len")


def read_safetensors(path):
    """Return (config dict, vocabulary list, {name: float32 array})."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    meta = header.pop("__metadata__")
    config = {k: int(meta[k]) for k in CONFIG_FIELDS}
    vocab = json.loads(meta["vocab"])
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", (name, entry["dtype"])
        begin, end = entry["data_offsets"]
        count = int(np.prod(entry["shape"]))
        assert end - begin == 4 * count, name
        tensors[name] = np.frombuffer(data, dtype="<f4", count=count,
                                      offset=begin).reshape(entry["shape"])
    assert len(data) == sum(4 * t.size for t in tensors.values())
    return config, vocab, tensors


def read_json_model(path):
    with open(path, "r", encoding="utf-8") as f:
        doc = json.load(f)
    return {name: np.array(t["data"], dtype=np.float64).astype(np.float32).reshape(t["shape"])
            for name, t in doc["tensors"].items()}


# ---- the tokenizer (DESIGN.md §3) -------------------------------------------

WHITESPACE = b" \t\n\v\f\r"
PUNCTUATION = set(string.punctuation.encode("ascii"))   # C's ispunct in the C locale
UNK = 1


def split(text):
    """Pieces of text (bytes): whitespace separates, each ASCII punctuation
    byte is a piece, "</s>" is one piece wherever it stands."""
    pieces, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in WHITESPACE:
            i += 1
        elif text.startswith(b"</s>", i):
            pieces.append(b"</s>")
            i += 4
        elif c in PUNCTUATION:
            pieces.append(bytes([c]))
            i += 1
        else:
            j = i
            while j < n and text[j] not in WHITESPACE and text[j] not in PUNCTUATION:
                j += 1
            pieces.append(text[i:j])
            i = j
    return pieces


def encode(text, vocab):
    ids = {w.encode("utf-8"): i for i, w in enumerate(vocab)}
    return [ids.get(p, UNK) for p in split(text.encode("utf-8"))]


def read_texts(path):
    """A data file as DESIGN.md §4 reads it (JSON only): strings, {"text"}, or
    {"prompt","response"}; a text not ending in "</s>" gets one."""
    with open(path, "r", encoding="utf-8") as f:
        entries = json.load(f)
    texts = []
    for e in entries:
        if isinstance(e, str):
            t = e
        elif "text" in e:
            t = e["text"]
        else:
            t = "User: %s Assistant: %s </s>" % (e["prompt"], e["response"])
        t = t.strip()
        if not t.endswith("</s>"):
            t += " </s>"
        texts.append(t)
    return texts


# ---- the model (DESIGN.md §2), in float64 -----------------------------------

def layernorm(x, w, b, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def linear(x, W, name):
    return x @ W[name + ".weight"].T + W[name + ".bias"]


def attention(x, W, p, n_heads):
    t, d = x.shape
    dh = d // n_heads
    qkv = linear(x, W, p + "attn.qkv")           # rows of qkv.weight: Q | K | V
    q, k, v = qkv[:, :d], qkv[:, d:2 * d], qkv[:, 2 * d:]
    causal = np.triu(np.ones((t, t), dtype=bool), k=1)
    out = np.empty((t, d))
    for j in range(n_heads):
        s = slice(j * dh, (j + 1) * dh)
        scores = q[:, s] @ k[:, s].T / math.sqrt(dh)
        scores[causal] = -np.inf
        scores -= scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        out[:, s] = probs @ v[:, s]
    return linear(out, W, p + "attn.proj")


def logits_of(ids, W, config):
    t = len(ids)
    x = W["tok_emb.weight"][ids] + W["pos_emb.weight"][:t]
    for i in range(config["n_layers"]):
        p = "blocks.%d." % i
        x = x + attention(layernorm(x, W[p + "ln1.weight"], W[p + "ln1.bias"]), W, p,
                          config["n_heads"])
        h = layernorm(x, W[p + "ln2.weight"], W[p + "ln2.bias"])
        x = x + linear(np.maximum(linear(h, W, p + "ffn.fc1"), 0.0), W, p + "ffn.fc2")
    return linear(layernorm(x, W["ln_f.weight"], W["ln_f.bias"]), W, "head")


def total_loss(ids, W, config):
    """Sum of next-token cross-entropies of one example (cut to seq_len + 1
    tokens: seq_len predictions), and how many there are."""
    ids = ids[:config["seq_len"] + 1]
    inputs, targets = ids[:-1], ids[1:]
    logits = logits_of(inputs, W, config)
    logits = logits - logits.max(axis=-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    return -sum(logp[i, tgt] for i, tgt in enumerate(targets)), len(targets)


def mean_loss(model_path, data_path):
    config, vocab, tensors = read_safetensors(model_path)
    assert len(vocab) == config["vocab_size"]
    W = {name: t.astype(np.float64) for name, t in tensors.items()}
    total, count = 0.0, 0
    for text in read_texts(data_path):
        ids = encode(text, vocab)
        if len(ids) < 2:
            continue
        s, n = total_loss(ids, W, config)
        total += s
        count += n
    return total / count, count


# ---- commands ---------------------------------------------------------------

def cmd_loss(args):
    model, data = args[0], args[1]
    eval_output, rtol = None, 1e-4
    rest = args[2:]
    while rest:
        if rest[0] == "--eval-output":
            eval_output = rest[1]
        elif rest[0] == "--rtol":
            rtol = float(rest[1])
        else:
            sys.exit("unknown option " + rest[0])
        rest = rest[2:]
    loss, count = mean_loss(model, data)
    print("loss %.7f (%d targets)" % (loss, count))
    if eval_output is None:
        return 0
    with open(eval_output, "r", encoding="utf-8", errors="replace") as f:
        output = f.read()
    number = r"\s*[:=]?\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    # the line that starts with "loss", else the first "loss X" anywhere
    match = re.search(r"(?m)^\s*loss" + number, output) or re.search(r"\bloss" + number, output)
    if not match:
        print("no 'loss X' line in rustgpt eval's output")
        return 1
    theirs = float(match.group(1))
    rel = abs(theirs - loss) / max(abs(loss), 1e-12)
    print("rustgpt eval: loss %.7f; relative difference %.2e (limit %.0e)" % (theirs, rel, rtol))
    return 0 if rel <= rtol else 1


def cmd_same_tensors(args):
    _, _, st = read_safetensors(args[0])
    js = read_json_model(args[1])
    if sorted(st) != sorted(js):
        print("tensor names differ: %s" % sorted(set(st) ^ set(js)))
        return 1
    bad = [n for n in st if st[n].shape != js[n].shape or
           st[n].astype("<f4").tobytes() != js[n].astype("<f4").tobytes()]
    if bad:
        print("tensors differ: %s" % ", ".join(bad))
        return 1
    print("%d tensors identical" % len(st))
    return 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "loss":
        return cmd_loss(argv[1:])
    if len(argv) == 3 and argv[0] == "same-tensors":
        return cmd_same_tensors(argv[1:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
