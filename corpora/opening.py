"""``open_corpus``: from what the user typed to a Corpus.

A spec is, in this order of precedence:

1. a named corpus (``flores200:devtest:eng_Latn``, ``udhr``, ``xquad:tr``, ``text:eng``,
   ``sample:eng``; see ``tokkit.corpora.named``). Named forms win over paths: to read a
   file or folder called ``text`` or ``sample``, write ``./text``;
2. ``FILE.jsonl:FIELD`` (or ``.jsonl.gz``, or a glob of them): the string field FIELD of
   each JSON object (``"text"`` when no field is named);
3. a glob (``data/*.txt``, ``data/**/*.txt``): the matching files, sorted by path;
4. a folder: every ``.txt``, ``.txt.gz``, ``.jsonl`` and ``.jsonl.gz`` file under it,
   recursively, sorted by path, skipping hidden files and folders;
5. a file: plain text, one text per line (gzip-compressed when it ends in ``.gz``).

A list of specs is their concatenation. Nothing is read until ``texts()`` is iterated, and
every iteration re-opens the files, so corpora of any size stream.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path
from typing import Sequence

from tokkit.corpora.base import Corpus
from tokkit.corpora.errors import CorpusError
from tokkit.corpora.named import NAMED, is_named, resolve, split_named
from tokkit.corpora.readers import TEXT_SUFFIXES, ConcatCorpus, FileCorpus, check_errors_mode
from tokkit.corpora.select import Selection

_JSONL_FIELD = re.compile(r"^(?P<path>.+\.jsonl(?:\.gz)?):(?P<field>[^:/\\]+)$", re.IGNORECASE)
_GLOB_CHARS = re.compile(r"[*?\[]")


def open_corpus(spec: str | Sequence[str], *, data_dir: str | Path | None = None, budget: int | None = None,
                sample: int | float | None = None, seed: int = 0, errors: str = "strict") -> Corpus:
    """The corpus ``spec`` names, optionally sampled (``sample``, ``seed``) and capped (``budget`` bytes).

    >>> corpus = open_corpus("sample:eng", budget=10_000)
    >>> sum(len(t.encode()) for t in corpus.texts()) <= 10_000
    True
    """
    check_errors_mode(errors)
    specs = [spec] if isinstance(spec, (str, Path)) else list(spec)
    if not specs:
        raise CorpusError("no corpus given")
    parts = [_open_one(str(one), data_dir, errors) for one in specs]
    corpus = parts[0] if len(parts) == 1 else ConcatCorpus(parts)
    if sample is None and budget is None:
        return corpus
    return Selection(corpus, sample=sample, seed=seed, budget=budget)


def _open_one(spec: str, data_dir: str | Path | None, errors: str) -> Corpus:
    if not spec.strip():
        raise CorpusError("an empty corpus spec was given")
    if is_named(spec):
        named, files = resolve(spec, data_dir)
        parts = [FileCorpus(path, f"{named.name}:{lang}", errors=errors) for lang, path in files.items()]
        return parts[0] if len(parts) == 1 else ConcatCorpus(parts, spec)
    field = None
    match = _JSONL_FIELD.match(spec)
    if match and not Path(spec).exists():
        spec_path, field = match["path"], match["field"]
    else:
        spec_path = spec
        head, sep, tail = spec.rpartition(":")
        if sep and not Path(spec).exists() and Path(head).expanduser().is_file():
            raise CorpusError(f"{spec}: a field (:{tail}) can only be picked from a .jsonl or .jsonl.gz file")
    files = _files(spec_path)
    if field is not None and not any(_is_jsonl(path) for path in files):
        raise CorpusError(f"{spec}: a field can only be picked from .jsonl files, and {spec_path} names none")
    if len(files) == 1 and Path(spec_path).expanduser().is_file():
        return FileCorpus(files[0], spec, field=field, errors=errors)
    parts = [FileCorpus(path, errors=errors, field=field if _is_jsonl(path) else None) for path in files]
    return ConcatCorpus(parts, spec)


def names_corpus(spec: str) -> bool:
    """Whether ``spec`` names a corpus rather than being a text: a named corpus (written
    without spaces), an existing file or folder (``FILE.jsonl:FIELD`` included), or a glob
    that matches files."""
    if not spec.strip() or "\n" in spec:
        return False
    if split_named(spec) is not None and not any(ch.isspace() for ch in spec):
        return True
    match = _JSONL_FIELD.match(spec)
    if Path(spec).expanduser().exists() or (match and Path(match["path"]).expanduser().is_file()):
        return True
    return bool(_GLOB_CHARS.search(spec)) and any(Path(p).is_file() for p in glob.iglob(str(Path(spec).expanduser()), recursive=True))


def _is_jsonl(path: Path) -> bool:
    return path.name.lower().endswith((".jsonl", ".jsonl.gz"))


def _files(spec: str) -> list[Path]:
    """The files a path, folder or glob names, sorted by path."""
    path = Path(spec).expanduser()
    if path.is_file():
        return [path]
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if _is_text_file(p, path))
        if not found:
            raise CorpusError(f"folder {path} holds no text files (looked for {', '.join(TEXT_SUFFIXES)} files, recursively)")
        return found
    if _GLOB_CHARS.search(spec):
        found = sorted(Path(p) for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
        if not found:
            raise CorpusError(f"no files match the pattern {spec} (looked in {path.parent.resolve()})")
        return found
    if path.exists():
        raise CorpusError(f"{path} is neither a file nor a folder")
    hint = f", and it is not a named corpus ({', '.join(NAMED)})" if ":" in spec else ""
    raise CorpusError(f"no such file or folder: {spec} (looked for {path.resolve()}){hint}")


def _is_text_file(path: Path, root: Path) -> bool:
    relative = path.relative_to(root).parts
    return (path.is_file() and path.name.lower().endswith(TEXT_SUFFIXES)
            and not any(part.startswith(".") for part in relative))


def sample_corpus(lang: str = "eng") -> Corpus:
    """A built-in sample written for tokkit: ``eng``, ``tur``, ``code``, or a language of the
    parallel sample (``deu_Latn``, ``zho_Hans``, ...)."""
    _, files = resolve("sample")
    if lang in files:
        return open_corpus(f"sample:{lang}")
    return open_corpus(f"sample:parallel:{lang}")
