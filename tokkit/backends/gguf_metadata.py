"""The key-value metadata of a GGUF file (llama.cpp's model format), tensors left unread.

A GGUF file starts with ``GGUF``, a version (2 or 3; written in the byte order of the
machine that made it, so a version whose low 16 bits are zero means the other order), the
tensor count and the key-value count, then the key-value pairs: a key (a string: 8-byte
length, UTF-8 bytes), a 4-byte value type, the value. Types 0-7 and 10-12 are fixed-size
numbers and a bool, 8 is a string, 9 an array (element type, 8-byte count, elements).
Tensor descriptions and data follow; nothing here reads them (only their count).

Written here rather than taken from ``gguf.GGUFReader`` (which tests use as the oracle):
that reader makes a numpy view of every array element, seconds for a vocabulary of 100k
tokens and its merges (bench/README.md); this reads the same values in one pass, numeric
arrays with one ``numpy.frombuffer`` each. Values come as ``GGUFReader``'s ``contents()`` gives them: str, int, float, bool,
or a list of them (an array of arrays, which no tokenizer key uses, as nested lists where
``GGUFReader`` flattens it).
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

import numpy as np

from tokkit.errors import TokkitError, first_line

MAGIC = b"GGUF"
VERSIONS = (2, 3)
STRING, ARRAY = 8, 9
#: value type -> numpy type code of the fixed-size ones
NUMBERS = {0: "u1", 1: "i1", 2: "u2", 3: "i2", 4: "u4", 5: "i4", 6: "f4", 7: "b1", 10: "u8", 11: "i8", 12: "f8"}


def read_metadata(path: Path) -> dict[str, object]:
    """Every key-value pair of the GGUF file at ``path``; a file that is not a whole GGUF
    header gets one :class:`TokkitError` line."""
    return _read(path, _Reader.metadata)


def tensor_count(path: Path) -> int:
    """How many tensors the GGUF file at ``path`` holds, from the first bytes of its header:
    a model has its weights, a vocabulary file (llama.cpp's ``ggml-vocab-*.gguf``) none."""
    return _read(path, lambda reader: reader.counts()[0])


def _read(path: Path, what):
    """``what(reader)`` for a :class:`_Reader` over the file at ``path``; a file that is not a
    whole GGUF header gets one :class:`TokkitError` line."""
    try:
        with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return what(_Reader(data))
    except (OSError, ValueError, struct.error, UnicodeDecodeError, OverflowError, RecursionError) as exc:
        raise TokkitError(f"{path} is not a readable GGUF file (truncated or corrupt: {first_line(exc)})") from exc


class _Reader:
    """One pass over the header; ``pos`` is the next byte to read."""

    def __init__(self, data: mmap.mmap):
        self.data, self.pos, self.size = data, 0, len(data)
        if data[:4] != MAGIC:
            raise ValueError("no GGUF magic at the start")
        version = struct.unpack_from("<I", data, 4)[0]
        self.order = ">" if version & 0xFFFF == 0 else "<"
        version = struct.unpack_from(self.order + "I", data, 4)[0]
        if version not in VERSIONS:
            raise ValueError(f"GGUF version {version} (tokkit reads {' and '.join(map(str, VERSIONS))})")
        self.pos = 8

    def counts(self) -> tuple[int, int]:
        """The tensor count and the key-value count (the fields after the version)."""
        return self._unpack("QQ")

    def metadata(self) -> dict[str, object]:
        _tensors, count = self.counts()
        out = {}
        for _ in range(count):
            (key,) = self._strings(1)
            (kind,) = self._unpack("I")
            out[key] = self._value(kind)
        return out

    def _unpack(self, fmt: str) -> tuple:
        fmt = self.order + fmt
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    def _take(self, n: int) -> int:
        """Advance past ``n`` bytes; returns where they start."""
        start = self.pos
        if n < 0 or start + n > self.size:
            raise ValueError(f"a value of {n} bytes at offset {start} runs past the end of the file")
        self.pos += n
        return start

    def _strings(self, count: int) -> list[str]:
        """``count`` strings in a row (one tight loop: vocabularies hold 100k+ of them)."""
        data, pos, size = self.data, self.pos, self.size
        length = struct.Struct(self.order + "Q").unpack_from
        out = []
        for _ in range(count):
            (n,) = length(data, pos)
            pos += 8
            if pos + n > size:
                raise ValueError(f"a string of {n} bytes at offset {pos} runs past the end of the file")
            out.append(data[pos : pos + n].decode("utf-8"))
            pos += n
        self.pos = pos
        return out

    def _value(self, kind: int):
        if kind == STRING:
            return self._strings(1)[0]
        if kind == ARRAY:
            sub, count = self._unpack("IQ")
            if sub in NUMBERS:
                dtype = np.dtype(NUMBERS[sub]).newbyteorder(self.order)
                start = self._take(count * dtype.itemsize)
                return np.frombuffer(self.data, dtype, count, start).tolist()
            if sub not in (STRING, ARRAY):
                raise ValueError(f"unknown GGUF array element type {sub}")
            if count * 8 > self.size - self.pos:  # every element takes at least 8 bytes
                raise ValueError(f"an array of {count} elements at offset {self.pos} runs past the end of the file")
            return self._strings(count) if sub == STRING else [self._value(sub) for _ in range(count)]
        if kind in NUMBERS:
            dtype = np.dtype(NUMBERS[kind]).newbyteorder(self.order)
            return np.frombuffer(self.data, dtype, 1, self._take(dtype.itemsize)).tolist()[0]
        raise ValueError(f"unknown GGUF value type {kind}")
