"""Parallel corpora: the same text in several languages, language -> aligned lines.

Token premiums (Petrov et al., "Language Model Tokenizers Introduce Unfairness Between
Languages", 2023) compare how many tokens each language needs for the same content, so
they need text that says the same thing in every language. FLORES-200 and XQuAD are
aligned line by line (line *i* says the same in every language); the UDHR is aligned per
document only (each language's translation is one document, paragraphs need not match),
so ``aligned_by_line`` is False there and only whole-corpus comparisons make sense.

``open_parallel`` takes ``flores200:dev``, ``flores200:devtest``, ``xquad``, ``udhr``,
``sample`` (the built-in parallel sample), each optionally ``:LANG,LANG``; a folder of
``<lang>.txt`` files; or ``lang=path,lang=path``. A language's lines are read on first
use and kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from tokkit.corpora.base import Corpus, TextCorpus
from tokkit.corpora.errors import CorpusError
from tokkit.corpora.named import NAMED, is_named, resolve, split_named, unknown_lang_error
from tokkit.corpora.readers import FileCorpus


class ParallelCorpus:
    """Languages mapped to their lines; line i of each language says the same thing when
    ``aligned_by_line`` (else each language is one translation of the same document)."""

    def __init__(self, spec: str, sources: Mapping[str, Corpus], *, aligned_by_line: bool = True):
        if not sources:
            raise CorpusError(f"parallel corpus {spec} has no languages")
        self.spec = spec
        self.aligned_by_line = aligned_by_line
        self._sources = dict(sorted(sources.items()))
        self._lines: dict[str, list[str]] = {}

    @classmethod
    def from_lines(cls, lines: Mapping[str, Sequence[str]], spec: str = "<memory>", *,
                   aligned_by_line: bool = True) -> "ParallelCorpus":
        """A parallel corpus held in memory (tests, small jobs)."""
        return cls(spec, {lang: TextCorpus(texts, f"{spec}:{lang}") for lang, texts in lines.items()},
                   aligned_by_line=aligned_by_line)

    @property
    def langs(self) -> list[str]:
        return list(self._sources)

    def _check_lang(self, lang: str) -> None:
        if lang not in self._sources:
            raise unknown_lang_error(f"parallel corpus {self.spec}", lang, self.langs)

    def corpus(self, lang: str) -> Corpus:
        """One language as a Corpus (streamed from its file)."""
        self._check_lang(lang)
        return self._sources[lang]

    def lines(self, lang: str) -> list[str]:
        """One language's lines, in order."""
        self._check_lang(lang)
        if lang not in self._lines:
            self._lines[lang] = list(self._sources[lang].texts())
        return self._lines[lang]

    def line_counts(self) -> dict[str, int]:
        """Each language's number of lines, counted by streaming them (lines read before
        are not read again, and counting keeps none)."""
        return {lang: len(self._lines[lang]) if lang in self._lines else sum(1 for _ in self._sources[lang].texts())
                for lang in self.langs}

    def check_aligned(self) -> None:
        """Raise CorpusError naming the languages whose line count differs from the most
        common one. Document-aligned corpora (``aligned_by_line`` False) are not checked."""
        if not self.aligned_by_line:
            return
        counts = self.line_counts()
        by_count: dict[int, list[str]] = {}
        for lang, count in counts.items():
            by_count.setdefault(count, []).append(lang)
        if len(by_count) == 1:
            return
        usual = max(by_count, key=lambda c: (len(by_count[c]), c))
        odd = [f"{lang} has {count}" for lang, count in counts.items() if count != usual]
        shown = "; ".join(odd[:10]) + (f"; ... ({len(odd)} languages in all)" if len(odd) > 10 else "")
        raise CorpusError(f"parallel corpus {self.spec} is not aligned by line: {len(by_count[usual])} languages "
                          f"have {usual} lines, but {shown}")

    def subset(self, langs: Sequence[str]) -> "ParallelCorpus":
        """The same corpus restricted to ``langs``."""
        for lang in langs:
            self._check_lang(lang)
        picked = ParallelCorpus(self.spec, {lang: self._sources[lang] for lang in langs},
                                aligned_by_line=self.aligned_by_line)
        picked._lines = {lang: lines for lang, lines in self._lines.items() if lang in langs}
        return picked

    def __repr__(self) -> str:
        return f"<ParallelCorpus {self.spec!r}: {len(self.langs)} languages>"


def open_parallel(spec: str, *, data_dir: str | Path | None = None, langs: Sequence[str] | None = None,
                  errors: str = "strict") -> ParallelCorpus:
    """The parallel corpus ``spec`` names, restricted to ``langs`` when given."""
    if spec == "sample" or (spec.startswith("sample:") and not spec.startswith("sample:parallel")):
        spec = "sample:parallel" + spec[len("sample"):]  # the built-in sample's parallel part
    if is_named(spec):
        found = split_named(spec)
        if found is not None and found[0].alignment is None:
            parallel = [name for name, named in NAMED.items() if named.alignment]
            raise CorpusError(f"{found[0].name} is not a parallel corpus; parallel ones: {', '.join(parallel)}")
        named, files = resolve(spec, data_dir)
        sources = {lang: FileCorpus(path, f"{named.name}:{lang}", errors=errors) for lang, path in files.items()}
        corpus = ParallelCorpus(spec, sources, aligned_by_line=named.alignment == "line")
    else:
        corpus = ParallelCorpus(spec, _user_sources(spec, errors))
    return corpus.subset(list(dict.fromkeys(langs))) if langs is not None else corpus


def _user_sources(spec: str, errors: str) -> dict[str, Corpus]:
    """``lang=path,lang=path`` or a folder of ``<lang>.txt`` files."""
    if "=" in spec and not Path(spec).exists():
        sources = {}
        for item in spec.split(","):
            lang, sep, path = item.partition("=")
            lang, path = lang.strip(), path.strip()
            if not sep or not lang or not path:
                raise CorpusError(f"{spec}: write a parallel corpus as lang=path,lang=path (bad item {item!r})")
            if not Path(path).expanduser().is_file():
                raise CorpusError(f"parallel corpus {spec}: no such file for {lang}: {path}")
            if lang in sources:
                raise CorpusError(f"parallel corpus {spec}: {lang} is given twice")
            sources[lang] = FileCorpus(Path(path).expanduser(), errors=errors)
        return sources
    folder = Path(spec).expanduser()
    if not folder.is_dir():
        raise CorpusError(f"{spec} is not a parallel corpus: give flores200:dev, flores200:devtest, xquad, udhr, "
                          f"sample, a folder of <lang>.txt files, or lang=path,lang=path (looked for {folder.resolve()})")
    sources = {p.name[:-len(".txt")]: FileCorpus(p, errors=errors) for p in sorted(folder.glob("*.txt")) if p.is_file()}
    if not sources:
        raise CorpusError(f"folder {folder} holds no <lang>.txt files to make a parallel corpus of")
    return sources
