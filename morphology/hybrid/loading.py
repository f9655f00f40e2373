"""Loading a saved hybrid tokenizer folder (the ``tokkit.formats`` entry point ``hybrid``).

The folder is what :meth:`HybridTokenizer._write` writes: ``hybrid.json`` (the suffix
inventory, the root tokens, the analyzer's lexicon), ``fallback.json`` (the BPE, a
``tokenizer.json``) and ``known_words.json`` (the known-word tables). A missing or
damaged file, or one whose fields have the wrong types, fails with one line naming it.
"""

from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Literal

from tokkit.errors import TokkitError, first_line
from tokkit.json_shape import Shape
from tokkit.morphology.hybrid.tokenizer import FALLBACK_FILE, FORMAT_FILE, KNOWN_FILE, HybridTokenizer, RootToken
from tokkit.morphology.turkish import FLAGS, POS_STATE, TEMPLATES, RootEntry, TurkishAnalyzer

_FLAG = Literal[tuple(sorted(FLAGS.values()))]
#: a root's start state: those of turkish.POS_STATE, and X for a root that takes no suffixes
_STATE = Literal[tuple(sorted({*POS_STATE.values(), "X"}))]

#: ``hybrid.json``: the suffix inventory it was made with, the root tokens (root, flags,
#: leading space) and the analyzer's lexicon (root, start state, flags, proper noun)
HYBRID_JSON = Shape({
    "templates": list[str],
    "roots": list[tuple[str, list[_FLAG], bool]],
    "lexicon": list[tuple[str, _STATE, list[_FLAG], bool]],
})

#: ``known_words.json``: each known chunk and its ids, for text as it is and lower-cased
_KNOWN_TABLE = {"chunks": list[str], "ids": list[list[int]]}
KNOWN_JSON = Shape({**_KNOWN_TABLE, "cased": _KNOWN_TABLE})


def load_hybrid(path: Path, name: str) -> HybridTokenizer:
    """Load a saved hybrid tokenizer folder (the ``tokkit.formats`` entry point)."""
    from tokenizers import Tokenizer as RustTokenizer

    for needed in (FORMAT_FILE, FALLBACK_FILE, KNOWN_FILE):
        if not (path / needed).is_file():
            raise TokkitError(f"{path} is not a complete hybrid tokenizer: {needed} is missing")
    try:
        payload = json.loads((path / FORMAT_FILE).read_text(encoding="utf-8"))
        fallback = RustTokenizer.from_file(str(path / FALLBACK_FILE))
    except Exception as exc:  # the Rust loader raises a bare Exception on bad JSON
        raise TokkitError(f"{path} holds a damaged hybrid tokenizer: {first_line(exc)}") from exc
    HYBRID_JSON.check(payload, str(path / FORMAT_FILE))
    if payload["templates"] != list(TEMPLATES):
        raise TokkitError(f"{path} was saved with a different suffix inventory than this tokkit's; retrain it")
    with _collector_paused():
        roots = [RootToken(r, frozenset(f), s) for r, f, s in payload["roots"]]
        lexicon = [RootEntry(r, st, frozenset(f), p) for r, st, f, p in payload["lexicon"]]
        tok = HybridTokenizer(roots, fallback, TurkishAnalyzer(lexicon), name=name)
        tok.known, tok.known_cased = _read_known(path / KNOWN_FILE, tok.vocab_size)
    return tok


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused, then one full collection.

    Loading builds some 10^6 container objects (the lexicon's spellings, the known-word
    table), none of them garbage; the automatic collections would walk them again and
    again as they pass from generation to generation. One full collection at the end
    moves them all to the oldest generation at once.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        if enabled:
            gc.enable()


def _read_known(file: Path, vocab_size: int) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """The known-word tables of a saved tokenizer: (``known``, ``known_cased``).

    ``{"chunks": [...], "ids": [...], "cased": {"chunks": [...], "ids": [...]}}``, as
    :meth:`HybridTokenizer._write` writes them.
    """
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise TokkitError(f"{file} is not valid JSON: {first_line(exc)}") from exc
    KNOWN_JSON.check(data, str(file))
    tables = []
    for part in (data, data["cased"]):
        chunks, ids = part["chunks"], part["ids"]
        if len(chunks) != len(ids):
            raise TokkitError(f"{file} is malformed: {len(chunks)} chunks but {len(ids)} id lists")
        flat = list(chain.from_iterable(ids))
        if flat and not 0 <= min(flat) <= max(flat) < vocab_size:
            raise TokkitError(f"{file} is malformed: an id outside the vocabulary of {vocab_size}")
        tables.append(dict(zip(chunks, map(tuple, ids))))
    return tables[0], tables[1]
