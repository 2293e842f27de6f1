#!/usr/bin/python3
"""gguf_writer.py — the GGUF v3 writer that the test generators share
(make_gguf.py, random_models.py): metadata values, the Q8_0/Q4_0/BF16
encodings of numpy arrays, and the file layout (header, key/values, tensor
infos, data aligned to 32 bytes). Needs numpy (Debian: python3-numpy).
"""
import struct

import numpy as np

GGUF_UINT32, GGUF_INT32, GGUF_FLOAT32, GGUF_BOOL, GGUF_STRING, GGUF_ARRAY = 4, 5, 6, 7, 8, 9
TYPE_IDS = {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 8, "BF16": 30}
ALIGN = 32


def gguf_string(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


ELEMENT_TYPES = {"u32": (GGUF_UINT32, "<u4"), "i32": (GGUF_INT32, "<i4"), "f32": (GGUF_FLOAT32, "<f4"),
                 "bool": (GGUF_BOOL, "u1")}


def kind_of(value):
    """The kind of a python value: bool, int (u32), float (f32), str, or a list of one of them."""
    if isinstance(value, list):
        return kind_of(value[0]) + "[]"
    for kind, t in (("bool", bool), ("u32", int), ("f32", float), ("str", str)):
        if isinstance(value, t):
            return kind
    raise TypeError(type(value))


def encode_value(kind, value):
    """The type id and bytes of one metadata value of the given kind:
    u32, i32, f32, bool, str, or an array of one of them ("str[]", ...)."""
    if kind == "u32":
        return struct.pack("<I", GGUF_UINT32) + struct.pack("<I", value)
    if kind == "i32":
        return struct.pack("<I", GGUF_INT32) + struct.pack("<i", value)
    if kind == "f32":
        return struct.pack("<I", GGUF_FLOAT32) + struct.pack("<f", value)
    if kind == "bool":
        return struct.pack("<I", GGUF_BOOL) + struct.pack("<B", 1 if value else 0)
    if kind == "str":
        return struct.pack("<I", GGUF_STRING) + gguf_string(value)
    if kind == "str[]":
        return (struct.pack("<IIQ", GGUF_ARRAY, GGUF_STRING, len(value))
                + b"".join(gguf_string(s) for s in value))
    if kind.endswith("[]") and kind[:-2] in ELEMENT_TYPES:
        type_id, dtype = ELEMENT_TYPES[kind[:-2]]
        return struct.pack("<IIQ", GGUF_ARRAY, type_id, len(value)) + np.asarray(value, dtype).tobytes()
    raise ValueError(kind)


def quantize_q8_0(x):
    """Q8_0 blocks of 32: f16 d = max|x| / 127, then 32 int8 round(x / d)."""
    b = x.reshape(-1, 32).astype(np.float32)
    d = np.abs(b).max(axis=1) / 127.0
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0.0)
    q = np.round(b * inv[:, None]).astype(np.int8)
    blocks = np.zeros(len(b), dtype=[("d", "<f2"), ("qs", "i1", 32)])
    blocks["d"] = d.astype(np.float16)
    blocks["qs"] = q
    return blocks.tobytes()


def quantize_q4_0(x):
    """Q4_0 blocks of 32: the value m of largest magnitude gives d = m / -8;
    q = min(15, trunc(x / d + 8.5)); byte j = q[j] | q[j + 16] << 4."""
    b = x.reshape(-1, 32).astype(np.float32)
    idx = np.abs(b).argmax(axis=1)
    m = b[np.arange(len(b)), idx]
    d = m / -8.0
    inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0.0)
    q = np.minimum(15, np.trunc(b * inv[:, None] + 8.5)).astype(np.uint8)
    blocks = np.zeros(len(b), dtype=[("d", "<f2"), ("qs", "u1", 16)])
    blocks["d"] = d.astype(np.float16)
    blocks["qs"] = q[:, :16] | (q[:, 16:] << 4)
    return blocks.tobytes()


def to_bf16(x):
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2").tobytes()


def encode_tensor(array, type_name):
    if type_name == "F32":
        return array.astype("<f4").tobytes()
    if type_name == "F16":
        return array.astype("<f2").tobytes()
    if type_name == "BF16":
        return to_bf16(array)
    if type_name == "Q8_0":
        return quantize_q8_0(array)
    if type_name == "Q4_0":
        return quantize_q4_0(array)
    raise ValueError(type_name)


def write_gguf(path, kvs, tensors):
    """kvs: [(key, kind, value)]; tensors: [(name, numpy array, type name)].
    A numpy array of shape (rows, cols) is stored with GGUF dims [cols, rows]."""
    infos, blobs, offset = [], [], 0
    for name, array, type_name in tensors:
        data = encode_tensor(array, type_name)
        dims = list(reversed(array.shape))
        info = gguf_string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        info += struct.pack("<IQ", TYPE_IDS[type_name], offset)
        infos.append(info)
        pad = (-len(data)) % ALIGN
        blobs.append(data + b"\0" * pad)
        offset += len(data) + pad
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    head += b"".join(gguf_string(k) + encode_value(kind, v) for k, kind, v in kvs)
    head += b"".join(infos)
    head += b"\0" * ((-len(head)) % ALIGN)
    with open(path, "wb") as f:
        f.write(head)
        for blob in blobs:
            f.write(blob)


def bytes_to_unicode():
    """GPT-2's table: printable bytes map to themselves, the others to 256+."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}
