#!/usr/bin/env python3
"""hostile_text.py OUT [--specials] — text that stresses a pre-tokenizer:
emoji with ZWJ and skin tones, combining marks, CJK, Arabic, Indic, long
digit runs in several scripts, runs of spaces, tabs and newlines, every
Unicode space, contractions in odd cases, and (with --specials) tiktoken's
special tokens, whole and broken. A fixed seed makes it the same each run."""
import random, sys

rng = random.Random(14)
parts = [
    "👨‍👩‍👧‍👦 family 👍🏽👍🏿 thumbs 🧑🏻‍💻 coder 🏳️‍🌈 flag 🇫🇷🇯🇵 flags ❤️‍🔥",
    "e\u0301 cafe\u0301 Zalgo: Z\u0336\u0327a\u0337\u0323l\u0335g\u0334o\u0338 ñ n\u0303",
    "漢字かなカタカナ한국어 中文，标点。《书》 日本語の文章です。",
    "مرحبا بالعالم، هذا نصٌّ عربيٌّ مُشَكَّل. שלום עולם",
    "हिन्दी पाठ, தமிழ், ภาษาไทย, ქართული, Ελληνικά, Русский текст",
    "1" * 1000 + " " + "1234567890" * 30 + " ٣٤٥٦٧ １２３４５ 12,345.6789e-10",
    " " * 100 + "\t" * 20 + "\n" * 30 + " \n \n\t\r\n\r\n   \n\n",
    "x\u0085y\u00a0z\u1680a\u2000b\u2028c\u2029d\u202fe\u205ff\u3000g\u180eh\ufeffi \u200bj",
    "I'm I'M you're YOU'RE he's HE'S it'S we'Ve they'LL I'd it'ſ K\u212a 's 't",
    "HTTPServer camelCaseWord ǅemal ǈj XMLHttpRequest iPhone McDonald's O'Neil",
    "a/b/c //comment */ ?!... ---- ==== ::: ;;; \"quoted\" 'single' `back`",
    "trailing spaces   \nand tabs\t\t\nend   ",
    "\r\n\r\n\r\n", "mixed \u00e9\u0301\u0302 marks", "emoji at end 🎉",
]
specials = ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
            "<|endofprompt|>", "<|endoftext", "endoftext|>", "<|<|endoftext|>|>"]
if "--specials" in sys.argv:
    parts += [f"before{s}after" for s in specials] + [" ".join(specials)]
# Random code points from mixed scripts (no surrogates, no unassigned planes).
ranges = [(0x20, 0x7e), (0xa0, 0x24f), (0x300, 0x36f), (0x370, 0x3ff), (0x400, 0x4ff),
          (0x590, 0x6ff), (0x900, 0x97f), (0xe00, 0xe7f), (0x1100, 0x11ff), (0x2000, 0x206f),
          (0x3000, 0x30ff), (0x4e00, 0x4fff), (0xac00, 0xacff), (0x1f300, 0x1f64f), (0x1f900, 0x1f9ff)]
for _ in range(200):
    lo, hi = rng.choice(ranges)
    parts.append("".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 40))))
    parts.append(rng.choice([" ", "  ", "\n", "\t", " \n", "", "\n\n", "\u3000"]))
rng.shuffle(parts[15:])
open(sys.argv[1], "w", encoding="utf-8", newline="").write("".join(parts))
