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
   ``max_words`` words (4), a word being a maximal run of non-whitespace bytes.

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
of the tokenizer, not a mismatch. A stage-2 merge whose result would equal an existing
token is never made (it would let a stage-1 merge fire again at inference), so every
stage-2 merge creates a new token and ids stay in merge order.

**Stage 2 algorithm.** Chunks are deduplicated with counts; their stage-1 token
sequences lie in flat arrays as linked lists. A pair -> count table, a pair ->
positions index and a max-heap with lazy deletion give the most frequent pair; merging
it rewrites only the positions the index names and updates the counts of the
neighbouring pairs (the incremental BPE of the original ``tokenizers`` trainer). Pairs
whose merge would exceed ``max_words`` are never counted. Ties go to the smaller pair of
ids, so training is deterministic.

**Several sizes in one run.** The transition is fixed once, from the largest requested
size. Every smaller size is the same merge list cut short (sizes up to the transition
are plain BPE with the stage-1 pre-tokenizer) and equals a fresh training at that size
with ``transition`` set to the same absolute size.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
from collections import defaultdict

import numpy as np
from tokenizers import Tokenizer as RustTokenizer

from tokkit.backends.hf import HFTokenizer
from tokkit.byte_map import chars_to_bytes
from tokkit.corpora import Corpus
from tokkit.errors import TokkitError
from tokkit.progress import Progress, Task
from tokkit.trainers.base import DEFAULT_SPECIALS, Trainer, check_reached, check_sizes, option, stream_texts
from tokkit.trainers.bpe import (
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
    if transition <= 0:
        raise TokkitError(f"--transition must be a fraction in (0, 1) or a vocabulary size, got {transition}")
    if transition < 1:
        size = round(transition * largest)
    elif transition == int(transition):
        size = int(transition)
    else:
        raise TokkitError(f"--transition {transition} is neither a fraction in (0, 1) nor a whole vocabulary size")
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
    The ``k``-th merge returned creates id ``len(token_bytes) + k``.
    """
    tokens = list(token_bytes)
    known = {t for t in tokens if t is not None}
    words = [count_words(t or b"") for t in tokens]
    starts = [bool(t) and t[0] not in _WHITESPACE for t in tokens]
    ends = [bool(t) and t[-1] not in _WHITESPACE for t in tokens]

    # every mergeable adjacent pair of the corpus, grouped by pair (numpy: this is the bulk)
    left, right = ids[:-1], ids[1:]
    size = np.array(words, dtype=np.int64)
    join = np.array(ends, dtype=np.int64)[left] & np.array(starts, dtype=np.int64)[right]
    ok = linked & (size[left] + size[right] - join <= max_words)
    where_ok = np.flatnonzero(ok)
    keys = left[where_ok] * _SHIFT + right[where_ok]
    order = np.argsort(keys, kind="stable")
    pair_keys, first, n = np.unique(keys[order], return_index=True, return_counts=True)
    positions_sorted = where_ok[order]
    # a pair of stage-1 tokens never gains occurrences, so rare ones can be dropped now
    frequent = n >= min_frequency
    pair_keys, first, n = pair_keys[frequent].tolist(), first[frequent].tolist(), n[frequent].tolist()
    counts: dict[int, int] = dict(zip(pair_keys, n))
    initial = dict(zip(pair_keys, zip(first, (f + c for f, c in zip(first, n)))))
    added: defaultdict[int, list[int]] = defaultdict(list)  # positions of pairs with a stage-2 token

    # the corpus as linked lists; sym[i] == -1 marks a slot merged into its left neighbour
    sym = ids.tolist()
    nxt_arr = np.arange(1, len(ids) + 1)
    nxt_arr[np.flatnonzero(~linked)] = -1
    nxt_arr[-1] = -1
    prv_arr = np.full(len(ids), -1)
    prv_arr[1:][linked] = np.flatnonzero(linked)
    nxt, prv = nxt_arr.tolist(), prv_arr.tolist()

    # a max-heap of (-count, pair); entries go stale when a count drops and are
    # refreshed when popped (HF's trick); a count that grows is pushed again at once
    heap = [(-c, key) for key, c in counts.items()]
    heapq.heapify(heap)
    blocked: set[int] = set()  # pairs whose result would duplicate an existing token
    merges: list[tuple[int, int]] = []
    while heap and len(merges) < n_merges:
        negative, key = heapq.heappop(heap)
        count = counts.get(key)
        if count != -negative:
            if count is not None and count >= min_frequency:
                heapq.heappush(heap, (-count, key))
            continue
        a, b = divmod(key, _SHIFT)
        merged = tokens[a] + tokens[b]
        if merged in known:
            blocked.add(key)
            del counts[key]
            continue
        new = len(tokens)
        tokens.append(merged)
        known.add(merged)
        words.append(count_words(merged))
        starts.append(starts[a])
        ends.append(ends[b])
        merges.append((a, b))
        new_words, new_starts, new_ends = words[-1], starts[-1], ends[-1]

        span = initial.pop(key, None)
        found = positions_sorted[span[0] : span[1]].tolist() if span else []
        found += added.pop(key, [])
        grown: set[int] = set()
        for i in sorted(found):
            j = nxt[i]
            if sym[i] != a or j < 0 or sym[j] != b:
                continue  # consumed by an overlapping occurrence
            p, q = prv[i], nxt[j]
            if p >= 0:
                x = sym[p]
                old = x * _SHIFT + a
                if old in counts:
                    counts[old] -= 1
                pair = x * _SHIFT + new
                if words[x] + new_words - (ends[x] and new_starts) <= max_words and pair not in blocked:
                    counts[pair] = counts.get(pair, 0) + 1
                    added[pair].append(p)
                    grown.add(pair)
            if q >= 0:
                y = sym[q]
                old = b * _SHIFT + y
                if old in counts:
                    counts[old] -= 1
                pair = new * _SHIFT + y
                if new_words + words[y] - (new_ends and starts[y]) <= max_words and pair not in blocked:
                    counts[pair] = counts.get(pair, 0) + 1
                    added[pair].append(i)
                    grown.add(pair)
                prv[q] = i
            sym[i], nxt[i], sym[j] = new, q, -1
        del counts[key]
        for pair in grown:
            if counts[pair] >= min_frequency:
                heapq.heappush(heap, (-counts[pair], pair))
        if task is not None:
            task.advance()
    return merges


@dataclasses.dataclass
class SuperwordOptions:
    transition: float = option(
        0.8, "where stage 2 (superwords) starts: a fraction of the largest vocabulary in (0,1), or a vocabulary size"
    )
    max_words: int = option(4, "a superword token spans at most this many words")
    pretokenizer: str = option(
        "cl100k", "stage-1 pre-tokenization regex: " + ", ".join(PRETOKENIZERS), choices=tuple(PRETOKENIZERS)
    )
    min_frequency: int = option(2, "a pair must occur at least this often to be merged (both stages)")


class SuperwordTrainer(Trainer):
    name = "superword"
    summary = "SuperBPE-style two-stage BPE: subwords up to a transition point, then tokens that span words"
    Options = SuperwordOptions

    def train(self, corpus: Corpus, vocab_sizes: list[int], progress: Progress | None = None) -> dict[int, HFTokenizer]:
        opts = self.options
        if opts.pretokenizer not in PRETOKENIZERS:
            raise TokkitError(f"unknown pre-tokenizer '{opts.pretokenizer}': choose one of {', '.join(PRETOKENIZERS)}")
        if opts.max_words < 1:
            raise TokkitError(f"--max-words must be at least 1, got {opts.max_words}")
        base = 256 + len(DEFAULT_SPECIALS)
        sizes = check_sizes(vocab_sizes, base, "byte-level BPE (256 bytes + special tokens)")
        if sizes[-1] <= base + 1:
            raise TokkitError(f"vocabulary size {sizes[-1]} leaves no room for both stages above the {base} base tokens")
        transition = transition_size(opts.transition, sizes[-1], base)

        stage1 = new_byte_level_bpe(byte_level_pre_tokenizer(PRETOKENIZERS[opts.pretokenizer]))
        task = progress.add("stage 1: learning subword merges") if progress else None
        stage1.train_from_iterator(
            stream_texts(corpus, progress), trainer=bpe_trainer(transition, min_frequency=opts.min_frequency)
        )
        if task:
            task.done()
        check_reached(stage1.get_vocab_size(with_added_tokens=True), transition, corpus)

        ids, linked = self._stage1_corpus(stage1, corpus, progress)
        id_bytes = [chars_to_bytes(stage1.id_to_token(i)) for i in range(stage1.get_vocab_size(with_added_tokens=True))]
        id_bytes = [None if i < len(DEFAULT_SPECIALS) else b for i, b in enumerate(id_bytes)]
        wanted = sizes[-1] - transition
        task = progress.add("stage 2: learning superword merges", total=wanted) if progress else None
        merges = learn_superword_merges(ids, linked, id_bytes, wanted, opts.max_words, opts.min_frequency, task)
        if task:
            task.done()
        full = self._with_stage2(stage1, merges)

        small = [s for s in sizes if s <= transition]
        large = [s for s in sizes if s > transition]
        out = sized_tokenizers(self, stage1, small, corpus) if small else {}
        out.update(sized_tokenizers(self, full, large, corpus))
        for tokenizer in out.values():
            tokenizer.provenance.params["transition_size"] = transition
        return out

    @staticmethod
    def _stage1_corpus(stage1: RustTokenizer, corpus: Corpus, progress: Progress | None) -> tuple[np.ndarray, np.ndarray]:
        """The corpus as stage-1 ids under the stage-2 pre-tokenizer, and which neighbours share a chunk.

        This is what the saved tokenizer computes before any stage-2 merge can apply.
        """
        config = json.loads(stage1.to_str())
        config["added_tokens"] = []  # special tokens are not split out of training text
        tokenizer = RustTokenizer.from_str(json.dumps(config))
        tokenizer.pre_tokenizer = byte_level_pre_tokenizer(STAGE2_PATTERN)
        ids: list[np.ndarray] = []
        chunk: list[np.ndarray] = []
        batch: list[str] = []
        offset = 0  # chunk numbers grow across texts, so two texts never share one

        def flush() -> None:
            nonlocal offset
            for encoding in tokenizer.encode_batch(batch, add_special_tokens=False):
                if encoding.ids:
                    ids.append(np.array(encoding.ids, dtype=np.int64))
                    words = np.array(encoding.word_ids, dtype=np.int64) + offset
                    chunk.append(words)
                    offset = int(words[-1]) + 1
            batch.clear()

        for text in stream_texts(corpus, progress, "stage 2: applying stage-1 merges"):
            batch.append(text)
            if len(batch) == 4096:
                flush()
        flush()
        flat = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        chunks = np.concatenate(chunk) if chunk else np.zeros(0, dtype=np.int64)
        return flat, chunks[1:] == chunks[:-1]

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
