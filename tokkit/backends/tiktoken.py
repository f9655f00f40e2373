"""tiktoken BPE files (OpenAI's ``.tiktoken`` rank files) behind the tokkit contract.

A ``.tiktoken`` file holds only the mergeable ranks (``base64(token bytes) rank`` per
line). The split regex and the special tokens are part of the encoding's definition, not
of the file, so tokkit takes them from the installed ``tiktoken_ext.openai_public``
definitions (r50k_base, p50k_base, cl100k_base, o200k_base), recognising the file by
its SHA-256 (the hash tiktoken itself checks), else by its file name, else by its number
of ranks. A file that matches none is loaded with cl100k_base's regex and no special
tokens, with a warning that says so (also recorded in ``provenance``): the ranks alone
cannot tell which regex they were trained with.

Conventions chosen here:

* ``encode`` is tiktoken's ``encode_ordinary``: special-token text in the input (say
  ``<|endoftext|>``) is plain text. tiktoken's own ``encode`` refuses such text by default;
  the transformers equivalent gets ``split_special_tokens=True`` to behave the same.
* Byte-level vocabulary strings: ``id_to_token`` writes a token's bytes in GPT-2's byte
  alphabet (``Ġ`` for a space), as the HF conversion's ``tokenizer.json`` does.
* Ids no token has (cl100k_base skips 100256 and 100261-100275) are unused: their
  ``token_bytes`` is ``None`` and ``id_to_token`` raises ``IndexError``.

The HF conversion recovers the merge list from the ranks: tiktoken merges, within a
pre-token, the adjacent pair whose concatenation has the lowest rank, and a pre-token that
is itself a token is taken whole. So each multi-byte token's merge is the last step of BPE
run on its own bytes with only lower ranks, merges are ordered by the rank of their
result, and the HF BPE gets ``ignore_merges=True``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import re
import threading
import warnings
from pathlib import Path
from typing import Any, Sequence

import tiktoken
from tokenizers import AddedToken, Regex
from tokenizers import Tokenizer as RustTokenizer
from tokenizers import decoders, models, pre_tokenizers

from tokkit.backends.hf import write_tokenizer_json
from tokkit.backends.transformers_config import role_tokens, write_tokenizer_config
from tokkit.byte_map import bytes_to_chars, chars_to_bytes
from tokkit.errors import TokkitError, first_line, require
from tokkit.tokenizer import Piece, Provenance, SpecialTokens, Tokenizer

#: the encodings tokkit recognises, by their constructor in tiktoken_ext.openai_public
KNOWN_ENCODINGS = ("cl100k_base", "o200k_base", "p50k_base", "r50k_base")
#: how many ranks each published file holds (the file does not say which encoding it is)
_RANK_COUNTS = {"r50k_base": 50256, "p50k_base": 50280, "cl100k_base": 100256, "o200k_base": 199998}
FALLBACK = "cl100k_base"
_SWAP_LOCK = threading.Lock()


def encoding_definition(name: str, ranks: dict[bytes, int]) -> tuple[dict[str, Any], str | None]:
    """The definition ``tiktoken_ext.openai_public.<name>()`` returns, with ``ranks`` in it.

    The constructor would download its rank file; it is run with the module's loader
    swapped for one that hands back ``ranks`` and records the SHA-256 the published file
    must have. Returns (definition, expected sha256). The swap is a module attribute: it is
    made under a lock (one definition at a time) and undone in a ``finally``, whatever the
    constructor raises.
    """
    module = importlib.import_module("tiktoken_ext.openai_public")
    asked: dict[str, str | None] = {}

    def local_ranks(_url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        asked["hash"] = expected_hash
        return ranks

    with _SWAP_LOCK:
        original = module.load_tiktoken_bpe
        module.load_tiktoken_bpe = local_ranks
        try:
            definition = getattr(module, name)()
        finally:
            module.load_tiktoken_bpe = original
    return definition, asked.get("hash")


def _identify(path: Path, digest: str, ranks: dict[bytes, int]) -> tuple[dict[str, Any] | None, str]:
    """Which known encoding a rank file is, and how that was decided."""
    definitions = {name: encoding_definition(name, ranks) for name in KNOWN_ENCODINGS}
    for name, (definition, expected) in definitions.items():
        if expected == digest:
            return definition, "sha256"
    stem = path.name.split(".")[0]
    if stem in definitions:
        return definitions[stem][0], "file name"
    for name, count in _RANK_COUNTS.items():
        if len(ranks) == count:
            return definitions[name][0], "rank count"
    return None, "none"


def recover_merges(ranks: dict[bytes, int]) -> list[tuple[bytes, bytes]]:
    """The BPE merge list that reproduces tiktoken's rank-ordered merging.

    For each token of two or more bytes (in rank order), run BPE on its bytes using only
    tokens of lower rank until two parts remain: those two parts are its merge.
    """
    merges = []
    for token, rank in sorted(ranks.items(), key=lambda item: item[1]):
        if len(token) < 2:
            continue
        parts = [token[i:i + 1] for i in range(len(token))]
        while len(parts) > 2:
            best_rank, best_at = None, -1
            for i in range(len(parts) - 1):
                found = ranks.get(parts[i] + parts[i + 1])
                if found is not None and found < rank and (best_rank is None or found < best_rank):
                    best_rank, best_at = found, i
            if best_rank is None:
                raise TokkitError(f"token of rank {rank} cannot be built from lower ranks: not a BPE rank file")
            parts[best_at:best_at + 2] = [parts[best_at] + parts[best_at + 1]]
        merges.append((parts[0], parts[1]))
    return merges


def onig_pattern(pattern: str) -> str:
    """tiktoken's regex (Rust ``fancy-regex``) for ``tokenizers``' Oniguruma.

    Oniguruma reads ``{n,m}+`` not as a possessive quantifier but as ``(...{n,m})+``, so
    ``\\p{N}{1,3}+`` would take a whole digit run. In tiktoken's patterns such a quantifier
    ends its alternative, where possessive and greedy match the same, so it becomes greedy.
    (``?+``, ``*+`` and ``++`` mean the same in both engines.)
    """
    return re.sub(r"(\{\d+(?:,\d*)?\})\+", r"\1", pattern)


def byte_level_bpe(ranks: dict[bytes, int], pattern: str, specials: dict[str, int]) -> RustTokenizer:
    """A ``tokenizers`` byte-level BPE that encodes as tiktoken does with these ranks."""
    vocab = {bytes_to_chars(token): rank for token, rank in ranks.items()}
    vocab.update(specials)
    merges = [(bytes_to_chars(a), bytes_to_chars(b)) for a, b in recover_merges(ranks)]
    rust = RustTokenizer(models.BPE(vocab=vocab, merges=merges, ignore_merges=True))
    rust.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(onig_pattern(pattern)), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    rust.decoder = decoders.ByteLevel()
    rust.add_special_tokens([AddedToken(text, special=True, normalized=False) for text in specials])
    return rust


class TiktokenTokenizer(Tokenizer):
    """A ``tiktoken.Encoding`` (ranks, regex, special tokens)."""

    format = "tiktoken"

    def __init__(self, encoding: tiktoken.Encoding, source: bytes, name: str = "tiktoken",
                 provenance: Provenance | None = None):
        super().__init__(name, provenance)
        self._enc = encoding
        self._source = source  # the .tiktoken file, written back by save()
        self._ranks: dict[bytes, int] = encoding._mergeable_ranks
        self._by_id = {rank: token for token, rank in self._ranks.items()}
        self._special_by_id = {i: text for text, i in encoding._special_tokens.items()}
        eot = encoding._special_tokens.get("<|endoftext|>")
        self._specials = SpecialTokens(eos=eot)
        self._rust: RustTokenizer | None = None

    @property
    def encoding(self) -> tiktoken.Encoding:
        return self._enc

    @property
    def source(self) -> bytes:
        """The ``.tiktoken`` file's bytes, as read (what ``save`` writes back)."""
        return self._source

    # -- contract ------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return self._enc.n_vocab

    @property
    def special_ids(self) -> frozenset[int]:
        return frozenset(self._special_by_id)

    def encode(self, text: str) -> list[int]:
        return self._enc.encode_ordinary(text)

    def encode_batch(self, texts) -> list[list[int]]:
        """tiktoken's batch encoder (a thread pool over the Rust core)."""
        return self._enc.encode_ordinary_batch(list(texts))

    def decode(self, ids: Sequence[int]) -> str:
        return self._enc.decode(list(ids))

    def id_to_token(self, id: int) -> str:
        if id in self._special_by_id:
            return self._special_by_id[id]
        token = self._by_id.get(id)
        if token is None:
            raise IndexError(f"id {id} is not a token of {self._enc.name} (vocab size {self.vocab_size})")
        return bytes_to_chars(token)

    def token_to_id(self, token: str) -> int | None:
        if token in self._enc._special_tokens:
            return self._enc._special_tokens[token]
        raw = chars_to_bytes(token)
        return None if raw is None else self._ranks.get(raw)

    def token_bytes(self, id: int) -> bytes | None:
        return self._by_id.get(id)  # None for special and unused ids

    def tokens(self, text: str) -> list[Piece]:
        """Tokens with character spans; a token holding part of a character gets all of it."""
        ids = self.encode(text)
        char_at: list[int] = []  # char index of every UTF-8 byte of the text
        for index, char in enumerate(text):
            char_at.extend([index] * len(char.encode("utf-8")))
        pieces, offset = [], 0
        for id in ids:
            size = len(self._by_id[id])
            start, end = char_at[offset], char_at[offset + size - 1] + 1
            pieces.append(Piece(id, self.id_to_token(id), start, end))
            offset += size
        return pieces

    # -- saving and conversion -----------------------------------------------------------
    def hf_tokenizer(self) -> RustTokenizer:
        """The equivalent ``tokenizers`` byte-level BPE (built once, then cached)."""
        if self._rust is None:
            self._rust = byte_level_bpe(self._ranks, self._enc._pat_str, self._enc._special_tokens)
        return self._rust

    def _write(self, folder: Path) -> dict[str, Any]:
        (folder / f"{self._enc.name}.tiktoken").write_bytes(self._source)
        write_tokenizer_json(self.hf_tokenizer(), folder / "tokenizer.json")
        write_tokenizer_config(folder, self, split_special_tokens=True)
        return {"encoding": self._enc.name}

    def to_transformers(self):
        """``PreTrainedTokenizerFast`` over :meth:`hf_tokenizer`; special-token text stays text."""
        transformers = require("transformers", "lm")
        rust = RustTokenizer.from_str(self.hf_tokenizer().to_str())
        return transformers.PreTrainedTokenizerFast(tokenizer_object=rust, split_special_tokens=True, **role_tokens(self))


