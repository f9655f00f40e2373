"""Superword BPE: SuperBPE's two-stage curriculum (Liu et al. 2025, "SuperBPE: Space
Travel for Language Models").

Ordinary BPE never merges across its pre-tokenization boundaries, so no token spans two
words. SuperBPE lifts that limit halfway through training:

1. **Stage 1 (subwords)** learns ordinary byte-level BPE merges with whitespace-aware
   regex pre-tokenization (here the ``bpe`` trainer's, cl100k by default) until the
   vocabulary reaches the *transition point* ``t``.
2. **Stage 2 (superwords)** keeps those merges and goes on learning merges with a much
   weaker pre-tokenizer that no longer splits at spaces, so tokens such as ``Ġof Ġthe``
   appear. Like SuperBPE's released tokenizers, the stage-2 pre-tokenizer still isolates
   digit groups (``\\p{N}{1,3}``), runs of two or more punctuation characters (with a
   leading space and trailing newlines or slashes) and runs of spaces that precede a
   space (:data:`STAGE2_PATTERN`); and, as SuperBPE does, a new token may span at most
   ``max_words`` words (4), a word being a maximal run of bytes other than ASCII
   whitespace.

**The saved tokenizer is plain.** It is one BPE model (stage-1 merges, then stage-2
merges), the stage-2 pre-tokenizer and GPT-2's ByteLevel mapping: a ``tokenizer.json``
that the stock ``tokenizers`` library (and ``PreTrainedTokenizerFast``) runs as is.

**Training matches inference.** SuperBPE's own training needs a forked ``tokenizers``.
Here stage 1 is the stock ``BpeTrainer``; stage 2 is tokkit's own code
(:func:`learn_superword_merges`), written because the stock trainer cannot continue from
given merges nor enforce the word limit. Stage 2 does not start from the stage-1
*training* segmentation: it cuts the corpus with the stage-2 pre-tokenizer and applies
the stage-1 merges to each chunk with the stock BPE model, which is exactly what the
saved tokenizer does at inference before any stage-2 merge can fire (stage-1 merges rank
first). Stage-1 merges applied to a chunk that spans several words can differ slightly
from applying them word by word (a merge like ``"`` + ``The`` may now win over
``.`` + ``"``); training sees the same segmentation as inference, so this is a property
of the tokenizer, not a mismatch (bench/bench_superword.py compares the stage-1 tokenizer
under both pre-tokenizers). A
stage-2 merge whose result would equal an existing token is never made (it would let a
stage-1 merge fire again at inference), so every stage-2 merge creates a new token and
ids stay in merge order.

**Stage 2 algorithm** (the incremental BPE of the ``tokenizers`` trainer, vectorised).
The whole corpus lies in numpy arrays as linked lists of stage-1 ids, with a flag for
neighbours in the same chunk. A pair -> count table and a max-heap (stale entries are
refreshed when popped) give the most frequent pair; ties go to the smaller pair of ids,
so training is deterministic. A merge finds its occurrences through an index (where each
stage-1 pair occurs, and where each stage-2 token was made), rewrites them all at once
with numpy exactly as merging left to right would ("a a a" -> "aa a"; "a b a b" -> two
neighbouring new tokens), and updates the counts of the neighbouring pairs. Pairs whose
merge would exceed ``max_words`` are never counted. The tests check the learner against a
brute-force BPE that recounts every pair at every step.

**Defaults, tuned on FLORES-200 dev** (English, 32,000 tokens, trained on text/eng): the
transition 0.7 gave the fewest tokens of the points tried, and stage 2 keeps SuperBPE's
pre-tokenizer (isolating sentence-final punctuation as well gave more tokens);
bench/README.md has the figures. SuperBPE's best downstream models used a late
transition (180k of 200k); set ``transition`` to 0.9 for that.

**Memory.** Stage 2 holds the corpus's stage-1 ids in numpy arrays, a fixed number of
bytes per token (the ids, the links, the chunk flags and the index), so its memory grows
with the corpus; cap big corpora with a budget (``open_corpus(..., budget=)``,
``--budget``).

**Several sizes in one run.** The transition is fixed once, from the largest requested
size. Every smaller size is the same merge list cut short (sizes up to the transition
are plain BPE with the stage-1 pre-tokenizer) and equals a fresh training at that size
with ``transition`` set to the same absolute size.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
from itertools import chain

import numpy as np
from tokenizers import Tokenizer as RustTokenizer

from tokkit.backends.hf import HFTokenizer
from tokkit.byte_map import chars_to_bytes
from tokkit.corpora import Corpus
from tokkit.corpora.base import Fingerprint
from tokkit.errors import InvalidValue, TokkitError
from tokkit.progress import Progress, Task
from tokkit.trainers.base import DEFAULT_SPECIALS, Trainer, check_reached, check_sizes, option, stream_texts
from tokkit.trainers.bpe_family import (
    PRETOKENIZERS,
    bpe_trainer,
    byte_level_pre_tokenizer,
    new_byte_level_bpe,
    sized_tokenizers,
)

#: what stage 2 still splits on: digit groups, runs of 2+ punctuation, spaces before a space
STAGE2_PATTERN = r"""\p{N}{1,3}| ?[^\s\p{L}\p{N}]{2,}[\r\n/]*| +(?!\S)"""

_WHITESPACE = frozenset(b" \t\n\r\x0b\x0c")
_SHIFT = 1 << 32  # a pair (a, b) is the int a * _SHIFT + b


def transition_size(transition: float, largest: int, base: int) -> int:
    """The vocabulary size at which stage 2 starts: a fraction of ``largest`` or a size."""
    if transition < 1:
        size = round(transition * largest)
    elif transition == int(transition):
        size = int(transition)
    else:
        raise InvalidValue("transition", f"must be a fraction in (0, 1) or a whole vocabulary size, not {transition}")
    if not base < size < largest:
        raise TokkitError(
            f"the transition ({size} tokens) must lie between the {base} base tokens and the vocabulary size {largest}"
        )
    return size


def count_words(token: bytes) -> int:
    """Maximal runs of non-whitespace bytes in ``token``."""
    runs, inside = 0, False
    for byte in token:
        space = byte in _WHITESPACE
        if not space and not inside:
            runs += 1
        inside = not space
    return runs


class _PairTable:
    """Pair counts and a max-heap over them; a pair ``(a, b)`` is the int ``a * _SHIFT + b``.

    Heap entries go stale when a count drops and are refreshed when popped (the
    ``tokenizers`` trainer's trick); a count that grows is pushed again at once.
    """

    def __init__(self, pairs: list[int], counts: list[int], min_frequency: int):
        self.min_frequency = min_frequency
        self.counts: dict[int, int] = dict(zip(pairs, counts))
        self.blocked: set[int] = set()  # pairs never to merge
        self._heap = [(-c, pair) for pair, c in self.counts.items()]
        heapq.heapify(self._heap)

    def pop(self) -> int | None:
        """The most frequent pair (ties: the smaller pair), or None when none is frequent enough."""
        while self._heap:
            negative, pair = heapq.heappop(self._heap)
            count = self.counts.get(pair)
            if count == -negative:
                del self.counts[pair]
                return pair
            if count is not None and count >= self.min_frequency:
                heapq.heappush(self._heap, (-count, pair))
        return None

    def update(self, removed: np.ndarray, added: np.ndarray) -> None:
        """One occurrence less of each pair in ``removed``, one more of each in ``added``."""
        pairs, index = np.unique(np.concatenate([removed, added]), return_inverse=True)
        delta = np.bincount(index, weights=np.repeat([-1, 1], [len(removed), len(added)]), minlength=len(pairs))
        for pair, change in zip(pairs.tolist(), delta.astype(np.int64).tolist()):
            if change < 0:
                if pair in self.counts:
                    self.counts[pair] += change
            elif change > 0 and pair not in self.blocked:
                count = self.counts[pair] = self.counts.get(pair, 0) + change
                if count >= self.min_frequency:
                    heapq.heappush(self._heap, (-count, pair))


def learn_superword_merges(
    ids: np.ndarray,
    linked: np.ndarray,
    token_bytes: list[bytes | None],
    n_merges: int,
    max_words: int,
    min_frequency: int = 2,
    task: Task | None = None,
) -> list[tuple[int, int]]:
    """Stage 2: up to ``n_merges`` merges over the stage-1 ids of the whole corpus.

    ``ids`` is the corpus as one array of stage-1 ids; ``linked[i]`` says whether
    ``ids[i]`` and ``ids[i + 1]`` lie in the same stage-2 chunk (may be merged).
    ``token_bytes[i]`` is the byte string of stage-1 token ``i`` (``None`` for specials).
    The ``k``-th merge returned creates id ``len(token_bytes) + k``. Each merge rewrites
    all its occurrences at once with numpy, as merging them left to right would.
    """
    tokens = list(token_bytes)
    known = {t for t in tokens if t is not None}
    capacity = len(tokens) + n_merges
    words = np.zeros(capacity, dtype=np.int64)
    starts = np.zeros(capacity, dtype=bool)  # first byte is not whitespace
    ends = np.zeros(capacity, dtype=bool)  # last byte is not whitespace

    def describe(id: int, token: bytes) -> None:
        words[id] = count_words(token)
        starts[id] = token[0] not in _WHITESPACE
        ends[id] = token[-1] not in _WHITESPACE

    for id, token in enumerate(tokens):
        if token:
            describe(id, token)
        else:
            words[id] = max_words + 1  # a special token never merges

    def fits(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        return words[left] + words[right] - (ends[left] & starts[right]) <= max_words

    # the corpus as linked lists: sym[i] == -1 marks a slot merged into its left neighbour
    sym = ids.astype(np.int64)
    nxt = np.arange(1, len(sym) + 1)
    nxt[:-1][~linked] = -1
    nxt[-1:] = -1
    prv = np.arange(-1, len(sym) - 1)
    prv[1:][~linked] = -1

    # where each pair of two stage-1 tokens occurs (such pairs never form anew, so rare
    # ones are dropped now), and where each stage-2 token was made
    mergeable = np.flatnonzero(linked & fits(sym[:-1], sym[1:]))
    keys = sym[mergeable] * _SHIFT + sym[mergeable + 1]
    order = np.argsort(keys, kind="stable")
    by_pair = mergeable[order]
    pairs, first, n = np.unique(keys[order], return_index=True, return_counts=True)
    frequent = n >= min_frequency
    pairs, first, n = pairs[frequent].tolist(), first[frequent].tolist(), n[frequent].tolist()
    initial = dict(zip(pairs, zip(first, (f + c for f, c in zip(first, n)))))
    made: dict[int, np.ndarray] = {}
    table = _PairTable(pairs, n, min_frequency)
    stage1 = len(tokens)

    def candidates(a: int, b: int) -> np.ndarray:
        """Ascending positions that may hold the pair (a, b): a superset, some stale."""
        if a >= stage1:
            return made[a]
        if b >= stage1:
            left = prv[made[b]]
            return left[left >= 0]
        span = initial.pop(a * _SHIFT + b)
        return by_pair[span[0] : span[1]]

    merges: list[tuple[int, int]] = []
    while len(merges) < n_merges:
        key = table.pop()
        if key is None:
            break
        a, b = divmod(key, _SHIFT)
        merged = tokens[a] + tokens[b]
        if merged in known:  # would duplicate a token: never merged
            table.blocked.add(key)
            continue
        new = len(tokens)
        tokens.append(merged)
        known.add(merged)
        describe(new, merged)
        merges.append((a, b))

        at = candidates(a, b)
        right = nxt[at]
        live = (sym[at] == a) & (right >= 0)
        at, right = at[live], right[live]
        live = sym[right] == b
        at, right = at[live], right[live]
        if a == b and len(at) > 1:  # in a run "a a a", merge the 1st and 2nd, not the 2nd and 3rd
            index = np.arange(len(at))
            overlaps = np.zeros(len(at), dtype=bool)
            overlaps[1:] = at[1:] == right[:-1]
            run_start = np.maximum.accumulate(np.where(overlaps, 0, index))
            keep = (index - run_start) % 2 == 0
            at, right = at[keep], right[keep]
        before, after = prv[at], nxt[right]
        # "a b a b": the two occurrences become neighbours, (b, a) turns into (new, new)
        chained = np.zeros(len(at), dtype=bool)
        chained[:-1] = after[:-1] == at[1:]
        follows_chain = np.zeros(len(at), dtype=bool)
        follows_chain[1:] = chained[:-1]

        removed, added = [], []
        side = (before >= 0) & ~follows_chain
        x = sym[before[side]]
        removed.append(x * _SHIFT + a)
        added.append(x[fits(x, np.full(len(x), new))] * _SHIFT + new)
        side = (after >= 0) & ~chained
        y = sym[after[side]]
        removed.append(b * _SHIFT + y)
        added.append(new * _SHIFT + y[fits(np.full(len(y), new), y)])
        if chained.any():
            removed.append(np.full(int(chained.sum()), b * _SHIFT + a))
            if fits(np.array([new]), np.array([new]))[0]:
                added.append(np.full(int(chained.sum()), new * _SHIFT + new))
        table.update(np.concatenate(removed), np.concatenate(added))

        sym[at], nxt[at], sym[right] = new, after, -1
        has_after = after >= 0
        prv[after[has_after]] = at[has_after]
        made[new] = at
        if task is not None and len(merges) % 64 == 0:
            task.advance(64)
    return merges


@dataclasses.dataclass
class SuperwordOptions:
    transition: float = option(
        0.7, "where stage 2 (superwords) starts: a fraction of the largest vocabulary in (0,1), or a vocabulary size",
        above=0,
    )
    max_words: int = option(4, "a superword token spans at most this many words", at_least=1)
    pretokenizer: str = option(
        "cl100k", "stage-1 pre-tokenization regex: " + ", ".join(PRETOKENIZERS), choices=tuple(PRETOKENIZERS)
    )
    min_frequency: int = option(2, "a pair must occur at least this often to be merged (both stages)", at_least=0)


class SuperwordTrainer(Trainer):
    name = "superword"
    summary = "SuperBPE-style two-stage BPE: subwords up to a transition point, then tokens that span words"
    Options = SuperwordOptions

    def train(self, corpus: Corpus, vocab_sizes: list[int], progress: Progress | None = None) -> dict[int, HFTokenizer]:
        opts = self.options
        base = 256 + len(DEFAULT_SPECIALS)
        sizes = check_sizes(vocab_sizes, base, "byte-level BPE (256 bytes + special tokens)")
        if sizes[-1] <= base + 1:
            raise TokkitError(f"vocabulary size {sizes[-1]} leaves no room for both stages above the {base} base tokens")
        transition = transition_size(opts.transition, sizes[-1], base)

        stage1 = new_byte_level_bpe(byte_level_pre_tokenizer(PRETOKENIZERS[opts.pretokenizer]))
        task = progress.add("stage 1: learning subword merges", start=False) if progress else None
        fingerprint = Fingerprint()
        stage1.train_from_iterator(
            stream_texts(corpus, progress, fingerprint=fingerprint, then=task),
            trainer=bpe_trainer(transition, min_frequency=opts.min_frequency),
        )
        if task:
            task.done()
        check_reached(stage1.get_vocab_size(with_added_tokens=True), transition, corpus)

        ids, linked = self._stage1_corpus(stage1, corpus, progress)
        id_bytes = [chars_to_bytes(stage1.id_to_token(i)) for i in range(stage1.get_vocab_size(with_added_tokens=True))]
        id_bytes = [None if i < len(DEFAULT_SPECIALS) else b for i, b in enumerate(id_bytes)]
        wanted = sizes[-1] - transition
        task = progress.add("stage 2: learning superword merges", total=wanted, unit="merges") if progress else None
        merges = learn_superword_merges(ids, linked, id_bytes, wanted, opts.max_words, opts.min_frequency, task)
        if task:
            task.done()
        full = self._with_stage2(stage1, merges)

        small = [s for s in sizes if s <= transition]
        large = [s for s in sizes if s > transition]
        described = corpus.describe(fingerprint.hexdigest())
        out = sized_tokenizers(self, stage1, small, corpus, described) if small else {}
        out.update(sized_tokenizers(self, full, large, corpus, described))
        for tokenizer in out.values():
            tokenizer.provenance.params["transition_size"] = transition
        return out

    @staticmethod
    def _stage1_corpus(stage1: RustTokenizer, corpus: Corpus, progress: Progress | None) -> tuple[np.ndarray, np.ndarray]:
        """The corpus as stage-1 ids under the stage-2 pre-tokenizer, and which neighbours share a chunk.

        This is what the saved tokenizer computes before any stage-2 merge can apply. A copy
        of ``stage1`` reads it, so ``stage1`` keeps its own pre-tokenizer.
        """
        reader = RustTokenizer.from_str(stage1.to_str())
        reader.pre_tokenizer = byte_level_pre_tokenizer(STAGE2_PATTERN)
        ids: list[np.ndarray] = []
        linked: list[np.ndarray] = []
        batch: list[str] = []

        def flush() -> None:
            encodings = reader.encode_batch(batch, add_special_tokens=False)
            batch.clear()
            lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
            total = int(lengths.sum())
            if total == 0:
                return
            ids.append(np.fromiter(chain.from_iterable(e.ids for e in encodings), dtype=np.int64, count=total))
            words = np.fromiter(chain.from_iterable(e.word_ids for e in encodings), dtype=np.int64, count=total)
            # a chunk is (text, pre-token); the last token of a batch links to nothing
            chunk = np.repeat(np.arange(len(encodings)), lengths) * _SHIFT + words
            linked.append(np.append(chunk[1:] == chunk[:-1], False))

        for text in stream_texts(corpus, progress, "stage 2: applying stage-1 merges"):
            batch.append(text)
            if len(batch) == 1 << 16:
                flush()
        flush()
        return np.concatenate(ids), np.concatenate(linked)[:-1]

    @staticmethod
    def _with_stage2(stage1: RustTokenizer, merges: list[tuple[int, int]]) -> RustTokenizer:
        """The stage-1 tokenizer with the stage-2 merges appended and the stage-2 pre-tokenizer."""
        config = json.loads(stage1.to_str())
        model = config["model"]
        vocab = model["vocab"]
        names = {i: tok for tok, i in vocab.items()}
        for left, right in merges:
            merged = names[left] + names[right]
            names[len(names)] = merged
            vocab[merged] = len(names) - 1
            model["merges"].append([names[left], names[right]])
        tokenizer = RustTokenizer.from_str(json.dumps(config))
        tokenizer.pre_tokenizer = byte_level_pre_tokenizer(STAGE2_PATTERN)
        return tokenizer
