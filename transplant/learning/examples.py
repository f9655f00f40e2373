"""What learning reads: lines of the learning corpus, in both tokenizations, aligned, in batches.

* The first ``held_out`` non-empty lines are set aside, never learned from, and scored
  before and after (:func:`split_lines`); at most :data:`MAX_LINES` further lines are read.
* The lines to learn from are drawn in an order the seed decides, each line once until
  all have been used (:func:`draw`); each is cut to at most ``length`` new tokens at a
  token boundary and also encoded with the old tokenizer (:func:`make_example`).
* **Packing.** Consecutive drawn lines are packed into one sequence of at most ``length``
  new tokens, each line after its tokenizer's line prefix, as a model is pretrained on
  packed documents (:func:`pack`). A batch of single lines padded to its longest spends
  most of its products on padding (corpus lines are short); packed, every position is text.
* **Alignment.** Where a token of each tokenization ends at the same character, both
  have read exactly the same text; those position pairs are where the old model's hidden
  states are the distillation targets (AweDist's "positions that were not merged, and
  the last token of a merged span", for any two tokenizers; see
  :mod:`~tokkit.transplant.learning.distill`). Offsets come from ``Tokenizer.tokens``, so
  tokenizers whose ids do not spell the text byte for byte (the hybrid) align too.
* **Coverage.** A corpus in which the rows that train are (nearly) never used teaches
  them nothing: one in a language the new tokenizer does not cover is refused
  (:func:`check_coverage`).
"""

from __future__ import annotations

import random
from itertools import islice
from typing import Iterable, Iterator

from tokkit.errors import TokkitError, require
from tokkit.tokenizer import Tokenizer
from tokkit.transplant.learning.base import Example
from tokkit.transplant.scoring import prefix_id

torch = require("torch", "lm")

#: the most lines read to learn from, after the held-out ones
MAX_LINES = 200_000
#: the least share of the learning text's new tokens that must be tokens whose rows train
MIN_COVERAGE = 0.01


def split_lines(texts: Iterable[str], held_out: int, spec: str) -> tuple[list[str], list[str]]:
    """``(held-out lines, lines to learn from)``: the first ``held_out`` non-empty lines of
    ``texts``, then at most :data:`MAX_LINES` more; an error where nothing is left to learn from."""
    lines = list(islice((line for text in texts for line in text.splitlines() if line.strip()), held_out + MAX_LINES))
    if len(lines) <= held_out:
        where = f" after the {held_out} held-out lines (--learn-held-out)" if held_out else ""
        raise TokkitError(f"the learning corpus {spec} has no line to learn from{where}: it has {len(lines)} non-empty lines")
    return lines[:held_out], lines[held_out:]


def draw(pool: int, seed: int) -> Iterator[int]:
    """Line numbers out of ``pool``, without end: seeded shuffles, one after another."""
    rng = random.Random(seed)
    while True:
        epoch = list(range(pool))
        rng.shuffle(epoch)
        yield from epoch


def pack(examples: Iterable[Example], length: int, count: int) -> list[Example]:
    """At most ``count`` sequences, each of consecutive ``examples`` joined while it holds at
    most ``length`` new tokens after its first prefix (the later lines' prefixes count),
    their positions shifted."""
    packed: list[Example] = []
    for ex in examples:
        if packed and len(packed[-1].new_ids) + len(ex.new_ids) <= length + 1:
            last = packed[-1]
            packed[-1] = Example(last.new_ids + ex.new_ids, last.old_ids + ex.old_ids,
                                 last.aligned + [(n + len(last.new_ids), o + len(last.old_ids)) for n, o in ex.aligned])
        elif len(packed) == count:
            break
        else:
            packed.append(ex)
    return packed


def make_example(line: str, old: Tokenizer, new: Tokenizer, length: int) -> Example:
    """``line`` cut to at most ``length`` new tokens, in both tokenizations, with its aligned positions."""
    pieces = new.tokens(line)[:length]
    text = line[: pieces[-1].end] if pieces else ""
    old_pieces = old.tokens(text)
    new_ends = _last_position_ending_at(pieces)
    old_ends = _last_position_ending_at(old_pieces)
    aligned = [(0, 0)] + sorted((pos, old_ends[end]) for end, pos in new_ends.items() if end in old_ends)
    return Example([prefix_id(new)] + [p.id for p in pieces], [prefix_id(old)] + [p.id for p in old_pieces], aligned)


def _last_position_ending_at(pieces) -> dict[int, int]:
    """Character offset -> the position (after the prefix) of the last token ending there."""
    return {piece.end: position for position, piece in enumerate(pieces, 1)}


def check_coverage(examples: list[Example], train_ids: list[int], spec: str, tokenizer: str) -> float:
    """The share of the examples' tokens whose rows train; an error below :data:`MIN_COVERAGE`."""
    training = torch.zeros(max(train_ids, default=0) + 1, dtype=torch.bool)
    training[train_ids] = True
    ids = torch.tensor([i for ex in examples for i in ex.new_ids[1:]], dtype=torch.long)
    share = float(training[ids[ids < len(training)]].sum()) / max(1, len(ids))
    if share < MIN_COVERAGE:
        raise TokkitError(f"the learning corpus {spec} hardly uses the tokens to learn: {share:.2%} of its tokens under {tokenizer} "
                          f"are new (at least {MIN_COVERAGE:.0%} needed); is it in a language the new tokenizer covers?")
    return share


def padded(seqs: list[list[int]], pad: int, device: str) -> tuple["torch.Tensor", "torch.Tensor"]:
    """Right-padded ``ids: [B, T]`` and ``mask: [B, T]`` (1 on tokens) on ``device``."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad, dtype=torch.long)
    mask = torch.zeros(len(seqs), width, dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids.to(device), mask.to(device)
