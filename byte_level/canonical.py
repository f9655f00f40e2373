"""Which token sequences are canonical: the ones a tokenizer can produce.

A token sequence ``c`` is *canonical* when re-encoding its text gives ``c`` back; a
sequence that is still growing (a *prefix* of the token sequence of a longer text) is
valid when some continuation ``r`` of its text makes ``encode(text(c) + r)`` start with
``c``. The Byte-Token Representation Lemma of Phan et al. 2024 ("Exact Byte-Level
Probabilities from Tokenized Language Models for FIM-Tasks and Model Ensembles") sums a
model's probability over exactly these sequences, so everything byte-level rests here.

How this module decides validity, and why it is written this way:

* **The tokenizer itself is the oracle.** Rather than re-implementing BPE merges, regex
  pre-tokenization (GPT-2, cl100k/Llama-3, SmolLM2) and SentencePiece's ``▁`` dummy prefix
  and byte fallback, the candidate sequence's text is re-encoded with the tokenizer's own
  Rust encoder, many candidates per call. Every quirk of the tokenizer (contractions,
  ``\\s+(?!\\S)``, digit groups, newline runs, normalizers) is then right by construction;
  ByteSampler (Hayase et al.) re-implements BPE and pre-tokenization instead, and refuses
  pre-tokenizers it does not model.
* **Open pre-tokens.** Pre-token boundaries near the end of a growing text are unstable
  (``"a "`` + ``"b"`` moves the space into ``" b"``; ``"don'"`` + ``"t"``). Everything
  before the last two pre-tokens is *stable*: :meth:`Canonical.stable_prefix` checks it
  against a set of probe continuations and opens more pre-tokens when a probe disagrees
  (ByteSampler's streaming pre-tokenizer keeps the last pre-tokens open the same way).
  Only the open *window* after the stable point is ever re-encoded.
  SentencePiece tokenizers have no pre-tokenizer to say where words end, but where no
  token joins a space to the byte before it (true of Llama-2, Mistral and Phi-3: they were
  trained on whitespace-split words), a space after another byte starts a piece whatever
  follows, so the cuts are there (:attr:`Canonical.space_bounded`). A window after such a
  cut is encoded behind an :data:`ANCHOR` word that takes the dummy prefix in its place.
* **Continuations.** Validity needs *some* continuation ``r``. The empty one is tried
  first, then the few that can change how a text's end is split
  (:mod:`tokkit.byte_level.continuations`).
* **A fast path.** Re-encoding every token of a large vocabulary after every window is
  slow; for byte-level BPE with regex pre-tokenization, :class:`PieceRules`
  (:mod:`tokkit.byte_level.piece_rules`) decides most tokens by BPE's pairwise rules and
  leaves the rest to re-encoding.
"""

from __future__ import annotations

import bisect
import re
from typing import Sequence

import numpy as np

from tokkit.byte_level.continuations import PROBES, completions, needs_probes, utf8_split
from tokkit.byte_level.piece_rules import PieceRules
from tokkit.errors import TokkitError
from tokkit.tokenizer import Tokenizer

#: a word put before a window that follows a SentencePiece cut: the dummy prefix goes to it
#: (its tokens are then dropped), and the window is encoded as it is inside the text
ANCHOR = "a"


