"""Scoring a causal LM on text: bits per byte, and per-token perplexity.

Bits per byte is the comparison that holds across tokenizers: the same text costs the
same number of bytes whatever the vocabulary, so a model that needs fewer bits for it
is better, however many tokens it took. Per-token perplexity is reported too, but only
compares models that share a tokenizer.

The setting, exactly: each non-empty line is scored on its own, as
``[prefix] + encode(line)`` where ``prefix`` is the tokenizer's ``<|endoftext|>`` token
if it has one, else its bos, else its eos (the line's first token is thus predicted
too; the prefix itself is not scored). For the corpus,

* ``bits_per_byte = sum over lines of -log2 p(token_t | tokens_<t) / sum of UTF-8 bytes``
* ``token_perplexity = exp(sum of -ln p / number of scored tokens)``

Lines are batched by length with right padding and an attention mask; padding never
enters a sum. A line longer than the model's context is read in windows, as a stream is
(below), so that every one of its tokens is scored with at least half a window before it.

**The first token.** Some evaluations leave each line's first token unscored (the
Hugging Face ``labels=input_ids`` idiom without a prefix does). That is not a bits per
byte: the first token's bytes stay in the denominator while its bits leave the
numerator, and how many bytes go free depends on the tokenizer (a vocabulary with longer
first tokens gets more), so it favours some tokenizers over others. tokkit's number
scores every token. The same forward pass also sums each line's first-token bits
(:attr:`Score.first_token_bits`), so :meth:`Score.bits_per_byte_first_unscored` gives
the other convention, for comparing with numbers measured that way, at no extra cost
(``bench/README.md`` has both for SmolLM2 on FLORES-200).

**Stream** (``stream=True``, ``tokkit score --stream``): the lines read as one text,
``[prefix] + line_1 + [prefix] + line_2 + ...``, so that each line is predicted with the
lines before it as context (FLORES-200 lines are consecutive sentences of articles), as
a model packed with documents during training reads them. Every line token is scored,
the prefixes are not. A stream longer than :data:`STREAM_WINDOW` tokens (or the model's
context) is read in windows of that many tokens, each scoring its second half (its first
window all of it), so every token has at least half a window before it. This is the
setting of the reference TokenAdapt figures that ``bench/README.md`` compares with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import islice
from typing import Iterable

from tokkit.causal_lm import check_tokenizer_fits
from tokkit.checks import check_number
from tokkit.errors import TokkitError, require
from tokkit.progress import Progress
from tokkit.tokenizer import Tokenizer

torch = require("torch", "lm")

#: tokens per forward pass (rows x longest row)
TOKENS_PER_BATCH = 4096
#: a scoring advances its progress line at least this many times (when it has that many
#: lines): a few short lines would otherwise fit one forward pass and show nothing until done
MIN_STEPS = 8
#: the longest window a stream is read in (see the module docstring)
STREAM_WINDOW = 2048


@dataclass
class Score:
    bits_per_byte: float
    token_perplexity: float
    tokens: int
    bytes: int
    #: the bits of each line's first token, summed (they are part of ``bits_per_byte``)
    first_token_bits: float = 0.0
    #: the lines scored
    lines: int = 0

    def bits_per_byte_first_unscored(self) -> float:
        """Bits per byte with each line's first token left out of the bits (not of the bytes)."""
        return self.bits_per_byte - self.first_token_bits / self.bytes

    def to_json(self) -> dict:
        return {"bits_per_byte": self.bits_per_byte, "token_perplexity": self.token_perplexity, "tokens": self.tokens, "bytes": self.bytes}


def prefix_id(tokenizer: Tokenizer) -> int:
    """The token each line follows: ``<|endoftext|>``, else bos, else eos."""
    eot = tokenizer.token_to_id("<|endoftext|>")
    for candidate in (eot, tokenizer.specials.bos, tokenizer.specials.eos):
        if candidate is not None:
            return candidate
    raise TokkitError(f"{tokenizer.name} has no <|endoftext|>, bos or eos token to start each line with")


def window_width(model, length: int) -> int:
    """How many tokens one forward pass reads of a sequence of ``length`` tokens:
    :data:`STREAM_WINDOW`, the model's context or the sequence, whichever is shortest."""
    context = getattr(model.config, "max_position_embeddings", None) or STREAM_WINDOW
    return max(2, min(STREAM_WINDOW, context, length))


@torch.inference_mode()
def windowed_nats(model, seq: list[int], width: int, device: str = "cpu", task=None) -> list[float]:
    """``-ln p(seq[j] | seq[:j])`` for ``j = 1 .. len(seq) - 1``, read in windows of ``width``
    tokens, each scoring its second half (the first window all of it), so every token has at
    least half a window before it (see the module docstring)."""
    stride = width // 2
    out: list[float] = []
    pos = 1  # the next position to score
    while pos < len(seq):
        end = min(len(seq), pos + (width - 1 if pos == 1 else stride))
        begin = max(0, end - width)
        ids = torch.tensor([seq[begin:end]], device=device)
        logits = model(input_ids=ids).logits[0, pos - 1 - begin : end - 1 - begin].float()
        out += torch.nn.functional.cross_entropy(logits, ids[0, pos - begin : end - begin], reduction="none").tolist()
        if task:
            task.advance(end - pos)
        pos = end
    return out


