"""SentencePiece ``.model`` files (Kudo & Richardson 2018) behind the tokkit contract.

The ``sentencepiece`` library does the encoding, from the model's serialized bytes (a
protobuf ``ModelProto``; nothing is unpickled). SentencePiece normalizes before it
segments: spaces become the meta symbol ``▁``, a dummy ``▁`` is put in front of the text
(``add_dummy_prefix``), and the normalization rule (``identity``, ``nmt_nfkc``, ...) may
rewrite characters and remove extra whitespace. So ``decode(encode(x)) == x`` holds only
for models with identity normalization and no whitespace removal; the rest are lossy by
design (see :func:`is_lossless`).

Conventions chosen here:

* Special-token text in the input is plain text: ``encode("<s>")`` spells ``<`` ``s``
  ``>``, as SentencePiece does (control pieces never come from text). The transformers
  equivalent gets ``split_special_tokens=True`` for the same behaviour.
* ``token_bytes``: ``▁`` is a space, ``<0xNN>`` byte pieces are that byte, control pieces
  and the unknown piece are ``None``: ``<unk>`` stands for text it cannot give back, so it
  contributes no known bytes (and is counted among :attr:`special_ids`).
* ``tokens`` gives character offsets into the input; the byte pieces of one character all
  get that character's span.
* ``decode`` keeps control pieces as their literal text (SentencePiece's own decoder drops
  them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import sentencepiece as spm

from tokkit.backends.hf import write_tokenizer_json
from tokkit.backends.transformers_config import read_tokenizer_config, role_tokens, write_tokenizer_config
from tokkit.byte_map import byte_piece
from tokkit.errors import TokkitError, require
from tokkit.tokenizer import Piece, Provenance, SpecialTokens, Tokenizer

_NEVER = -1e6  # a Unigram score below any real segmentation's total

# Pieces of every kind a converter must get right: scripts, digits, whitespace runs,
# characters outside most vocabularies (byte fallback), combining marks.
PROBE_TEXTS = [
    "Hello world! It's 2024: 1234567 cats, 3.14 dogs.",
    "  leading and   inner  spaces\tand tabs\nnew lines\n\n",
    "Kırmızı İstanbul ığdır; größer, naïve café — “quotes”",
    "敏捷的棕色狐狸 日本語のテキスト 한국어 텍스트",
    "Быстрая лиса; الثعلب البني; तेज़ भूरी लोमड़ी",
    "emoji 🎉🚀👩‍👩‍👧 and rare 𠀀𝔘𝔫𝔦 x\u0301",
    "def f(x):\n    return x ** 2  # code",
]


class SentencePieceTokenizer(Tokenizer):
    """A SentencePiece model, loaded from its serialized ``ModelProto`` bytes."""

    format = "sentencepiece"

    def __init__(
        self,
        model: bytes,
        name: str = "sentencepiece",
        specials: SpecialTokens | None = None,
        provenance: Provenance | None = None,
        chat_template: str | None = None,
    ):
        super().__init__(name, provenance)
        self._model = bytes(model)
        self._sp = spm.SentencePieceProcessor()
        try:
            self._sp.LoadFromSerializedProto(self._model)
        except Exception as exc:  # the C++ loader raises RuntimeError with a source location, no reason
            raise TokkitError(f"{name} is not a valid SentencePiece model (truncated, or not a ModelProto)") from exc
        size = self._sp.get_piece_size()
        self._control = frozenset(i for i in range(size) if self._sp.is_control(i))
        self._unknown = frozenset(i for i in range(size) if self._sp.is_unknown(i))
        self._specials = specials or SpecialTokens(
            **{role: i for role, i in (("bos", self._sp.bos_id()), ("eos", self._sp.eos_id()),
                                      ("pad", self._sp.pad_id()), ("unk", self._sp.unk_id())) if 0 <= i < size}
        )
        self.chat_template = chat_template

    @property
    def processor(self) -> spm.SentencePieceProcessor:
        """The underlying ``SentencePieceProcessor``."""
        return self._sp

    @property
    def model_bytes(self) -> bytes:
        """The serialized model, as read."""
        return self._model

    # -- contract ------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return self._sp.get_piece_size()

    @property
    def special_ids(self) -> frozenset[int]:
        return self._control | self._unknown

    def encode(self, text: str) -> list[int]:
        return self._sp.encode(text)

    def encode_batch(self, texts) -> list[list[int]]:
        """SentencePiece's batch encoder, which spreads the texts over threads."""
        return self._sp.encode(list(texts))

    def decode(self, ids: Sequence[int]) -> str:
        """SentencePiece's decoder, with control pieces kept as their literal text.

        Runs of ordinary pieces are decoded by SentencePiece; it drops the dummy-prefix
        space at the start of what it decodes, which is right only for the first run.
        """
        ids = [int(i) for i in ids]
        out: list[str] = []
        run: list[int] = []
        for i in ids + [None]:
            if i is None or i in self._control:
                if run:
                    text = self._sp.decode(run)
                    if out and self._sp.id_to_piece(run[0]).startswith("▁") and not text.startswith(" "):
                        text = " " + text
                    out.append(text)
                    run = []
                if i is not None:
                    out.append(self._sp.id_to_piece(i))
            else:
                run.append(i)
        return "".join(out)

    def id_to_token(self, id: int) -> str:
        if not 0 <= id < self.vocab_size:
            raise IndexError(f"id {id} is outside the vocabulary (size {self.vocab_size})")
        return self._sp.id_to_piece(id)

    def token_to_id(self, token: str) -> int | None:
        id = self._sp.piece_to_id(token)  # SentencePiece answers unk_id for unknown pieces
        return id if self._sp.id_to_piece(id) == token else None

    def token_bytes(self, id: int) -> bytes | None:
        if id in self._control or id in self._unknown:
            return None
        piece = self.id_to_token(id)
        if self._sp.is_byte(id):
            byte = byte_piece(piece)
            if byte is not None:
                return bytes([byte])
        return piece.replace("▁", " ").encode("utf-8")

    def tokens(self, text: str) -> list[Piece]:
        """Pieces with character offsets into ``text``.

        SentencePiece reports a multi-byte character that fell back to bytes as empty
        spans for all its bytes but the last; each byte piece gets the character's span.
        The dummy prefix ``▁`` keeps its empty span at 0: it covers no input character.
        """
        found = self._sp.encode(text, return_type="offset_mapping")
        spans = [list(span) for span in found["offsets"]]
        for k in range(len(spans) - 2, -1, -1):
            start, end = spans[k]
            if start == end and self._sp.is_byte(found["ids"][k]) and spans[k + 1][0] == start:
                spans[k][1] = spans[k + 1][1]
        return [Piece(i, p, s, e) for i, p, (s, e) in zip(found["ids"], found["pieces"], spans)]

    # -- saving and conversion -----------------------------------------------------------
    def _write(self, folder: Path) -> dict[str, Any]:
        """``tokenizer.model`` always; ``tokenizer.json`` when the conversion encodes the same.

        The conversion needs transformers and protobuf (``tokkit[lm]``); it is written only
        when :meth:`to_transformers` gives it, which it does when every one of
        :data:`PROBE_TEXTS` encodes identically.
        """
        (folder / "tokenizer.model").write_bytes(self._model)
        try:
            write_tokenizer_json(self.to_transformers().backend_tokenizer, folder / "tokenizer.json")
            exact = True
        except TokkitError:
            exact = False
        write_tokenizer_config(folder, self, split_special_tokens=True, chat_template=self.chat_template)
        return {"tokenizer_json": exact}

    def to_transformers(self):
        """A ``PreTrainedTokenizerFast`` built by transformers' SentencePiece converter.

        ``SpmConverter.build_tokenizer_from_spm_proto`` follows the model's own normalizer
        spec, ranks BPE merges by piece score and keeps Unigram scores; control and unknown
        pieces are added as special tokens, which ``split_special_tokens=True`` keeps from
        being matched in the text, as in SentencePiece.

        The conversion is checked on :data:`PROBE_TEXTS` (a converter that encodes any of
        them differently from SentencePiece is an error, not a silent difference). One
        difference remains for Unigram models: HF's lattice holds every piece, so
        control pieces get a score no real segmentation loses to, but HF scores a character
        outside the vocabulary below the worst piece; text that spells a control piece with
        such characters (``<s>`` where ``<`` is not a piece) becomes that control piece.
        BPE models have no such case (control pieces are in no merge).
        """
        transformers = require("transformers", "lm")
        from tokenizers import AddedToken

        convert = require("transformers.convert_slow_tokenizer", "lm")
        try:
            proto_module = convert.import_protobuf()
        except ImportError as exc:
            raise TokkitError("converting a SentencePiece model needs protobuf: pip install 'tokkit[lm]'") from exc
        proto = proto_module.ModelProto()
        proto.ParseFromString(self._model)
        model_type = proto.trainer_spec.model_type
        if model_type == 1:  # unigram; control pieces never come from text in SentencePiece, but
            # HF's lattice holds every piece: a score no segmentation can prefer keeps them out
            vocab: Any = [(p.piece, _NEVER if p.type in (2, 3) else p.score) for p in proto.pieces]
        elif model_type == 2:  # bpe
            vocab = {p.piece: i for i, p in enumerate(proto.pieces)}
        else:
            raise TokkitError(f"{self.name}: SentencePiece model type {model_type} (word/char) has no HF conversion in tokkit")
        rust = convert.SpmConverter.build_tokenizer_from_spm_proto(proto, vocab)
        rust.add_special_tokens([AddedToken(p.piece, special=True, normalized=False)
                                 for p in proto.pieces if p.type in (2, 3)])
        rust.add_tokens([AddedToken(p.piece, special=False, normalized=False) for p in proto.pieces if p.type == 4])
        fast = transformers.PreTrainedTokenizerFast(tokenizer_object=rust, split_special_tokens=True, **role_tokens(self))
        if self.chat_template:
            fast.chat_template = self.chat_template
        for text in PROBE_TEXTS:  # older converters (transformers < 5.24) drop the merges and the dummy prefix
            if fast.encode(text, add_special_tokens=False) != self.encode(text):
                raise TokkitError(
                    f"{self.name}: transformers {transformers.__version__} converts this SentencePiece model into a "
                    f"tokenizer that encodes {text[:24]!r} differently from SentencePiece; tokkit needs transformers >= 5.24"
                )
        return fast


