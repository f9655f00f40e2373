"""Superword stage 2: BPE merges over the distinct stage-2 chunks of a corpus, with counts.

Stage 2 of :mod:`tokkit.trainers.superword` learns merges inside *chunks* (what the
stage-2 pre-tokenizer leaves between digit groups, punctuation runs and runs of spaces),
starting from each chunk's stage-1 ids. The learner is the incremental BPE of the
``tokenizers`` trainer (Sennrich et al. 2016), vectorised with numpy and made to hold
each distinct chunk once:

**Distinct chunks with counts** (:class:`ChunkCollector`). Chunks are collected batch by
batch as stage-1 ids; each gets two 64-bit hashes of its ids (position-keyed
multipliers from splitmix64, so a chunk hashes the same in every batch), and chunks of
equal length and equal hashes are one chunk with a count (a false match needs two
independent 64-bit collisions at once). The distinct chunks are laid out in one array
ordered by count, so the count of the chunk at position ``i`` is a lookup in a short
table of where each count starts, and no per-position weight is stored. A pair's count
is the sum of its occurrences' chunk counts: exactly what BPE counts over the corpus.

**The corpus as linked lists** of stage-1 ids: ``sym`` (the id at each slot, ``-1`` once
merged into its left neighbour), ``nxt`` and ``prv`` (the neighbouring live slot in the
same chunk, ``-1`` at a chunk's edge), all int32 when the distinct chunks hold fewer than
2^31 ids.

**Where pairs occur.** The positions of each pair of two stage-1 ids, grouped by pair
(built in ranges of the left id, so sorting needs a fraction of the corpus at once), and
for each stage-2 token the positions where it was made. A merge of ``(a, b)`` finds its
candidates there, keeps the live ones, rewrites them all at once as merging left to
right would ("a a a" -> "aa a"; "a b a b" -> two neighbouring new tokens) and updates the
counts of the neighbouring pairs.

**Counts only fall.** A pair's occurrences all appear at once: at the start for two
stage-1 ids, and at the merge that creates its later member otherwise (a merge creates
adjacencies only next to its new token, which no earlier pair can contain). From then
on merges only take occurrences away. So a pair too rare when it appears is dropped for
good, the stage-1 pairs live in numpy arrays sorted by pair (counts updated in bulk),
and the pairs born in stage 2 in a dict. The most frequent pair comes from two lazy
queues: the stage-1 pairs in the order of their first count (a pair whose count has
since fallen moves to the heap when it reaches the front) and a heap for the rest,
whose stale entries are refreshed when popped (the ``tokenizers`` trainer's trick).
Ties go to the smaller pair of ids, so training is deterministic; pairs whose merge
would exceed ``max_words`` are never counted, and a pair whose merge would repeat an
existing token is never merged.

Vocabulary extension (:mod:`tokkit.trainers.extension`) runs the same learner over a base
tokenizer's own encoding of a corpus (:func:`collect_chunks`), with no word limit.

The tests check the learner against a brute-force BPE that recounts every pair at every
step, and against merge lists that the previous learner (which held every chunk
occurrence) produced.
"""

from __future__ import annotations

import dataclasses
import heapq
from itertools import chain
from typing import Callable, Iterable

import numpy as np
from tokenizers import Tokenizer as RustTokenizer

from tokkit.progress import Progress, Task

WHITESPACE = frozenset(b" \t\n\r\x0b\x0c")
SHIFT = 1 << 32  # a pair (a, b) is the int a * SHIFT + b
#: positions sorted at once while the pair index is built (bounds its transient memory)
_INDEX_BLOCK = 1 << 22
#: text characters encoded in one batch while chunks are collected (bounds the encodings held at once)
_BATCH_BYTES = 1 << 20


def count_words(token: bytes) -> int:
    """Maximal runs of non-whitespace bytes in ``token``."""
    runs, inside = 0, False
    for byte in token:
        space = byte in WHITESPACE
        if not space and not inside:
            runs += 1
        inside = not space
    return runs


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 of each uint64 (Steele, Lea and Flood 2014): well-mixed multipliers."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@dataclasses.dataclass
class Chunks:
    """Distinct chunks, ordered by count: their ids one after another, their lengths and counts."""

    ids: np.ndarray  # stage-1 ids
    lengths: np.ndarray  # int64
    counts: np.ndarray  # int64, ascending


