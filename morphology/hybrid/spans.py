"""Character spans of decoded tokens (what ``HybridTokenizer.tokens`` reports).

The decoder writes two kinds of output: characters (roots, suffixes, apostrophes) and
bytes (a run of BPE pieces, decoded together, since a piece may end inside a character).
:func:`byte_spans` maps a run's byte pieces to the characters they fall in;
:func:`stretch` moves every span after the ``<nfd>`` marker has turned characters into
their decompositions.
"""

from __future__ import annotations


def byte_spans(text: str, raw: bytes, starts: list[int], offset: int) -> list[tuple[int, int]]:
    """Character spans of byte pieces (a piece inside a character gets the whole character).

    ``raw``: the run's bytes, ``text``: their decoding, ``starts``: where each piece starts
    in ``raw``, ``offset``: where ``text`` starts in the whole output.
    """
    char_of = []
    for c, ch in enumerate(text):
        char_of += [c] * len(ch.encode("utf-8"))
    if len(char_of) != len(raw):  # invalid UTF-8 was replaced: spans by best effort
        char_of = [min(b, max(len(text) - 1, 0)) for b in range(len(raw))]
    ends = starts[1:] + [len(raw)]
    out = []
    for s, e in zip(starts, ends):
        if s == e:
            out.append((offset + (char_of[s] if s < len(char_of) else len(text)),) * 2)
        else:
            out.append((offset + char_of[s], offset + char_of[e - 1] + 1))
    return out


def stretch(spans: list[tuple[int, int]], start: int, widths: list[int]) -> list[tuple[int, int]]:
    """Spans after the characters from ``start`` on became ``widths`` characters each."""
    cum = [0]
    for w in widths:
        cum.append(cum[-1] + w)
    end, delta = start + len(widths), cum[-1] - len(widths)

    def move(x: int) -> int:
        return x if x <= start else x + delta if x >= end else start + cum[x - start]

    return [(move(s), move(e)) for s, e in spans]