def is_lossless(tokenizer: SentencePieceTokenizer) -> bool:
    """Whether ``decode(encode(x)) == x`` for every text: identity normalization, no
    whitespace removal, and byte fallback (or nothing can be unknown)."""
    convert = require("transformers.convert_slow_tokenizer", "lm")
    proto = convert.import_protobuf().ModelProto()
    proto.ParseFromString(tokenizer.model_bytes)
    spec = proto.normalizer_spec
    return (
        spec.name == "identity"
        and not spec.precompiled_charsmap
        and not spec.remove_extra_whitespaces
        and proto.trainer_spec.byte_fallback
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TokkitError(f"cannot read {path}: {exc.strerror or exc}") from exc


def load_sentencepiece(path: Path, name: str) -> SentencePieceTokenizer:
    """``tokkit.load`` entry: a SentencePiece ``.model`` file."""
    path = Path(path)
    return SentencePieceTokenizer(_read(path), name=name, provenance=Provenance("sentencepiece", {"source": str(path)}))


def load_sentencepiece_folder(path: Path, name: str) -> SentencePieceTokenizer:
    """A model folder with ``tokenizer.model``; roles from ``tokenizer_config.json`` when present."""
    path = Path(path)
    tokenizer = load_sentencepiece(path / "tokenizer.model", name)
    specials, template = read_tokenizer_config(path, tokenizer.token_to_id)
    if specials is not None:
        tokenizer.specials = specials
    if template is not None:
        tokenizer.chat_template = template
    return tokenizer