class ChunkCollector:
    """Collects chunks batch by batch and merges equal ones (see the module docstring)."""

    def __init__(self, dtype=np.int32):
        self.dtype = dtype
        self._ids: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self._hashes: list[np.ndarray] = []
        self._multipliers = np.zeros((2, 0), dtype=np.uint64)

    def add(self, ids: np.ndarray, lengths: np.ndarray) -> None:
        """Add chunks: ``ids`` one chunk after another, ``lengths`` (each at least 1)."""
        if not len(lengths):
            return
        starts = np.cumsum(lengths) - lengths
        position = np.arange(len(ids)) - np.repeat(starts, lengths)
        multipliers = self._keys(int(lengths.max()))
        values = ids.astype(np.uint64)
        hashes = np.stack([np.add.reduceat(values * m[position], starts) for m in multipliers])
        self._ids.append(ids.astype(self.dtype))
        self._lengths.append(lengths.astype(np.int64))
        self._hashes.append(hashes)

    def _keys(self, length: int) -> np.ndarray:
        """Two multipliers per position within a chunk, the same for every batch."""
        have = self._multipliers.shape[1]
        if length > have:
            more = np.arange(have, max(length, 2 * have), dtype=np.uint64)
            extra = np.stack([_splitmix64(more * np.uint64(2)), _splitmix64(more * np.uint64(2) + np.uint64(1))])
            self._multipliers = np.concatenate([self._multipliers, extra], axis=1)
        return self._multipliers

    def chunks(self) -> Chunks:
        """The distinct chunks with their counts; the collector is emptied."""
        ids = np.concatenate(self._ids) if self._ids else np.zeros(0, dtype=self.dtype)
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, dtype=np.int64)
        hashes = np.concatenate(self._hashes, axis=1) if self._hashes else np.zeros((2, 0), dtype=np.uint64)
        self._ids, self._lengths, self._hashes = [], [], []
        starts = np.cumsum(lengths) - lengths
        order = np.lexsort((hashes[1], hashes[0], lengths))  # stable: a group's first chunk comes first
        key = (lengths[order], hashes[0][order], hashes[1][order])
        new = np.ones(len(order), dtype=bool)
        new[1:] = (key[0][1:] != key[0][:-1]) | (key[1][1:] != key[1][:-1]) | (key[2][1:] != key[2][:-1])
        firsts = np.flatnonzero(new)
        counts = np.diff(np.append(firsts, len(order)))
        representative = order[firsts]
        by_count = np.argsort(counts, kind="stable")
        chosen, counts = representative[by_count], counts[by_count]
        return Chunks(_gather(ids, starts[chosen], lengths[chosen]), lengths[chosen], counts.astype(np.int64))


def collect_chunks(reader: RustTokenizer, texts: Iterable[str], progress: Progress | None, label: str,
                   word_starts: np.ndarray | None = None) -> Chunks:
    """The distinct chunks of ``texts`` as ``reader`` encodes them, with their counts.

    A chunk is the ids of one pre-token (``Encoding.word_ids``), so a learner that merges
    within chunks continues from exactly what ``reader`` computes at inference. Where
    ``word_starts`` is given (a bool per id), a chunk also starts at each id it marks: a
    SentencePiece-style tokenizer has no pre-tokenizer, and its words begin at pieces
    that start with ``▁``. ``label`` names the progress line of merging equal chunks.
    """
    collector = ChunkCollector(np.uint16 if reader.get_vocab_size(with_added_tokens=True) <= 1 << 16 else np.int32)
    batch: list[str] = []

    def flush() -> None:
        encodings = reader.encode_batch(batch, add_special_tokens=False)
        batch.clear()
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        total = int(lengths.sum())
        if total == 0:
            return
        ids = np.fromiter(chain.from_iterable(e.ids for e in encodings), dtype=np.int64, count=total)
        words = np.fromiter(chain.from_iterable((-1 if w is None else w for w in e.word_ids) for e in encodings),
                            dtype=np.int64, count=total)
        del encodings
        # a chunk starts with each text and with each pre-token of a text
        starts = np.ones(total, dtype=bool)
        starts[1:] = words[1:] != words[:-1]
        if word_starts is not None:
            starts |= word_starts[ids]
        text_starts = np.cumsum(lengths) - lengths
        starts[text_starts[text_starts < total]] = True
        first = np.flatnonzero(starts)
        collector.add(ids, np.diff(np.append(first, total)))

    held = 0
    for text in texts:
        batch.append(text)
        held += len(text)
        if held >= _BATCH_BYTES:
            flush()
            held = 0
    flush()
    task = progress.add(label) if progress else None
    chunks = collector.chunks()
    if task:
        task.done()
    return chunks


