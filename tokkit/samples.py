"""Sample tokenizations: a few lines of every language, cut by every tokenizer.

The HTML report shows how each tokenizer cuts the same sentence side by side, which is
what a person looks at first to see *why* one tokenizer needs more tokens than another.
That needs the tokenizers, which a saved results file does not have, so the evaluation
stores the cuts in the results header (``header["samples"]``) and ``tokkit report`` can
draw them again from the file alone.

Which lines: on a line-aligned corpus the same line numbers in every language (the same
sentence, translated), chosen from the reference language's (the pivot's) lines of readable length
(:data:`SHORTEST`-:data:`LONGEST` characters) spread evenly over its first
:data:`READ_LINES` lines (a corpus may be gigabytes: the samples read no further); on
another corpus each language's own lines by the same rule. Each token is shown as
:func:`tokkit.segments.segments` gives it, stored compactly as ``[id, text]`` for a token
that shows the text it covers, ``[id, "<D0>", "bytes", "О"]`` for one that holds bytes of
a character (with the character it is part of), and ``[id, text, kind]`` for a control
token or a marker.
"""

from __future__ import annotations

from itertools import islice
from typing import Sequence

from tokkit.segments import segments
from tokkit.tokenizer import Tokenizer

#: the lines per language a report shows
SAMPLES_PER_LANG = 2

#: the lengths of a line worth showing, in characters
SHORTEST, LONGEST = 40, 160

#: the lines of each language the samples are chosen from (the first ones)
READ_LINES = 5000


def pick_lines(lines: Sequence[str], n: int) -> list[int]:
    """``n`` line numbers of readable lines, spread evenly (shorter or longer ones when
    there are too few)."""
    readable = [i for i, line in enumerate(lines) if SHORTEST <= len(line) <= LONGEST]
    pool = readable if len(readable) >= n else [i for i, line in enumerate(lines) if line.strip()]
    if len(pool) <= n:
        return pool
    return [pool[k * len(pool) // n] for k in range(n)]


def rows(tokenizer: Tokenizer, text: str) -> list[list]:
    """The segments of ``text`` in the stored form (see the module docstring)."""
    return [[s.id, s.text] if s.kind == "text" else [s.id, s.text, s.kind, text[s.start:s.end]] if s.kind == "bytes"
            else [s.id, s.text, s.kind] for s in segments(tokenizer, text)]


def sample_tokenizations(tokenizers: Sequence[Tokenizer], names: Sequence[str], sources, per_lang: int = SAMPLES_PER_LANG,
                         reference: str | None = None) -> dict:
    """``{"per_lang": n, "corpora": {spec: {lang: [{"line", "text", "tokens": {name: rows}}]}}}``
    for every source (an evaluation's :class:`~tokkit.evaluation.Source`); the lines of an
    aligned source are chosen in ``reference`` (its first language when it lacks that one)."""
    corpora = {}
    for source in sources:
        read = {lang: list(islice(source.texts[lang].texts(), READ_LINES)) for lang in source.langs}
        first = reference if reference in read else source.langs[0]
        chosen = pick_lines(read[first], per_lang) if source.aligned else None
        per_corpus = {}
        for lang in source.langs:
            lines = read[lang]
            per_corpus[lang] = [
                {"line": i, "text": lines[i], "tokens": {name: rows(tok, lines[i]) for name, tok in zip(names, tokenizers)}}
                for i in (chosen if chosen is not None else pick_lines(lines, per_lang))
            ]
        corpora[source.spec] = per_corpus
    return {"per_lang": per_lang, "corpora": corpora}
