#!/usr/bin/python3
"""check.py — compare rustgpt's embeddings with a reference, text by text.

  check.py NAME OURS.jsonl THEIRS.jsonl [MIN_COSINE]
      OURS: `rustgpt embed --format jsonl` lines; THEIRS: llama_embed.mjs
      lines ({"vector"}) or bert_gguf.py ref lines (a list). Prints
      "PASS NAME" when every pair has cosine >= MIN_COSINE (0.9999), else
      "FAIL NAME" with the worst texts.
  check.py unit NAME OURS.jsonl
      Every vector has unit norm (to 1e-5).
"""
import json
import sys

import numpy as np


def vectors(path):
    out = []
    for line in open(path):
        v = json.loads(line)
        out.append(np.array(v["embedding"] if isinstance(v, dict) and "embedding" in v
                            else v["vector"] if isinstance(v, dict) else v, dtype=np.float64))
    return out


def main(argv):
    if argv[0] == "unit":
        norms = [np.linalg.norm(v) for v in vectors(argv[2])]
        bad = [i for i, n in enumerate(norms) if abs(n - 1) > 1e-5]
        print(("PASS " if norms and not bad else "FAIL ") + argv[1])
        for i in bad[:5]:
            print(f"    text {i}: norm {norms[i]:.7f}")
        return 0
    name, ours, theirs = argv[0], vectors(argv[1]), vectors(argv[2])
    want = float(argv[3]) if len(argv) > 3 else 0.9999
    if len(ours) != len(theirs) or not ours:
        print(f"FAIL {name}\n    {len(ours)} vectors against {len(theirs)}")
        return 0
    cos = [float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))) for a, b in zip(ours, theirs)]
    worst = sorted(range(len(cos)), key=lambda i: cos[i])
    ok = cos[worst[0]] >= want
    print(("PASS " if ok else "FAIL ") + f"{name}")
    print(f"    {len(cos)} texts, lowest cosine {cos[worst[0]]:.7f} (text {worst[0]})")
    if not ok:
        for i in worst[:5]:
            print(f"    text {i}: cosine {cos[i]:.7f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