def _gather(ids: np.ndarray, starts: np.ndarray, lengths: np.ndarray, block: int = _INDEX_BLOCK) -> np.ndarray:
    """The spans ``ids[start : start + length]`` one after another (a few at a time, to
    bound the index arrays)."""
    out = np.empty(int(lengths.sum()), dtype=ids.dtype)
    ends = np.cumsum(lengths)
    done = 0
    first = 0
    while first < len(lengths):
        last = int(np.searchsorted(ends, done + block, side="right"))
        last = max(last, first + 1)
        span_lengths = lengths[first:last]
        total = int(span_lengths.sum())
        offsets = np.repeat(starts[first:last] - (ends[first:last] - span_lengths), span_lengths)
        out[done : done + total] = ids[offsets + np.arange(done, done + total)]
        done += total
        first = last
    return out


class _Tokens:
    """What the word limit needs to know of every token: its words and whether its first
    and last bytes are not whitespace."""

    def __init__(self, token_bytes: list[bytes | None], capacity: int, max_words: int):
        self.max_words = max_words
        self.words = np.zeros(capacity, dtype=np.int32)
        self.starts = np.zeros(capacity, dtype=bool)
        self.ends = np.zeros(capacity, dtype=bool)
        for id, token in enumerate(token_bytes):
            if token:
                self.describe(id, token)
            else:
                self.words[id] = max_words + 1  # a special token never merges

    def describe(self, id: int, token: bytes) -> None:
        self.words[id] = min(count_words(token), self.max_words + 1)
        self.starts[id] = token[0] not in WHITESPACE
        self.ends[id] = token[-1] not in WHITESPACE

    def fits(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Whether merging ``left`` and ``right`` stays within ``max_words`` words."""
        return self.words[left] + self.words[right] - (self.ends[left] & self.starts[right]) <= self.max_words


class _Pairs:
    """Pair counts and the lazy choice of the most frequent pair (see the module docstring).

    Stage-1 pairs: ``keys`` (sorted), ``counts`` (current, ``-1`` once merged or
    blocked) and ``first`` (the count each had at the start, in ``queue`` order). Pairs
    born in stage 2: ``born`` (pair -> count) and the heap.
    """

    def __init__(self, keys: np.ndarray, counts: np.ndarray, stage1: int, min_frequency: int):
        self.keys = keys
        self.counts = counts.copy()
        self.queue = np.lexsort((keys, -counts))
        self.first = counts[self.queue]
        self.front = 0
        self.stage1 = stage1
        self.min_frequency = min_frequency
        self.born: dict[int, int] = {}
        self.heap: list[tuple[int, int]] = []

    def _initial(self, key: int) -> bool:
        return key // SHIFT < self.stage1 and key % SHIFT < self.stage1

    def _index(self, key: int) -> int:
        return int(np.searchsorted(self.keys, key))

    def count(self, key: int) -> int | None:
        """The current count of a pair still in play, else None."""
        if self._initial(key):
            count = int(self.counts[self._index(key)])
            return count if count >= 0 else None
        return self.born.get(key)

    def retire(self, key: int) -> None:
        """The pair is merged or blocked: never chosen again."""
        if self._initial(key):
            self.counts[self._index(key)] = -1
        else:
            self.born.pop(key, None)

    def pop(self) -> int | None:
        """The most frequent pair (ties: the smaller pair), retired; None when none is left.

        Once both queues are settled their fronts hold exact counts, and every entry
        behind them a count at least as high as the pair's: the better front is the best.
        """
        self._settle_queue()
        self._settle_heap()
        queued = None
        if self.front < len(self.queue):
            queued = (-int(self.first[self.front]), int(self.keys[self.queue[self.front]]))
        fronts = [entry for entry in (queued, self.heap[0] if self.heap else None) if entry is not None]
        if not fronts:
            return None
        best = min(fronts)
        if best is queued:
            self.front += 1
        else:
            heapq.heappop(self.heap)
        self.retire(best[1])
        return best[1]

    def _settle_queue(self) -> None:
        """Move front entries whose count fell since the start to the heap (or drop them)."""
        while self.front < len(self.queue):
            index = self.queue[self.front]
            count = int(self.counts[index])
            if count == self.first[self.front]:
                return
            if count >= self.min_frequency:
                heapq.heappush(self.heap, (-count, int(self.keys[index])))
            self.front += 1

    def _settle_heap(self) -> None:
        while self.heap:
            negative, key = self.heap[0]
            count = self.count(key)
            if count == -negative:
                return
            heapq.heappop(self.heap)
            if count is not None and count >= self.min_frequency:
                heapq.heappush(self.heap, (-count, key))

    def lose(self, keys: np.ndarray, weights: np.ndarray) -> None:
        """``weights[i]`` occurrences fewer of pair ``keys[i]``."""
        initial = (keys // SHIFT < self.stage1) & (keys % SHIFT < self.stage1)
        if len(self.keys):
            index = np.minimum(np.searchsorted(self.keys, keys[initial]), len(self.keys) - 1)
            found = self.keys[index] == keys[initial]
            index, lost = index[found], weights[initial][found]
            live = self.counts[index] >= 0
            np.subtract.at(self.counts, index[live], lost[live])
        rest = ~initial
        if rest.any():
            pairs, total = _sum_by_key(keys[rest], weights[rest])
            for key, change in zip(pairs.tolist(), total.tolist()):
                if key in self.born:
                    self.born[key] -= change

    def add_born(self, keys: np.ndarray, weights: np.ndarray) -> None:
        """Pairs that appear with a new token, with all their occurrences."""
        pairs, total = _sum_by_key(keys, weights)
        for key, count in zip(pairs.tolist(), total.tolist()):
            if count >= self.min_frequency:
                self.born[key] = count
                heapq.heappush(self.heap, (-count, key))


def _sum_by_key(keys: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pairs, index = np.unique(keys, return_inverse=True)
    return pairs, np.bincount(index, weights=weights, minlength=len(pairs)).astype(np.int64)


def learn_superword_merges(
    chunks: Chunks,
    token_bytes: list[bytes | None],
    n_merges: int,
    max_words: int,
    min_frequency: int = 2,
    task: Task | None = None,
    accept: Callable[[bytes, set[bytes]], bool] | None = None,
) -> list[tuple[int, int]]:
    """Stage 2: up to ``n_merges`` merges over ``chunks`` (distinct chunks of stage-1 ids
    with their counts).

    ``token_bytes[i]`` is the byte string of stage-1 token ``i`` (``None`` for specials
    and any id that must never merge). The ``k``-th merge returned creates id
    ``len(token_bytes) + k``. ``chunks`` is consumed (its arrays are reused).
    ``accept(merged, known)``, where given, may refuse a merge whose result would be the
    new token ``merged`` while the tokens ``known`` exist (vocabulary extension refuses
    tokens that an old token could absorb); a refused pair is never merged.
    """
    tokens = list(token_bytes)
    known = {t for t in tokens if t is not None}
    stage1 = len(tokens)
    described = _Tokens(tokens, stage1 + n_merges, max_words)
    size = len(chunks.ids)
    position = np.int32 if size < 2**31 - 1 else np.int64

    # the chunks as linked lists; a slot's chunk count is a lookup in where each count starts
    sym = chunks.ids.astype(np.int32, copy=False)
    chunks.ids = None
    chunk_ends = np.cumsum(chunks.lengths)
    nxt = np.arange(1, size + 1, dtype=position)
    nxt[chunk_ends - 1] = -1
    prv = np.arange(-1, size - 1, dtype=position)
    prv[chunk_ends - chunks.lengths] = -1
    changes = np.flatnonzero(np.diff(chunks.counts)) + 1
    count_starts = np.concatenate([[0], chunk_ends[changes - 1]]) if size else np.zeros(1, dtype=np.int64)
    count_values = chunks.counts[np.concatenate([[0], changes])] if size else np.ones(1, dtype=np.int64)

    def weight(at: np.ndarray) -> np.ndarray:
        return count_values[np.searchsorted(count_starts, at, side="right") - 1]

    by_pair, keys, counts, spans = _pair_index(sym, nxt, described, weight, min_frequency, position)
    pairs = _Pairs(keys, counts, stage1, min_frequency)
    made: dict[int, np.ndarray] = {}

    def candidates(a: int, b: int) -> np.ndarray:
        """Ascending positions that may hold the pair (a, b): a superset, some stale."""
        if a >= stage1:
            return made[a]
        if b >= stage1:
            left = prv[made[b]]
            return left[left >= 0]
        index = int(np.searchsorted(keys, a * SHIFT + b))
        return by_pair[spans[index] : spans[index + 1]]

    merges: list[tuple[int, int]] = []
    while len(merges) < n_merges:
        key = pairs.pop()
        if key is None:
            break
        a, b = divmod(key, SHIFT)
        merged = tokens[a] + tokens[b]
        if merged in known or (accept is not None and not accept(merged, known)):  # never merged
            continue
        new = len(tokens)
        tokens.append(merged)
        known.add(merged)
        described.describe(new, merged)
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
        counted = weight(at)
        # "a b a b": the two occurrences become neighbours, (b, a) turns into (new, new)
        chained = np.zeros(len(at), dtype=bool)
        chained[:-1] = after[:-1] == at[1:]
        follows_chain = np.zeros(len(at), dtype=bool)
        follows_chain[1:] = chained[:-1]

        lost, lost_weight, born, born_weight = [], [], [], []
        side = (before >= 0) & ~follows_chain
        x = sym[before[side]].astype(np.int64)
        lost.append(x * SHIFT + a)
        lost_weight.append(counted[side])
        ok = described.fits(x, np.full(len(x), new))
        born.append(x[ok] * SHIFT + new)
        born_weight.append(counted[side][ok])
        side = (after >= 0) & ~chained
        y = sym[after[side]].astype(np.int64)
        lost.append(b * SHIFT + y)
        lost_weight.append(counted[side])
        ok = described.fits(np.full(len(y), new), y)
        born.append(new * SHIFT + y[ok])
        born_weight.append(counted[side][ok])
        if chained.any():
            lost.append(np.full(int(chained.sum()), b * SHIFT + a))
            lost_weight.append(counted[chained])
            if described.fits(np.array([new]), np.array([new]))[0]:
                born.append(np.full(int(chained.sum()), new * SHIFT + new))
                born_weight.append(counted[chained])
        pairs.lose(np.concatenate(lost), np.concatenate(lost_weight))
        pairs.add_born(np.concatenate(born), np.concatenate(born_weight))

        sym[at], nxt[at], sym[right] = new, after, -1
        has_after = after >= 0
        prv[after[has_after]] = at[has_after]
        made[new] = at
        if task is not None and len(merges) % 64 == 0:
            task.advance(64)
    return merges


def _pair_index(sym, nxt, described: _Tokens, weight, min_frequency: int, position):
    """Where each pair of two stage-1 ids occurs (such pairs never form anew, so those
    rarer than ``min_frequency`` are dropped now): positions grouped by pair, the pairs
    (sorted), their counts, and where each pair's positions start (one more at the end).

    Positions are sorted in ranges of the left id of about ``_INDEX_BLOCK`` each, so the
    sort's index arrays never span the whole corpus.
    """
    left = sym[:-1]
    per_id = np.bincount(left, minlength=1) if len(left) else np.zeros(1, dtype=np.int64)
    cumulative = np.cumsum(per_id)
    bounds = [0]
    while bounds[-1] < len(per_id):
        reached = cumulative[bounds[-1] - 1] if bounds[-1] else 0
        nxt_bound = int(np.searchsorted(cumulative, reached + _INDEX_BLOCK, side="right"))
        bounds.append(min(max(nxt_bound, bounds[-1] + 1), len(per_id)))
    positions, keys, counts, sizes = [], [], [], []
    for low, high in zip(bounds, bounds[1:]):
        at = np.flatnonzero((left >= low) & (left < high) & (nxt[:-1] >= 0))
        if not len(at):
            continue
        a, b = sym[at], sym[at + 1]
        ok = described.fits(a, b)
        at, a, b = at[ok], a[ok].astype(np.int64), b[ok].astype(np.int64)
        key = a * SHIFT + b
        order = np.argsort(key, kind="stable")
        key, at = key[order], at[order]
        pair, first = np.unique(key, return_index=True)
        total = np.add.reduceat(weight(at), first) if len(first) else np.zeros(0, dtype=np.int64)
        frequent = total >= min_frequency
        n = np.diff(np.append(first, len(key)))
        positions.append(at[np.repeat(frequent, n)].astype(position))
        keys.append(pair[frequent])
        counts.append(total[frequent].astype(np.int64))
        sizes.append(n[frequent])
    if not keys:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=position), empty, empty, np.zeros(1, dtype=np.int64)
    sizes = np.concatenate(sizes)
    return np.concatenate(positions), np.concatenate(keys), np.concatenate(counts), np.concatenate([[0], np.cumsum(sizes)])