def parse_ranks(data: bytes, source: str) -> dict[bytes, int]:
    """The mergeable ranks of a ``.tiktoken`` file: one ``base64(token bytes) rank`` per line.

    Written here rather than calling ``tiktoken.load.load_tiktoken_bpe``, which keeps a
    copy of every file it reads in a shared cache folder (``<tmp>/data-gym-cache`` by
    default, world-readable), and accepts a token or a rank twice (the Rust encoder then
    panics). Any malformed line is one clear error naming it.
    """
    ranks: dict[bytes, int] = {}
    seen: set[int] = set()
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split()
        try:
            if len(fields) != 2 or not fields[1].isdigit():
                raise ValueError("expected 'base64 rank'")
            token, rank = base64.b64decode(fields[0], validate=True), int(fields[1])
        except (ValueError, binascii.Error) as exc:
            raise TokkitError(f"{source} is not a valid tiktoken BPE file: line {number}: {first_line(exc)}") from None
        if token in ranks or rank in seen:
            what = f"the token {token!r}" if token in ranks else f"the rank {rank}"
            raise TokkitError(f"{source} is not a valid tiktoken BPE file: line {number} repeats {what}")
        ranks[token] = rank
        seen.add(rank)
    return ranks


def load_tiktoken(path: Path, name: str) -> TiktokenTokenizer:
    """``tokkit.load`` entry: a ``.tiktoken`` rank file (read locally, never downloaded or copied)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TokkitError(f"cannot read {path}: {exc.strerror or exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    ranks = parse_ranks(data, str(path))
    missing = [b for b in range(256) if bytes([b]) not in ranks]
    if missing or b"" in ranks:
        what = f"byte 0x{missing[0]:02X} has no rank" if missing else "it ranks an empty token"
        raise TokkitError(f"{path} is not a valid tiktoken BPE file: {what} (byte-level BPE needs all 256 bytes)")
    definition, matched_by = _identify(path, digest, ranks)
    params: dict[str, Any] = {"source": str(path), "matched_by": matched_by}
    if definition is None:
        definition = encoding_definition(FALLBACK, ranks)[0]
        definition = {**definition, "name": path.name.split(".")[0], "special_tokens": {}}
        params["pattern"] = f"{FALLBACK} (assumed)"
        warnings.warn(f"{path} is not a tiktoken encoding tokkit knows; using {FALLBACK}'s regex and no special tokens",
                      stacklevel=2)
    params["encoding"] = definition["name"]
    definition.pop("explicit_n_vocab", None)  # checked against the published file, not a local copy
    try:
        encoding = tiktoken.Encoding(**definition)
    except Exception as exc:
        raise TokkitError(f"{path} is not a valid tiktoken BPE file: {exc}") from exc
    return TiktokenTokenizer(encoding, data, name=name, provenance=Provenance("tiktoken", params))


def load_tiktoken_folder(path: Path, name: str) -> TiktokenTokenizer:
    """A folder tokkit saved a tiktoken encoding into (one ``*.tiktoken`` file)."""
    files = sorted(Path(path).glob("*.tiktoken"))
    if len(files) != 1:
        raise TokkitError(f"{path} should hold exactly one .tiktoken file, found {len(files)}")
    return load_tiktoken(files[0], name)
