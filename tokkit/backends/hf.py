"""Tokenizers in Hugging Face's ``tokenizers`` format (``tokenizer.json``).

This is the backend most of tokkit stands on: every trainer builds a
``tokenizers.Tokenizer``, and GGUF vocabularies are converted into one. The Rust library
does the encoding; this module adds what the contract needs on top: exact bytes per
token (read off the decoder: byte-level, byte-fallback, meta-space or plain), special
tokens by role, and saving.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from tokenizers import Tokenizer as RustTokenizer

from tokkit.byte_map import byte_piece, chars_to_bytes
from tokkit.backends.transformers_config import read_tokenizer_config, role_tokens, write_tokenizer_config
from tokkit.errors import TokkitError, first_line
from tokkit.tokenizer import Piece, Provenance, SpecialTokens, Tokenizer

# Literal strings that name a role, for tokenizers that carry no role metadata of their own.
_ROLE_NAMES = {
    "bos": ("<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>", "<|endoftext|>"),
    "eos": ("</s>", "<|end_of_text|>", "<eos>", "<|endoftext|>"),
    "pad": ("<pad>", "<|pad|>", "[PAD]", "<|finetune_right_pad_id|>"),
    "unk": ("<unk>", "[UNK]", "<|unk|>"),
}


def _decoder_kinds(decoder: dict | None) -> set[str]:
    """The decoder types in a tokenizer.json ``decoder`` (flattening Sequence)."""
    if not decoder:
        return set()
    if decoder.get("type") == "Sequence":
        kinds: set[str] = set()
        for sub in decoder.get("decoders", []):
            kinds |= _decoder_kinds(sub)
        if any(d.get("type") == "Replace" and d.get("pattern", {}).get("String") == "▁" for d in decoder.get("decoders", [])):
            kinds.add("Metaspace")
        return kinds
    return {decoder.get("type", "")}


class HFTokenizer(Tokenizer):
    """A ``tokenizers.Tokenizer`` behind the tokkit contract."""

    format = "hf"

    def __init__(
        self,
        tokenizer: RustTokenizer,
        name: str = "tokenizer",
        specials: SpecialTokens | None = None,
        provenance: Provenance | None = None,
        chat_template: str | None = None,
    ):
        super().__init__(name, provenance)
        self._tok = tokenizer
        # read the decoder and added tokens alone: parsing the whole tokenizer.json (the
        # vocabulary and merges) would cost a noticeable share of a small BPE training
        decoder = tokenizer.decoder
        self._kinds = _decoder_kinds(json.loads(decoder.__getstate__()) if decoder is not None else None)
        added = tokenizer.get_added_tokens_decoder()
        self._added = {i: {"id": i, "content": t.content, "special": t.special} for i, t in added.items()}
        self._special_ids = frozenset(i for i, t in self._added.items() if t.get("special"))
        self._specials = specials or self._guess_roles(json.loads(tokenizer.to_str()))
        self.chat_template = chat_template

    @property
    def backend(self) -> RustTokenizer:
        """The underlying ``tokenizers.Tokenizer``."""
        return self._tok

    def _guess_roles(self, config: dict) -> SpecialTokens:
        by_text = {t["content"]: i for i, t in self._added.items()}
        roles: dict[str, int] = {}
        for role, names in _ROLE_NAMES.items():
            for literal in names:
                if literal in by_text:
                    roles[role] = by_text[literal]
                    break
        unk = (config.get("model") or {}).get("unk_token")
        if unk is not None and "unk" not in roles:
            unk_id = self._tok.token_to_id(unk)
            if unk_id is not None:
                roles["unk"] = unk_id
        if isinstance((config.get("model") or {}).get("unk_id"), int) and "unk" not in roles:
            roles["unk"] = config["model"]["unk_id"]
        return SpecialTokens(**roles)

    # -- contract ------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return self._tok.get_vocab_size(with_added_tokens=True)

    @property
    def special_ids(self) -> frozenset[int]:
        return self._special_ids

    def encode(self, text: str) -> list[int]:
        return self._tok.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts) -> list[list[int]]:
        texts = list(texts)
        fast = getattr(self._tok, "encode_batch_fast", None) or self._tok.encode_batch
        return [e.ids for e in fast(texts, add_special_tokens=False)]

    def decode(self, ids: Sequence[int]) -> str:
        return self._tok.decode(list(ids), skip_special_tokens=False)

    def id_to_token(self, id: int) -> str:
        token = self._tok.id_to_token(id)
        if token is None:
            raise IndexError(f"id {id} is outside the vocabulary (size {self.vocab_size})")
        return token

    def token_to_id(self, token: str) -> int | None:
        return self._tok.token_to_id(token)

    def token_bytes(self, id: int) -> bytes | None:
        if id in self._special_ids:
            return None
        token = self.id_to_token(id)
        if id in self._added:  # added, non-special tokens hold literal text
            return token.encode("utf-8")
        if "ByteLevel" in self._kinds:
            raw = chars_to_bytes(token)
            return raw if raw is not None else token.encode("utf-8")
        if "ByteFallback" in self._kinds:
            byte = byte_piece(token)
            if byte is not None:
                return bytes([byte])
        if "Metaspace" in self._kinds:
            token = token.replace("▁", " ")
        return token.encode("utf-8")

    def tokens(self, text: str) -> list[Piece]:
        enc = self._tok.encode(text, add_special_tokens=False)
        return [Piece(i, t, s, e) for i, t, (s, e) in zip(enc.ids, enc.tokens, enc.offsets)]

    def _write(self, folder: Path) -> dict[str, Any]:
        write_tokenizer_json(self._tok, folder / "tokenizer.json")
        write_tokenizer_config(folder, self, chat_template=self.chat_template)
        return {}

    def to_tokenizers(self) -> RustTokenizer:
        """The underlying ``tokenizers.Tokenizer`` itself."""
        return self._tok

    def to_transformers(self):
        from tokkit.errors import require

        transformers = require("transformers", "lm")
        fast = transformers.PreTrainedTokenizerFast(tokenizer_object=RustTokenizer.from_str(self._tok.to_str()), **role_tokens(self))
        if self.chat_template:
            fast.chat_template = self.chat_template
        return fast


def write_tokenizer_json(rust: RustTokenizer, path: Path) -> None:
    """Write ``rust`` to ``path`` as ``rust.save`` does (the same pretty JSON), but from
    Python: ``save`` reports a full disk as a bare ``Exception`` with the OS error in its
    text, where a Python write raises the OSError that tokkit's atomic outputs turn into
    one line."""
    path.write_text(rust.to_str(pretty=True), encoding="utf-8")


def _check_ids(rust: RustTokenizer, path: Path) -> None:
    """Refuse a vocabulary whose ids are not exactly 0 .. size - 1, one token each: the
    Rust loader accepts gaps and repeated ids, and every id below the size is taken to
    have a token (an IndexError deep in an evaluation otherwise)."""
    size = rust.get_vocab_size(with_added_tokens=True)
    ids = set(rust.get_vocab(with_added_tokens=True).values())
    if len(ids) != size or max(ids, default=-1) >= size:  # ids are unsigned: then they are 0 .. size - 1
        missing = min(set(range(size)) - ids, default=None)
        raise TokkitError(f"{path} is not a valid tokenizer.json: its ids are not 0 to {size - 1} with one token each"
                          + (f" (id {missing} has none)" if missing is not None else ""))


def load_tokenizer_json(path: Path, name: str | None = None) -> HFTokenizer:
    """Load a ``tokenizer.json`` file, reading roles from a ``tokenizer_config.json`` beside it."""
    try:
        rust = RustTokenizer.from_file(str(path))
    except Exception as exc:  # the Rust loader raises a bare Exception on bad JSON
        raise TokkitError(f"{path} is not a valid tokenizer.json: {first_line(exc)}") from exc
    _check_ids(rust, path)
    specials, template = read_tokenizer_config(path.parent, rust.token_to_id)
    return HFTokenizer(rust, name=name or str(path), specials=specials, chat_template=template)