class Canonical:
    """Canonical-encoding checks and byte lookups for one tokenizer (see the module docstring)."""

    def __init__(self, tokenizer: Tokenizer):
        self.tokenizer = tokenizer
        self.rust = tokenizer.to_tokenizers()
        self.token_bytes: list[bytes | None] = list(tokenizer.all_token_bytes())
        if not any(b for b in self.token_bytes):
            raise TokkitError(f"{tokenizer.name} has no byte mapping for its tokens")
        self.vocab_size = len(self.token_bytes)
        self.eos = tokenizer.specials.eos
        ordered = sorted((b, i) for i, b in enumerate(self.token_bytes) if b)
        self._sorted_bytes = [b for b, _ in ordered]
        self._sorted_ids = np.array([i for _, i in ordered], dtype=np.int64)
        self.max_len = max(len(b) for b in self._sorted_bytes)
        self.lengths = np.array([len(b) if b else 0 for b in self.token_bytes], dtype=np.int64)
        self._byte_at: dict[int, np.ndarray] = {}
        self._verdicts: dict[tuple, np.ndarray] = {}  # per (window, at_start): -1 unknown, 0, 1
        self._last_pieces: dict[tuple, tuple] = {}
        #: b" " where token bytes carry SentencePiece's dummy-prefix space before the text
        self.lead = b" " if self.bytes_of(self.encode("a")) == b" a" else b""
        #: SentencePiece with no token that joins a space to a byte before it: a space after
        #: another byte starts a piece, so the text before it is encoded apart from the rest
        self.space_bounded = bool(self.lead) and not any(b and re.search(rb"[^ ] ", b) for b in self.token_bytes)
        self._anchor = self.encode(ANCHOR) if self.space_bounded else []
        self._space_led = np.array([bool(b) and b[:1] == b" " for b in self.token_bytes])
        self.rules = PieceRules.for_tokenizer(self.rust, self.token_bytes)

    def text_of(self, data: bytes, at_start: bool) -> tuple[str, bytes] | None:
        """Token bytes as (complete text to encode, incomplete last character); ``None``
        if no text has them. At the start of a text the dummy-prefix space is dropped."""
        if at_start and self.lead:
            if not data.startswith(self.lead):
                return None
            data = data[len(self.lead):]
        return utf8_split(data)

    # -- encoding ---------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        return self.rust.encode(text, add_special_tokens=False).ids

    def encode_text(self, text: str, at_start: bool) -> list[int]:
        """The tokens of ``text`` at the start of a text, or (``at_start`` False) in a window
        after a stable cut, where SentencePiece adds no dummy prefix (see :data:`ANCHOR`)."""
        return self.encode(text) if at_start else self.encode_many([text], at_start)[0]

    def encode_many(self, texts: list[str], at_start: bool = True) -> list[list[int]]:
        """:meth:`encode_text` for many texts, in one call to the Rust encoder.

        A window after a cut starts with a space after another byte, which no token of a
        space-bounded tokenizer joins to it, so the tokens of :data:`ANCHOR` stay in front
        of every window's own. Where they do not, dropping them would give wrong tokens
        without a word; only a bug in tokkit (a window cut where no piece starts) gets
        there, so it raises instead.
        """
        if not texts:
            return []
        fast = self.rust.encode_batch_fast
        if at_start or not self.space_bounded:
            return [e.ids for e in fast(texts, add_special_tokens=False)]
        n = len(self._anchor)
        out = [e.ids for e in fast([ANCHOR + t for t in texts], add_special_tokens=False)]
        if any(ids[:n] != self._anchor for ids in out):
            raise RuntimeError(f"tokkit bug: a SentencePiece window that does not start at a cut was encoded ({self.tokenizer.name})")
        return [ids[n:] for ids in out]

    def bytes_of(self, ids: Sequence[int]) -> bytes:
        return b"".join(self.token_bytes[i] or b"" for i in ids)

    # -- lookups ----------------------------------------------------------------------
    def with_prefix(self, prefix: bytes) -> np.ndarray:
        """Ids of the tokens whose bytes start with ``prefix`` (every byte token for b"")."""
        lo = bisect.bisect_left(self._sorted_bytes, prefix)
        hi = bisect.bisect_left(self._sorted_bytes, prefix + b"\xff" * (self.max_len + 1)) if prefix else len(self._sorted_bytes)
        return self._sorted_ids[lo:hi]

    def byte_at(self, depth: int) -> np.ndarray:
        """Per token id: its byte at ``depth``, or 256 where it is shorter (or special)."""
        if depth not in self._byte_at:
            table = np.full(self.vocab_size, 256, dtype=np.int64)
            for i, b in enumerate(self.token_bytes):
                if b and len(b) > depth:
                    table[i] = b[depth]
            self._byte_at[depth] = table
        return self._byte_at[depth]

    # -- stability --------------------------------------------------------------------
    def stable_prefix(self, data: bytes, open_words: int = 2, at_start: bool = True) -> tuple[list[int], int]:
        """The stable tokens of ``data`` and the byte offset where they end.

        Stable: every valid token sequence of every text that starts with ``data`` starts
        with them. The last ``open_words`` pre-tokens (SentencePiece: space-led pieces)
        stay open; more open while a probe continuation re-splits what would be frozen, or
        encoding the window alone differs from encoding it in context (a normalizer that
        prepends ``▁``). ``at_start``: ``data`` starts the text (else it follows a cut).
        """
        split = self.text_of(data, at_start)
        if split is None:
            raise TokkitError("the prompt is not a prefix of any UTF-8 text")
        text, partial = split
        if self.space_bounded:
            ids = self.encode_text(text, at_start)
            starts = self._space_cuts(ids)
        else:
            encoding = self.rust.encode(text, add_special_tokens=False)
            ids, words = encoding.ids, encoding.word_ids
            starts = [k for k in range(1, len(ids)) if words[k] != words[k - 1] or words[k] is None]
        endings = list(PROBES[1:]) + (list(completions(partial)) if partial else [])
        probed = self.encode_many([text + p for p in endings], at_start)
        for cut in reversed(starts[: max(len(starts) - open_words + 1, 0)]):
            frozen = ids[:cut]
            offset = len(self.bytes_of(frozen))
            window = self.text_of(data[offset:], at_start=False)
            if window is None or any(p[:cut] != frozen for p in probed):
                continue
            if self.encode_text(window[0], at_start=False) == ids[cut:]:
                return frozen, offset
        return [], 0

    # -- validity ---------------------------------------------------------------------
    def canonical_tail(self, window: bytes, at_start: bool) -> list[int] | None:
        """The canonical encoding of the window's text, or ``None`` mid-character."""
        split = self.text_of(window, at_start)
        if split is None or split[1]:
            return None
        return self.encode_text(split[0], at_start)

    def valid_after(self, tail: tuple[int, ...], candidates: np.ndarray, at_start: bool) -> np.ndarray:
        """For each candidate token ``t``: is ``tail + (t,)`` valid after the stable prefix?

        ``tail`` is the tokens of the open window (themselves valid); ``at_start``: the
        window starts the text (nothing is stable yet). Decided by :class:`PieceRules`
        where they apply (for a space-bounded SentencePiece, tokens that start a piece are
        decided from the window alone), by re-encoding otherwise. Verdicts are kept per
        window over the whole vocabulary, so the shrinking candidate sets of later bytes
        cost nothing.
        """
        tail, at_start = self._last_piece(tail, at_start)
        verdicts = self._verdicts.pop((tail, at_start), None)
        if verdicts is None:
            verdicts = np.full(self.vocab_size, -1, dtype=np.int8)
            if len(self._verdicts) >= 1024:
                del self._verdicts[next(iter(self._verdicts))]  # the least recently used
        self._verdicts[(tail, at_start)] = verdicts
        todo = candidates[verdicts[candidates] < 0]
        if len(todo):
            result = np.zeros(len(todo), dtype=bool)
            undecided = np.ones(len(todo), dtype=bool)
            if self.rules is not None:
                result, undecided = self.rules.decide(tail, todo)
            elif self.space_bounded and tail and (self.token_bytes[tail[-1]] or b" ")[-1:] != b" ":
                # a token that starts with a space starts a piece: valid iff the window is
                # complete as it is and the token is valid at the start of a window
                fresh = self._space_led[todo]
                if fresh.any():
                    undecided = ~fresh
                    if self.canonical_tail(self.bytes_of(tail), at_start) == list(tail):
                        result[fresh] = self.valid_after((), todo[fresh], at_start=False)
            if undecided.any():
                result[undecided] = self.valid_by_encoding(tail, todo[undecided], at_start)
            verdicts[todo] = result
        return verdicts[candidates] == 1

    def _last_piece(self, tail: tuple[int, ...], at_start: bool) -> tuple[tuple[int, ...], bool]:
        """The window cut down to its last pre-token, where that gives the same verdicts.

        With regex pre-tokenization, pre-tokens before the window's last one stay as they
        are whatever text follows (a match ends where the text already says it ends; the
        regexes look one character ahead, except contractions, which look past an
        apostrophe: no cut next to one), so ``tail + t`` is valid iff the tokens before
        the last pre-token are their canonical encoding and the last pre-token's tokens +
        ``t`` are valid. A space-bounded SentencePiece window is cut the same way before
        its last token that starts a piece. The shorter window's verdicts are shared by
        every window that ends the same way (an indentation, `` return``), which is most
        of them in code and prose.
        """
        if (self.rules is None and not self.space_bounded) or len(tail) < 2:
            return tail, at_start
        key = (tail, at_start)
        if key not in self._last_pieces:
            self._last_pieces[key] = (tail, at_start)
            cut = self._piece_start(tail)
            head = self.text_of(self.bytes_of(tail[:cut]), at_start) if cut else None
            if head and not head[1] and self.encode_text(head[0], at_start) == list(tail[:cut]):
                self._last_pieces[key] = (tail[cut:], False)
            if len(self._last_pieces) > 100_000:
                self._last_pieces.clear()
        return self._last_pieces[key]

    def _piece_start(self, tail: tuple[int, ...]) -> int:
        """Where the last pre-token (SentencePiece: space-led piece) of ``tail`` starts, in
        tokens, if an earlier one ends at a token boundary; else 0."""
        if self.space_bounded:
            return max(self._space_cuts(tail), default=0)
        spelled = [self.token_bytes[i] or b"" for i in tail]
        try:
            text = b"".join(spelled).decode("utf-8")
        except UnicodeDecodeError:
            return 0
        spans = self.rules.pieces(text)
        head = text[: spans[-1][0]] if len(spans) > 1 else ""
        if not head or "'" in text[len(head) - 1 : len(head) + 1]:
            return 0
        ends = np.cumsum([len(b) for b in spelled]).tolist()
        size = len(head.encode("utf-8"))
        return ends.index(size) + 1 if size in ends else 0

    def _space_cuts(self, ids: Sequence[int]) -> list[int]:
        """The token positions where a space-bounded SentencePiece starts a piece: a token
        that starts with a space after one that ends with another byte."""
        spelled = [self.token_bytes[i] or b"" for i in ids]
        return [k for k in range(1, len(ids)) if spelled[k][:1] == b" " and spelled[k - 1][-1:] not in (b" ", b"")]

    def valid_by_encoding(self, tail: tuple[int, ...], candidates: np.ndarray, at_start: bool) -> np.ndarray:
        """:meth:`valid_after` by re-encoding ``tail + t`` for every candidate (the definition)."""
        context = self.bytes_of(tail)
        expected = list(tail)
        result = np.zeros(len(candidates), dtype=bool)
        jobs: list[tuple[int, str]] = []
        retry: list[tuple[int, str]] = []
        for k, t in enumerate(candidates.tolist()):
            raw = self.token_bytes[t]
            if not raw:
                continue
            split = self.text_of(context + raw, at_start)
            if split is None:
                continue
            text, partial = split
            if partial:
                jobs.extend((k, text + c) for c in completions(partial))
            else:
                jobs.append((k, text))
                if needs_probes(text):
                    retry.extend((k, text + p) for p in PROBES[1:])
        n = len(expected) + 1
        for batch in (jobs, retry):
            pending = [(k, s) for k, s in batch if not result[k]]
            for (k, _), ids in zip(pending, self.encode_many([s for _, s in pending], at_start)):
                if ids[: n - 1] == expected and len(ids) >= n and ids[n - 1] == candidates[k]:
                    result[k] = True
        return result
