"""Carrying a model's chat template to a tokenizer of another family: its special tokens go along.

A chat model's template names control tokens (ChatML's ``<|im_start|>`` and ``<|im_end|>``,
Llama-3's ``<|start_header_id|>``); a new tokenizer trained elsewhere lacks them, and a
template whose markers are not single tokens is not the format the model was trained on.
As tokenkit does when a transfer keeps the source model's special tokens (its tokenizer
spec ``...:source=Qwen2:target=Qwen2``, "safer" in its words, against switching to the new
family's and rewriting the template), the template's tokens the new tokenizer lacks are
added to it as special tokens (:class:`WithSpecials`, new ids after the last one), so the
transplant matches them by text and copies the old model's rows, and the template goes
along unchanged. Role tokens that a template uses through variables (``bos_token``,
``eos_token``) need nothing: the saved tokenizer names the new tokenizer's own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Sequence

from tokkit.errors import TokkitError
from tokkit.tokenizer import Piece, Tokenizer


def template_tokens(template: str | None, old: Tokenizer) -> list[str]:
    """The control tokens ``template`` names literally: the old vocabulary's special tokens
    and anything spelled ``<|...|>``, in sorted order."""
    if not template:
        return []
    named = {old.id_to_token(i) for i in old.special_ids}
    named |= set(re.findall(r"<\|[^|<>]+\|>", template))
    return sorted(t for t in named if t and t in template)


class WithSpecials(Tokenizer):
    """``base`` with the control tokens ``added`` after its last id. Text is cut at the added
    tokens' literals, each becoming its token; the rest is ``base``'s to encode."""

    def __init__(self, base: Tokenizer, added: Sequence[str]):
        super().__init__(base.name, base.provenance)
        self.base = base
        self.added = list(added)
        self.format = base.format
        self._ids = {token: base.vocab_size + k for k, token in enumerate(self.added)}
        self._split = re.compile("(" + "|".join(re.escape(t) for t in sorted(self.added, key=len, reverse=True)) + ")")
        self._specials = base.specials

    @property
    def vocab_size(self) -> int:
        return self.base.vocab_size + len(self.added)

    @property
    def special_ids(self) -> frozenset[int]:
        return self.base.special_ids | frozenset(self._ids.values())

    def _parts(self, text: str) -> list[tuple[str, int]]:
        """``text`` cut into (part, start offset): added literals alone, the rest between them."""
        parts, start = [], 0
        for part in self._split.split(text):
            if part:
                parts.append((part, start))
            start += len(part)
        return parts

    def encode(self, text: str) -> list[int]:
        return self.encode_batch([text])[0]

    def encode_batch(self, texts: Iterable[str]) -> list[list[int]]:
        cut = [self._parts(text) for text in texts]
        plain = [part for parts in cut for part, _ in parts if part not in self._ids]
        encoded = iter(self.base.encode_batch(plain))
        return [[i for part, _ in parts for i in ([self._ids[part]] if part in self._ids else next(encoded))] for parts in cut]

    def tokens(self, text: str) -> list[Piece]:
        out: list[Piece] = []
        for part, start in self._parts(text):
            if part in self._ids:
                out.append(Piece(self._ids[part], part, start, start + len(part)))
            else:
                out += [Piece(p.id, p.token, p.start + start, p.end + start) for p in self.base.tokens(part)]
        return out

    def decode(self, ids: Sequence[int]) -> str:
        text, run = [], []
        for i in ids:
            if i >= self.base.vocab_size:
                text.append(self.base.decode(run) + self.added[i - self.base.vocab_size])
                run = []
            else:
                run.append(i)
        return "".join(text) + self.base.decode(run)

    def id_to_token(self, id: int) -> str:
        return self.added[id - self.base.vocab_size] if id >= self.base.vocab_size else self.base.id_to_token(id)

    def token_to_id(self, token: str) -> int | None:
        return self._ids.get(token, self.base.token_to_id(token))

    def token_bytes(self, id: int) -> bytes | None:
        return None if id >= self.base.vocab_size else self.base.token_bytes(id)

    def to_transformers(self):
        from transformers import AddedToken

        fast = self.base.to_transformers()
        if len(fast) != self.base.vocab_size:
            raise TokkitError(f"cannot add special tokens to {self.name}: its transformers tokenizer has {len(fast):,} ids, not {self.base.vocab_size:,}")
        fast.add_tokens([AddedToken(t, special=True, normalized=False) for t in self.added], special_tokens=True)
        if [fast.convert_tokens_to_ids(t) for t in self.added] != [self._ids[t] for t in self.added]:
            raise TokkitError(f"cannot add special tokens to {self.name}: its transformers tokenizer gave them other ids")
        return fast

    def _write(self, folder: Path) -> dict[str, Any]:
        self.to_transformers().save_pretrained(folder)
        return {"added_specials": self.added}


def carry_template_tokens(template: str | None, old: Tokenizer, new: Tokenizer) -> tuple[Tokenizer, list[str]]:
    """``new``, with the control tokens ``template`` names that ``old`` has and ``new`` lacks
    added (:class:`WithSpecials`), and the list of them (empty: ``new`` itself)."""
    missing = [t for t in template_tokens(template, old) if new.token_to_id(t) is None and old.token_to_id(t) is not None]
    return (WithSpecials(new, missing), missing) if missing else (new, [])
