"""The fast path of validity: BPE's pairwise rules for byte-level BPE with regex
pre-tokenization.

:class:`~tokkit.byte_level.canonical.Canonical` decides whether a token may follow a
window by re-encoding (the definition, Phan et al. 2024). For byte-level BPE behind a
regex pre-tokenizer (GPT-2, cl100k, SmolLM2) most of a vocabulary can be decided without
it: where the next token starts a new pre-token, from a verdict computed once per token;
where it joins the window's last pre-token, from whether BPE keeps that one pair of
tokens, since a BPE tokenization is valid iff each adjacent pair is (Berglund & van der
Merwe 2023, "Formalizing BPE Tokenization"). :class:`PieceRules` answers for the tokens it
can decide exactly and leaves the rest to re-encoding.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Sequence

import numpy as np
from tokenizers import Tokenizer as RustTokenizer

from tokkit.byte_level.continuations import PROBES, completions, needs_probes, utf8_split
from tokkit.byte_map import bytes_to_chars


class PieceRules:
    """Fast validity for byte-level BPE with regex pre-tokenization (GPT-2, cl100k,
    SmolLM2), exact for the cases it decides and silent on the rest.

    Re-encoding ``tail + t`` for every token of a 50k vocabulary costs a quarter second;
    most tokens can be decided from how one short text pre-tokenizes instead. Let ``w`` be
    the window's text and ``c`` the first character of ``t`` (for ``t`` that starts with
    whitespace: the run and the character after it); pre-tokenize ``w + c``:

    * **a new pre-token starts at** ``c`` (and ``w``'s own pieces stay): the pieces after
      ``w`` do not depend on ``w`` (the regex has no look-behind), so ``tail + t`` is valid
      iff ``encode(w) == tail`` and ``t`` is the first token of ``encode(text(t))``, which
      is computed once per token;
    * ``c`` **joins** ``w``'s last piece, and ``t`` is all letters or all punctuation (so
      the piece runs on through all of ``t``): the piece's BPE is the tail's last tokens
      plus ``t`` iff the pair (last token, ``t``) is what BPE makes of its two tokens' bytes
      and ``t`` is what BPE makes of its own bytes: BPE validity is pairwise (Berglund &
      van der Merwe 2023; ByteSampler checks adjacent pairs too). Pairs are cached by
      left token;
    * ``c`` **takes the last character** of ``w``'s last piece into a new piece (a
      whitespace run before a word: ``\\s+(?!\\S)`` leaves its last space to the word):
      valid iff the tail ends with that character as a token of its own, after the
      canonical encoding of the rest, and the pair rule holds as for a join.

    The regexes look ahead one character at most (``\\s+(?!\\S)`` looks at ``c``), except
    contractions after an apostrophe. Everything else is left to re-encoding: windows that
    end in an apostrophe or whose last piece starts with one (a contraction ends it
    early), or inside a character, tokens that start or end inside a
    character, that end in whitespace or an apostrophe, that hold digits (digit groups) or
    mixed classes, and any ``c`` after which ``w``'s pieces change.
    Applies only to a BPE model with merges in rank order, no normalizer and no dummy
    prefix (:meth:`for_tokenizer` says whether a tokenizer is one).
    """

    def __init__(self, rust: RustTokenizer, token_bytes: Sequence[bytes | None], model: dict):
        """``rust``: the ``tokenizers.Tokenizer``; ``token_bytes``: every token's bytes, in
        id order; ``model``: the ``model`` section of its JSON (vocabulary and merges)."""
        self.rust = rust
        self.token_bytes = token_bytes
        self.vocab_size = size = len(token_bytes)
        self.pre = rust.pre_tokenizer
        self.first_index = np.full(size, -1, dtype=np.int64)
        index: dict[str | bytes, int] = {}
        self.kind = np.zeros(size, dtype=np.int8)  # 1 letters only, 2 punctuation only
        self.standalone = np.zeros(size, dtype=bool)
        jobs = []
        for t, raw in enumerate(token_bytes):
            split = utf8_split(raw) if raw else None
            if split is None:
                continue
            text, partial = split
            key = _lead_key(text, partial)
            if key is None:
                continue
            self.first_index[t] = index.setdefault(key, len(index))
            if partial:
                endings: Sequence[str] = completions(partial)
            elif needs_probes(text):
                endings = PROBES
            else:
                endings = ("",)
                self.kind[t] = 1 if all(_cls(ch) == "L" for ch in text) else 2 if all(_cls(ch) == "P" for ch in text) else 0
            jobs.extend((t, text + e) for e in endings)
        for (t, _), ids in zip(jobs, _encode_batch(rust, [x for _, x in jobs])):
            self.standalone[t] |= ids[:1] == [t]
        # the BPE model alone (no normalizer, no pre-tokenizer), to tokenize many pieces in one call
        self.bpe = type(rust)(rust.model)
        self.spelled = [bytes_to_chars(raw) if raw else "" for raw in token_bytes]
        self.reachable = np.array([ids == [t] and bool(self.spelled[t]) for t, ids in enumerate(self.tokenize(self.spelled))])
        self.first_chars: list[str | bytes] = list(index)
        self._pairs: dict[int, np.ndarray] = {}
        self._read_merges(model)

    def _read_merges(self, model: dict) -> None:
        """Each token's two parts, the right parts merged onto each left part, and for
        each token the tokens whose left spine holds it (for :meth:`pairs`)."""
        vocab = model["vocab"]
        self.parts: dict[int, tuple[int, int]] = {}
        self.merges_from: dict[int, list[int]] = {}
        for merge in model["merges"]:
            a, b = merge if isinstance(merge, list) else merge.split(" ", 1)
            ia, ib, iab = vocab.get(a), vocab.get(b), vocab.get(a + b)
            if ia is None or ib is None or iab is None:
                continue
            self.parts.setdefault(iab, (ia, ib))
            self.merges_from.setdefault(ia, []).append(ib)
        # on_left_spine[a]: the tokens whose left spine holds a (an inverted index)
        members: dict[int, list[int]] = {}
        for t in range(self.vocab_size):
            for a in self._spine(t, 0):
                members.setdefault(a, []).append(t)
        self.on_left_spine = {a: np.array(ts, dtype=np.int64) for a, ts in members.items()}

    def _spine(self, token: int, side: int) -> list[int]:
        out = [token]
        while out[-1] in self.parts:
            out.append(self.parts[out[-1]][side])
        return out

    def right_spine(self, token: int) -> list[int]:
        return self._spine(token, 1)

    @classmethod
    def for_tokenizer(cls, rust: RustTokenizer, token_bytes: Sequence[bytes | None]) -> PieceRules | None:
        """The rules of ``rust`` (a ``tokenizers.Tokenizer`` whose tokens have
        ``token_bytes``), or ``None`` where they do not apply: a model other than BPE with
        merges in rank order (``ignore_merges``, dropout), a normalizer, no pre-tokenizer,
        or pieces that are not byte-level strings or get a space put before them."""
        model = json.loads(rust.to_str()).get("model") or {}
        if model.get("type") != "BPE" or model.get("ignore_merges") or model.get("dropout") or rust.normalizer is not None:
            return None
        if rust.pre_tokenizer is None:
            return None
        probe = rust.pre_tokenizer.pre_tokenize_str("é x")
        if [p for p, _ in probe][:1] != [bytes_to_chars("é".encode())]:
            return None  # pieces are not byte-level strings, or a dummy-prefix space leads them
        return cls(rust, token_bytes, model)

    def pieces(self, text: str) -> list[tuple[int, int]]:
        return [span for _, span in self.pre.pre_tokenize_str(text)]

    def pairs(self, left: int, rights: np.ndarray) -> np.ndarray:
        """Whether BPE makes ``[left, r]`` of the two tokens' bytes, for each ``r`` (cached).

        A merge can cross the boundary only between a token on ``left``'s right spine
        (the right edges it was built through) and one on ``r``'s left spine; pairs with no
        such merge are valid without looking, the others are tokenized."""
        known = self._pairs.get(left)
        if known is None:
            known = self._pairs[left] = np.full(self.vocab_size, -1, dtype=np.int8)
            partners = [b for a in self.right_spine(left) for b in self.merges_from.get(a, ())]
            known[:] = 1
            spines = [self.on_left_spine[b] for b in partners if b in self.on_left_spine]
            if spines:
                known[np.concatenate(spines)] = -1
        todo = rights[known[rights] < 0].tolist()
        head = self.spelled[left]
        for r, ids in zip(todo, self.tokenize([head + self.spelled[r] for r in todo])):
            known[r] = ids == [left, r]
        return known[rights] == 1

    def tokenize(self, pieces: list[str]) -> list[list[int]]:
        """The BPE model's tokens for each byte-level piece (one Rust call for all)."""
        return _encode_batch(self.bpe, pieces)

    def _encode(self, text: str) -> list[int]:
        return self.rust.encode(text, add_special_tokens=False).ids

    def _verdict(self, base: list[tuple[int, int]], w: str, key: str) -> int:
        """1 if a new piece starts at ``key`` after ``w`` (whose pieces stay), 2 if the
        one-character ``key`` joins ``w``'s last piece, 3 if it takes the last character
        of ``w``'s last piece into a new piece (a whitespace run before a word:
        ``\\s+(?!\\S)`` leaves its last space to the word), 0 otherwise."""
        n = len(w)
        got = self.pieces(w + key)
        if got[: len(base)] == base and len(got) > len(base) and got[len(base)][0] == n:
            # a whitespace run that reaches the end of the key looks past it
            return 0 if key[-1].isspace() and w[-1:].isspace() else 1
        if len(key) == 1 and base and got == base[:-1] + [(base[-1][0], n + 1)]:
            return 2
        if len(key) == 1 and base and base[-1][1] - base[-1][0] > 1 and got == base[:-1] + [(base[-1][0], n - 1), (n - 1, n + 1)]:
            return 3
        return 0

    def decide(self, tail: tuple[int, ...], candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(valid, undecided) for each candidate; undecided ones need re-encoding."""
        result = np.zeros(len(candidates), dtype=bool)
        undecided = np.ones(len(candidates), dtype=bool)
        try:
            w = b"".join(self.token_bytes[t] or b"" for t in tail).decode("utf-8")
        except UnicodeDecodeError:
            return result, undecided
        base = self.pieces(w)
        if w.endswith("'") or (base and w[base[-1][0]] == "'"):  # contractions end a piece early
            return result, undecided
        encoded_ok = self._encode(w) == list(tail)
        firsts = self.first_index[candidates]
        verdict = np.zeros(len(self.first_chars), dtype=np.int8)  # 1 new piece, 2 joins, 3 splits
        for f in np.unique(firsts[firsts >= 0]).tolist():
            first = self.first_chars[f]
            chars = completions(first) if isinstance(first, bytes) else (first,)
            verdicts = {self._verdict(base, w, c) for c in chars}
            verdict[f] = verdicts.pop() if len(verdicts) == 1 and (len(chars) == 1 or 1 in verdicts) else 0
        how = np.where(firsts >= 0, verdict[np.maximum(firsts, 0)], 0)
        new = how == 1
        result[new] = encoded_ok & self.standalone[candidates[new]]
        undecided[new] = False
        join = (how == 2) & (self.kind[candidates] > 0)
        if join.any():
            result[join] = self.reachable[candidates[join]] & self.pairs(tail[-1], candidates[join])
            undecided[join] = False
        split = (how == 3) & (self.kind[candidates] > 0)
        if split.any():  # valid iff the tail ends with that last character alone, then as a join
            alone = self.token_bytes[tail[-1]] == w[-1].encode() and self._encode(w[:-1]) == list(tail[:-1])
            result[split] = alone and self.reachable[candidates[split]] & self.pairs(tail[-1], candidates[split])
            undecided[split] = False
        return result, undecided


def _lead_key(text: str, partial: bytes) -> str | bytes | None:
    """What decides where a token's first piece starts after a window: its first
    character; for a token that starts with whitespace, the whitespace run and the
    character after it (``\\s+(?!\\S)`` looks there); a lone partial character as bytes."""
    if not text:
        return partial
    if not text[0].isspace():
        return text[0]
    run = len(text) - len(text.lstrip())
    if run == len(text) and partial:
        return None
    return text[: run + 1]


def _cls(ch: str) -> str:
    """L (letter), N (number), S (space), A (apostrophe) or P (anything else)."""
    if ch == "'":
        return "A"
    if ch.isspace():
        return "S"
    major = unicodedata.category(ch)[0]
    return "L" if major == "L" else "N" if major == "N" else "P"


def _encode_batch(rust: RustTokenizer, texts: list[str]) -> list[list[int]]:
    """The ids of each text, encoded by ``rust`` in one call."""
    return [e.ids for e in rust.encode_batch_fast(texts, add_special_tokens=False)] if texts else []
