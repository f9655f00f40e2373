"""Training the hybrid tokenizer (the ``tokkit.trainers`` entry point ``hybrid``).

One pass over the corpus counts its space-separated pieces, then their chunks. The
analyzer names the root of every letter chunk; the roots the corpus uses at least
``--min-frequency`` times, most frequent first, then those of Zemberek's word-frequency
list, then the rest of the lexicon fill the vocabulary up to ``vocab_size - fixed -
fallback_size``. The BPE fallback is trained on exactly what those roots leave over (the
strings of the chunks' plans), and the plans of the corpus's most frequent normal forms
become the known-word tables (``--known-words``).

Everything after the counting pass works on the distinct pieces and chunks with their
counts, so time and memory grow with the corpus's vocabulary, not with its size; the
fallback BPE, which takes no counts, is fed each leftover string as often as it occurs,
in batches, with its pre-tokens capped (:func:`~tokkit.trainers.bpe_family.capped`).

**Memory.** The counts are Python dictionaries of the distinct pieces, chunks and normal
forms, about a hundred bytes per entry, and a corpus of many languages brings new words
all the way through. Before reading, training estimates that memory from the corpus size
(:data:`BYTES_PER_BYTE`) and refuses, in one line naming ``--sample`` and ``--budget``, a
corpus whose counts would not fit in the memory available; a corpus of one language
repeats more of its words and needs less than the estimate.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import Iterable

from tokkit.corpora import Corpus
from tokkit.corpora.base import Fingerprint
from tokkit.errors import TokkitError
from tokkit.morphology.analyzer import LANG_ALIASES, RULE_BASED
from tokkit.morphology.harmony import APOSTROPHES, root_surface
from tokkit.morphology.hybrid.pretokenize import CAP, CAPS, MARKERS, WORD, chunks_of, split_word
from tokkit.morphology.hybrid.tokenizer import HybridTokenizer, RootToken
from tokkit.morphology.turkish import TEMPLATES, TurkishAnalyzer, read_lexicon, resolve_lexicon
from tokkit.progress import Progress
from tokkit.trainers.base import DEFAULT_SPECIALS, Trainer, check_memory, check_sizes, option
from tokkit.trainers.bpe_family import bpe_trainer, capped, new_byte_level_bpe
from tokkit.trainers.reading import stream_texts

FREQUENCY_LIST = "top-20K-words.txt"
#: the counts' peak memory per byte of text, an estimate for text whose words keep changing
#: (measured on FLORES-200's 204 languages; bench/README.md has the figures)
BYTES_PER_BYTE = 40.0


@dataclasses.dataclass
class HybridOptions:
    lang: str = option("tr", "language of the rule-based analyzer: " + ", ".join(sorted(RULE_BASED)))
    lexicon: str | None = option(None, "Zemberek lexicon folder (default: $TOKKIT_DATA_DIR/turkish/lexicon)")
    fallback_size: int = option(1024, "BPE fallback tokens (256 bytes + merges), trained on what the analyzer leaves", at_least=256)
    min_frequency: int = option(2, "a root (or BPE pair) must occur at least this often in the corpus", at_least=0)
    known_words: int = option(
        100_000, "the corpus's N most frequent words (chunks) are encoded at training time and saved with it (0: none)",
        at_least=0,
    )


class HybridTrainer(Trainer):
    name = "hybrid"
    summary = "morphological hybrid (Turkish): lexicon roots + harmonised suffix ids + BPE fallback, lossless"
    Options = HybridOptions

    def train(self, corpus: Corpus, vocab_sizes: list[int], progress: Progress | None = None) -> dict[int, HybridTokenizer]:
        opts = self.options
        code = LANG_ALIASES.get(opts.lang, opts.lang)
        if code not in RULE_BASED:
            raise TokkitError(
                f"no rule-based analyzer for language '{opts.lang}': the hybrid tokenizer exists for "
                f"{', '.join(sorted(RULE_BASED))}; for another language, segment with the Morfessor segmenter "
                "(tokkit.morphology.morfessor_segmenter), which serves any language"
            )
        fixed = len(DEFAULT_SPECIALS) + len(MARKERS) + 2 + len(TEMPLATES)
        sizes = check_sizes(vocab_sizes, fixed + 256, f"the hybrid tokenizer ({fixed} fixed tokens + 256 bytes)")
        csv = resolve_lexicon(opts.lexicon)
        analyzer = TurkishAnalyzer(read_lexicon(csv))
        check_memory(corpus, BYTES_PER_BYTE, "the hybrid trainer's word counting", progress)
        fingerprint = Fingerprint()
        pieces = _space_pieces(stream_texts(corpus, progress, "counting words", fingerprint))
        chunks = Counter()
        for piece, count in pieces.items():
            for chunk in chunks_of(piece):
                chunks[chunk] += count
        task = progress.add("analysing words", total=len(chunks), unit="words") if progress else None
        root_counts: Counter = Counter()
        for done, (chunk, count) in enumerate(chunks.items(), 1):
            for root in _roots_of(analyzer, chunk):
                root_counts[root] += count
            if task and done % 4096 == 0:
                task.advance(4096)
        if task:
            task.done()
        ranked = [r for r, c in sorted(root_counts.items(), key=lambda rc: (-rc[1], rc[0].name)) if c >= opts.min_frequency]
        ranked = list(dict.fromkeys(ranked + _lexicon_roots(analyzer, csv)))
        described = corpus.describe(fingerprint.hexdigest())
        out = {}
        for size in sizes:
            roots = ranked[: max(0, size - fixed - opts.fallback_size)]
            bpe_size = size - fixed - len(roots)
            out[size] = self._build(roots, bpe_size, analyzer, chunks, size, corpus, described, progress)
        return out

    def _build(self, roots, bpe_size, analyzer, chunks: Counter, size: int, corpus, described, progress) -> HybridTokenizer:
        """The tokenizer with these roots, its BPE fallback trained on what they leave over."""
        probe = HybridTokenizer(roots, _empty_bpe(), analyzer, compiled=False)
        # every chunk is its markers + the plan of its normal form (HybridTokenizer._entry),
        # so the plans are made per normal form, and the known-word tables keep those of the
        # most frequent ones; a plan does not depend on the BPE (its strings are spelt by
        # any byte-level BPE), so the final tokenizer encodes them as they are
        entries: Counter = Counter()
        for chunk, count in chunks.items():
            _, key, cased = probe._entry(chunk)
            entries[key, cased] += count
        frequent = set(sorted(entries, key=lambda e: (-entries[e], e[0], bool(e[1])))[: self.options.known_words])
        plans = {}
        leftovers: Counter = Counter()
        task = progress.add(f"planning words ({size:,} tokens)", total=len(entries), unit="words") if progress else None
        for done, ((key, cased), count) in enumerate(entries.items(), 1):
            plan = [key] if cased is None else probe.word_plan(key, cased)
            if (key, cased) in frequent:
                plans[key, cased] = plan
            for item in plan:
                if isinstance(item, str):
                    leftovers[item] += count
            if task and done % 4096 == 0:
                task.advance(4096)
        if task:
            task.done()
        task = progress.add(f"BPE fallback ({bpe_size:,} tokens)") if progress else None
        fallback = new_byte_level_bpe(capped(_bpe_pre_tokenizer()))
        fallback.train_from_iterator(
            _repeat(leftovers), trainer=bpe_trainer(bpe_size, specials=(), min_frequency=self.options.min_frequency)
        )
        fallback.pre_tokenizer = _bpe_pre_tokenizer()
        if task:
            task.done()
        reached = size - bpe_size + fallback.get_vocab_size()
        if reached < size:
            raise TokkitError(
                f"corpus {corpus.spec} fills only {reached} of the {size} hybrid tokens asked for "
                f"({len(roots)} roots, {fallback.get_vocab_size()} BPE tokens): ask for at most {reached} or train on more text"
            )
        tok = HybridTokenizer(
            roots, fallback, analyzer, name=f"hybrid-{size}", provenance=self.provenance(corpus, size, described)
        )
        tok.known = {key: tok.ids_of(plan) for (key, cased), plan in plans.items() if not cased}
        tok.known_cased = {key: tok.ids_of(plan) for (key, cased), plan in plans.items() if cased}
        return tok


def _lexicon_roots(analyzer: TurkishAnalyzer, csv: Path) -> list[RootToken]:
    """Roots for the slots the corpus leaves: Zemberek's word-frequency list first, then the lexicon.

    The frequency list (``zemberek_nlp_dicts/top-20K-words.txt`` beside the CSV) is used
    when present; then common roots in lexicon order, then proper nouns. All with a space.
    """
    out: list[RootToken] = []
    frequent = csv.parent / "zemberek_nlp_dicts" / FREQUENCY_LIST
    if frequent.is_file():
        for word in frequent.read_text(encoding="utf-8").split():
            out += _roots_of(analyzer, " " + word)
    for proper in (False, True):
        out += [RootToken(e.root, e.flags, True) for e in analyzer.entries if e.proper == proper]
    return out


def _roots_of(analyzer: TurkishAnalyzer, chunk: str) -> list[RootToken]:
    """The root a chunk's best analysis uses, as the root token it would need."""
    split = split_word(chunk) if WORD.fullmatch(chunk) else None
    if split is None:
        return []
    markers, space, word = split
    cut = next((i for i, ch in enumerate(word) if ch in APOSTROPHES), len(word))
    parses = analyzer.stem_parses(word[:cut], first=True, lowercase=CAP not in markers and CAPS not in markers)
    if not parses:
        return []
    root, suffixes = parses[0][0], parses[0][1:]
    nxt = suffixes[0].label if suffixes else None
    for entry, _, _ in analyzer.forms.get(root.surface, ()):
        if entry.root == root.label and root_surface(entry.root, entry.flags, nxt) == root.surface:
            return [RootToken(entry.root, entry.flags, space)]
    return []


def _bpe_pre_tokenizer():
    from tokenizers import pre_tokenizers

    return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)


def _empty_bpe():
    """A BPE with only the 256 byte tokens (for planning before the fallback is trained)."""
    from tokenizers import Tokenizer as RustTokenizer
    from tokenizers import models, pre_tokenizers

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    rust = RustTokenizer(models.BPE(vocab={c: i for i, c in enumerate(sorted(alphabet))}, merges=[]))
    rust.pre_tokenizer = _bpe_pre_tokenizer()
    return rust


def _space_pieces(texts: Iterable[str]) -> Counter:
    """How often each space-separated piece occurs; a piece after a space keeps it (`` word``)."""
    first: Counter = Counter()
    after_space: Counter = Counter()
    for text in texts:
        parts = text.split(" ")
        first[parts[0]] += 1
        after_space.update(parts[1:])
    for piece, count in after_space.items():
        first[" " + piece] += count
    return first


#: strings handed to the BPE trainer at once
_BATCH = 1 << 13


def _repeat(counts: Counter) -> Iterable[list[str]]:
    """Each string as often as it occurs, in batches (the trainer takes no counts)."""
    for text, count in counts.items():
        while count > 0:
            yield [text] * min(count, _BATCH)
            count -= _BATCH
