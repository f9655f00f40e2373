"""How a tokenizer cuts a text, as a person should see it: one :class:`Segment` per token.

The terminal's ``tokkit tokenize``, the playground and the HTML report all show
tokenizations through this module, so they agree. A segment shows the text its token
covers, taken from the token's character offsets (:meth:`Tokenizer.tokens`), not from
its vocabulary string: a SentencePiece ``▁`` or a byte-level ``Ġ`` is the space it
stands for, and the hybrid tokenizer's suffix tokens (one id for every harmonic variant)
show the variant the text has. Where tokens share a character (a byte-level BPE or a
byte-fallback tokenizer spelling a character it lacks in several byte tokens), each shows
its own bytes, written ``<E6>`` when they are not a whole character. Control tokens
show their vocabulary string; a token that covers no text (the hybrid's case markers)
does too. :func:`tokenization` adds the counts a side-by-side view shows (tokens, bytes
and characters per token, whether the ids decode back to the text).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from tokkit.tokenizer import Tokenizer

#: what each kind of segment is
KINDS = ("text", "bytes", "special", "marker")

#: characters shown visibly (a space would be invisible at a token boundary)
VISIBLE = {" ": "·", "\n": "⏎", "\t": "→", "\r": "␍"}


@dataclass(frozen=True)
class Segment:
    """One token of a text: its id, what to show, the character span it covers, and its
    kind (``text``: the text it covers; ``bytes``: part of a character, shown as bytes;
    ``special``: a control token; ``marker``: a token that covers no text)."""

    id: int
    text: str
    start: int
    end: int
    kind: str

    def to_json(self) -> dict:
        return asdict(self)


def segments(tokenizer: Tokenizer, text: str) -> list[Segment]:
    """The segments of ``text`` under ``tokenizer``, in order (see the module docstring)."""
    pieces = tokenizer.tokens(text)
    spans = [(p.start, p.end) for p in pieces]
    out = []
    for i, piece in enumerate(pieces):
        shared = (i > 0 and spans[i - 1][1] > piece.start) or (i + 1 < len(pieces) and spans[i + 1][0] < piece.end)
        if tokenizer.is_special(piece.id):
            out.append(Segment(piece.id, tokenizer.id_to_token(piece.id), piece.start, piece.end, "special"))
        elif piece.start == piece.end:
            out.append(Segment(piece.id, tokenizer.id_to_token(piece.id), piece.start, piece.end, "marker"))
        elif shared:
            raw = tokenizer.token_bytes(piece.id) or b""
            out.append(Segment(piece.id, shown_bytes(raw), piece.start, piece.end, "bytes"))
        else:
            out.append(Segment(piece.id, text[piece.start:piece.end], piece.start, piece.end, "text"))
    return out


def shown_bytes(raw: bytes) -> str:
    """Bytes as text where they are whole UTF-8 characters, ``<E6>`` where they are not."""
    out, i = [], 0
    while i < len(raw):
        for width in (4, 3, 2, 1):
            try:
                out.append(raw[i:i + width].decode("utf-8"))
                i += width
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append(f"<{raw[i]:02X}>")
            i += 1
    return "".join(out)


def visible(text: str) -> str:
    """``text`` with spaces, newlines and tabs made visible (``·``, ``⏎``, ``→``)."""
    return "".join(VISIBLE.get(ch, ch) for ch in text)


@dataclass(frozen=True)
class Tokenization:
    """A text as one tokenizer cuts it: its segments and the counts a comparison shows.

    ``tokens`` counts every id ``encode`` gives (a control token written in the text
    included); ``bytes`` and ``chars`` are the text's UTF-8 bytes and code points, the same
    for every tokenizer, so bytes per token compares them.
    """

    name: str
    segments: list[Segment]
    bytes: int
    chars: int
    roundtrip: bool

    @property
    def tokens(self) -> int:
        return len(self.segments)

    @property
    def ids(self) -> list[int]:
        return [s.id for s in self.segments]

    @property
    def bytes_per_token(self) -> float | None:
        return self.bytes / self.tokens if self.tokens else None

    @property
    def chars_per_token(self) -> float | None:
        return self.chars / self.tokens if self.tokens else None

    def to_json(self) -> dict:
        return {"name": self.name, "tokens": self.tokens, "bytes": self.bytes, "chars": self.chars,
                "bytes_per_token": self.bytes_per_token, "chars_per_token": self.chars_per_token,
                "roundtrip": self.roundtrip, "ids": self.ids, "segments": [s.to_json() for s in self.segments]}


def tokenization(tokenizer: Tokenizer, text: str, name: str | None = None) -> Tokenization:
    """How ``tokenizer`` cuts ``text`` (named ``name``, by default the tokenizer's name)."""
    cut = segments(tokenizer, text)
    same = tokenizer.decode([s.id for s in cut]) == text
    return Tokenization(name or tokenizer.name, cut, len(text.encode("utf-8", "surrogatepass")), len(text), same)
