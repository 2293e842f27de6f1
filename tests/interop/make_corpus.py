#!/usr/bin/env python3
"""make_corpus.py OUT MEGABYTES — a large English text built from what every
Debian machine carries: the licence texts, then each package's copyright file,
changelog, NEWS and README under /usr/share/doc (only files that are valid
UTF-8, so that tiktoken, which takes JavaScript strings, sees the same text).
Files are taken in sorted order until MEGABYTES is reached, so the same
machine gives the same text. The tokenizer tests and `make bench-tokenize`
use it."""
import glob, gzip, os, sys

out, limit = sys.argv[1], int(float(sys.argv[2]) * 1e6)
paths = sorted(glob.glob('/usr/share/common-licenses/*'))
for pat in ('copyright', 'changelog*', 'NEWS*', 'README*'):
    paths += sorted(glob.glob('/usr/share/doc/*/' + pat))
total = 0
with open(out + '.tmp', 'wb') as o:
    while total < limit:
        before = total
        for p in paths:
            if total >= limit or not os.path.isfile(p):
                continue
            try:
                data = gzip.open(p).read() if p.endswith('.gz') else open(p, 'rb').read()
                data.decode('utf-8')
            except (OSError, UnicodeDecodeError, EOFError):
                continue
            data = data[:limit - total]
            while data and (data[-1] & 0xc0) == 0x80:   # never cut a character
                data = data[:-1]
            if data and data[-1] >= 0xc0:
                data = data[:-1]
            o.write(data)
            total += len(data)
        if total == before:
            break
os.replace(out + '.tmp', out)