@torch.inference_mode()
def line_bits(model, tokenizer: Tokenizer, lines: list[str], device: str = "cpu", progress: Progress | None = None) -> list[tuple[float, int, float]]:
    """(bits, tokens, bits of the first token) for each line, in order. Lines that fit the
    model's context are scored whole, in batches; a longer one is read in windows, as a
    stream is (:func:`windowed_nats`)."""
    start = prefix_id(tokenizer)
    seqs = [[start] + ids for ids in tokenizer.encode_batch(lines)]
    limit = getattr(model.config, "max_position_embeddings", None)
    out: list[tuple[float, int, float]] = [(0.0, 0, 0.0)] * len(seqs)
    task = progress.add("scoring", total=len(seqs), unit="lines") if progress else None
    fits = []
    for i, seq in enumerate(seqs):
        if limit and len(seq) > limit:
            nats = windowed_nats(model, seq, window_width(model, len(seq)), device)
            out[i] = (sum(nats) / math.log(2), len(nats), nats[0] / math.log(2))
            if task:
                task.advance(1)
        else:
            fits.append(i)
    order = sorted(fits, key=lambda i: len(seqs[i]))
    rows = max(1, math.ceil(len(seqs) / MIN_STEPS))
    pos = 0
    while pos < len(order):
        longest = len(seqs[order[pos]])
        batch = order[pos : pos + min(rows, max(1, TOKENS_PER_BATCH // max(longest, 1)))]
        longest = max(len(seqs[i]) for i in batch)
        ids = torch.zeros(len(batch), longest, dtype=torch.long)
        mask = torch.zeros(len(batch), longest, dtype=torch.long)
        for row, i in enumerate(batch):
            ids[row, : len(seqs[i])] = torch.tensor(seqs[i])
            mask[row, : len(seqs[i])] = 1
        ids, mask = ids.to(device), mask.to(device)
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
        lost = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")
        lost = lost.view(len(batch), -1) * mask[:, 1:]
        nats, first = lost.sum(1), lost[:, 0]
        for row, i in enumerate(batch):
            out[i] = (nats[row].item() / math.log(2), len(seqs[i]) - 1, first[row].item() / math.log(2))
        if task:
            task.advance(len(batch))
        pos += len(batch)
    return out


def stream_bits(model, tokenizer: Tokenizer, lines: list[str], device: str = "cpu", progress: Progress | None = None) -> list[tuple[float, int, float]]:
    """(bits, tokens, bits of the first token) for each line, the lines read as one stream."""
    start = prefix_id(tokenizer)
    seq: list[int] = []
    line_of: list[int] = []  # per position: the line its token belongs to, -1 for a prefix
    for number, ids in enumerate(tokenizer.encode_batch(lines)):
        seq += [start] + ids
        line_of += [-1] + [number] * len(ids)
    task = progress.add("scoring", total=len(seq) - 1, unit="tokens") if progress else None
    out = [[0.0, 0, 0.0] for _ in lines]
    for j, nats in enumerate(windowed_nats(model, seq, window_width(model, len(seq)), device, task), 1):
        line = line_of[j]
        if line >= 0:
            bits = nats / math.log(2)
            out[line][0] += bits
            out[line][1] += 1
            if line_of[j - 1] != line:
                out[line][2] = bits
    return [tuple(row) for row in out]


def lines_to_score(texts: Iterable[str], limit: int | None = None) -> list[str]:
    """The non-empty lines of ``texts``, the first ``limit`` of them (all without a limit;
    the texts are read no further than that); an error where there are none."""
    if limit is not None:
        check_number("limit", limit, at_least=1, whole=True)
    lines = list(islice((line for text in texts for line in text.splitlines() if line.strip()), limit))
    if not lines:
        raise TokkitError("nothing to score: the corpus has no non-empty line")
    return lines


def score(model, tokenizer: Tokenizer, texts: Iterable[str], device: str = "cpu", progress: Progress | None = None,
          stream: bool = False) -> Score:
    """Bits per byte and token perplexity of ``model`` over the non-empty lines of ``texts``
    (``stream``: the lines read as one text; see the module docstring)."""
    check_tokenizer_fits(model, tokenizer)
    lines = lines_to_score(texts)
    per_line = (stream_bits if stream else line_bits)(model, tokenizer, lines, device, progress)
    bits = sum(b for b, _, _ in per_line)
    tokens = sum(t for _, t, _ in per_line)
    n_bytes = sum(len(line.encode("utf-8")) for line in lines)
    return Score(bits / n_bytes, math.exp(bits * math.log(2) / tokens), tokens, n_bytes, sum(f for _, _, f in per_line), len(lines))
