"""GPT-2's reversible map between the 256 byte values and printable Unicode characters.

Byte-level BPE (GPT-2, Llama-3, Qwen2, ...) writes every token as a string of these
characters (a space is ``Ġ``, a newline ``Ċ``), so that the vocabulary is printable text.
The table is part of the file format, so it is written out here rather than taken from
a library's private helper.
"""

from __future__ import annotations

import re


def _bytes_to_unicode() -> dict[int, str]:
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_TO_CHAR: dict[int, str] = _bytes_to_unicode()
CHAR_TO_BYTE: dict[str, int] = {c: b for b, c in BYTE_TO_CHAR.items()}


def chars_to_bytes(token: str) -> bytes | None:
    """The bytes a byte-level token string stands for, or ``None`` if it is not one."""
    try:
        return bytes(CHAR_TO_BYTE[c] for c in token)
    except KeyError:
        return None


def bytes_to_chars(data: bytes) -> str:
    return "".join(BYTE_TO_CHAR[b] for b in data)


_BYTE_PIECE = re.compile(r"<0x([0-9A-Fa-f]{2})>")


def byte_piece(token: str) -> int | None:
    """The byte a byte-fallback piece stands for (SentencePiece, Llama-2, Mistral write the
    byte 0x41 as the vocabulary string ``<0x41>``), or None for any other string."""
    match = _BYTE_PIECE.fullmatch(token)
    return int(match.group(1), 16) if match else None
