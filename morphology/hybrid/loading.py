"""Loading a saved hybrid tokenizer folder (the ``tokkit.formats`` entry point ``hybrid``).

The folder is what :meth:`HybridTokenizer._write` writes: ``hybrid.json`` (the suffix
inventory, the root tokens, the analyzer's lexicon), ``fallback.json`` (the BPE, a
``tokenizer.json``) and ``known_words.json`` (the known-word tables). A missing or
damaged file fails with one line naming it.
"""

from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from itertools import chain
from pathlib import Path

from tokkit.errors import TokkitError, first_line
from tokkit.morphology.hybrid.tokenizer import FALLBACK_FILE, FORMAT_FILE, KNOWN_FILE, HybridTokenizer, RootToken
from tokkit.morphology.turkish import TEMPLATES, RootEntry, TurkishAnalyzer


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
    if payload.get("templates") != list(TEMPLATES):
        raise TokkitError(f"{path} was saved with a different suffix inventory than this tokkit's; retrain it")
    with _collector_paused():
        try:
            roots = [RootToken(r, frozenset(f), bool(s)) for r, f, s in payload["roots"]]
            lexicon = [RootEntry(r, st, frozenset(f), bool(p)) for r, st, f, p in payload["lexicon"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise TokkitError(f"{path / FORMAT_FILE} is malformed: {exc}") from exc
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
        tables = []
        for part in (data, data["cased"]):
            chunks, ids = part["chunks"], part["ids"]
            table = dict(zip(chunks, map(tuple, ids), strict=True))
            flat = list(chain.from_iterable(table.values()))
            if set(map(type, chunks)) - {str} or set(map(type, flat)) - {int} or flat and not 0 <= min(flat) <= max(flat) < vocab_size:
                raise ValueError("a chunk that is not a string or an id outside the vocabulary")
            tables.append(table)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise TokkitError(f"{file} is malformed: {first_line(exc)}") from exc
    return tables[0], tables[1]
