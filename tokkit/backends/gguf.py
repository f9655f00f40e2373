"""GGUF vocabularies (llama.cpp's model files) as Hugging Face tokenizers.

A GGUF file carries its tokenizer as metadata: ``tokenizer.ggml.tokens`` (the vocabulary
in id order), ``token_type`` (normal, unknown, control, user-defined, unused, byte),
``scores`` (SentencePiece log-probabilities), ``merges`` (byte-level BPE), the
pre-tokenizer name ``tokenizer.ggml.pre`` and the role ids. This module reads that
metadata (:mod:`tokkit.backends.gguf_metadata`; no tensor is touched, so a 100 MB model
loads as fast as a vocabulary-only file) and builds a ``tokenizers.Tokenizer`` that
tokenizes as llama.cpp does, so the result is an :class:`~tokkit.backends.hf.HFTokenizer`
and saves as an ordinary ``tokenizer.json``. Two tokenizer models are supported:

``gpt2``: byte-level BPE (Radford et al. 2019). llama.cpp splits the text with one or
    more regular expressions chosen by ``tokenizer.ggml.pre``, each applied to the pieces
    the previous one left, keeping both the matches and the text between them; that is
    a chain of ``Split(..., "isolated")`` pre-tokenizers followed by the byte-to-char map.
    The regexes below are llama.cpp's own (its ``llm_tokenizer_bpe``): where the original
    tokenizer writes ``(?i:'s|...)`` llama.cpp writes ``'[sS]|...``, which is what it runs.
    Some pre types also set ``ignore_merges``: a pre-token that is itself a vocabulary
    entry becomes that one token without applying merges. Llama-3 needs it: its vocabulary
    holds tokens that its own merge list cannot build (the llama-bpe reference where
    transformers' GGUF conversion, which leaves the flag off, gets one input wrong).

``llama``: SentencePiece BPE (Kudo & Richardson 2018) as llama.cpp's SPM tokenizer runs
    it: spaces become ``▁``, a ``▁`` is put in front of the text when
    ``tokenizer.ggml.add_space_prefix`` says so (the default), then adjacent symbols are
    merged highest score first wherever their concatenation is a vocabulary entry, and a
    character no token covers falls back to its UTF-8 bytes as ``<0xNN>`` tokens. The
    equivalent HF model is a BPE with byte fallback whose merges are every split of every
    vocabulary entry into two entries, ranked by the entry's score (transformers' Llama
    converter does the same).

Token types: control and unknown tokens become special added tokens, user-defined tokens
non-special added tokens (matched in the text before tokenization, as llama.cpp does);
unused and byte tokens stay in the model vocabulary. Control-token text written in the
input is recognised as that token, as everywhere in tokkit's HF backend (llama.cpp with
``parse_special=True``; its test references use ``False`` but contain no such text).

Roles come from the file's own metadata (``tokenizer.ggml.bos_token_id`` ...), never from
guesses by token text; for ``llama`` vocabularies without them, llama.cpp's defaults
(bos 1, eos 2, unk 0) apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tokenizers import AddedToken, Regex
from tokenizers import Tokenizer as RustTokenizer
from tokenizers import decoders, models, normalizers, pre_tokenizers

from tokkit.backends.gguf_metadata import read_metadata
from tokkit.backends.hf import HFTokenizer
from tokkit.errors import TokkitError
from tokkit.tokenizer import Provenance, SpecialTokens

# llama.cpp's token types (gguf.TokenType)
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

_GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"
_CONTRACTIONS = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
_LLAMA3 = _CONTRACTIONS + r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
_QWEN2 = _CONTRACTIONS + r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
_UPPER, _LOWER = r"((?=[\p{L}])([^a-z]))", r"((?=[\p{L}])([^A-Z]))"
_TEKKEN = (
    rf"[^\r\n\p{{L}}\p{{N}}]?{_UPPER}*{_LOWER}+|[^\r\n\p{{L}}\p{{N}}]?{_UPPER}+{_LOWER}*"
    r"|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_GPT4O = (
    rf"[^\r\n\p{{L}}\p{{N}}]?{_UPPER}*{_LOWER}+{_CONTRACTIONS}?|[^\r\n\p{{L}}\p{{N}}]?{_UPPER}+{_LOWER}*{_CONTRACTIONS}?"
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


@dataclass(frozen=True)
class PreTokenizer:
    """llama.cpp's pre-tokenization for one family of ``tokenizer.ggml.pre`` names."""

    regexes: tuple[str, ...]
    ignore_merges: bool = False
    names: tuple[str, ...] = field(default=())


#: llama.cpp's pre-tokenizer families (src/llama-vocab.cpp), by the names GGUF files use
PRE_TOKENIZERS = [
    PreTokenizer((_GPT2,), names=("gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de",
                                  "a.x-4.0", "mellum", "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe",
                                  "mpt", "olmo", "jais", "trillion", "granite-docling", "exaone4")),
    PreTokenizer((_LLAMA3,), ignore_merges=True,
                 names=("llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2",
                        "jina-v5-nano")),
    PreTokenizer((_LLAMA3,), names=("dbrx", "smaug-bpe", "glm4", "chatglm-bpe")),
    PreTokenizer((_QWEN2,), names=("qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan",
                                   "solar-open", "grok-2")),
    PreTokenizer((r"\p{N}", _GPT2), names=("starcoder", "refact", "command-r", "smollm", "codeshell", "exaone",
                                           "minerva-7b", "mellum2")),
    PreTokenizer((r"[\p{P}\$\+<=>\^~\|`]+", _GPT2, r"[0-9][0-9][0-9]"), names=("falcon",)),
    PreTokenizer((r"[\p{P}\$\+<=>\^~\|]+", _GPT2, r"\p{N}+", r"[0-9][0-9][0-9]"), names=("default",)),
    PreTokenizer((r" ?[^(\s|.,!?…。，、।۔،)]+",), names=("bloom", "poro-chat", "gpt3-finnish")),
    PreTokenizer((_TEKKEN,), ignore_merges=True, names=("tekken",)),
    PreTokenizer((_GPT4O,), names=("gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2")),
]
_BY_NAME = {name: pre for pre in PRE_TOKENIZERS for name in pre.names}


@dataclass
class GGUFVocab:
    """The tokenizer metadata of a GGUF file."""

    model: str
    pre: str | None
    tokens: list[str]
    types: list[int]
    scores: list[float] | None
    merges: list[str] | None
    roles: dict[str, int]
    add_space_prefix: bool | None
    add_bos: bool | None
    chat_template: str | None


_ROLE_KEYS = {"bos": "bos_token_id", "eos": "eos_token_id", "pad": "padding_token_id", "unk": "unknown_token_id"}


def read_gguf_vocab(path: Path) -> GGUFVocab:
    """Read the ``tokenizer.*`` metadata of a GGUF file (tensors are not read)."""
    metadata = read_metadata(path)

    def get(key: str, default=None):
        return metadata.get(f"tokenizer.{key}", default)

    model = get("ggml.model")
    tokens = get("ggml.tokens")
    if model is None or not tokens:
        raise TokkitError(f"{path} is a GGUF file without a tokenizer (no tokenizer.ggml.model / tokens)")
    types = get("ggml.token_type") or [NORMAL] * len(tokens)
    roles = {}
    for role, key in _ROLE_KEYS.items():
        value = get(f"ggml.{key}")
        if value is not None and 0 <= int(value) < len(tokens):
            roles[role] = int(value)
    return GGUFVocab(
        model=model,
        pre=get("ggml.pre"),
        tokens=tokens,
        types=[int(t) for t in types],
        scores=get("ggml.scores"),
        merges=get("ggml.merges"),
        roles=roles,
        add_space_prefix=get("ggml.add_space_prefix"),
        add_bos=get("ggml.add_bos_token"),
        chat_template=get("chat_template"),
    )


def _vocab_map(vocab: GGUFVocab, path: Path) -> dict[str, int]:
    # llama.cpp names an empty entry "[EMPTY_<id>]" and refuses duplicates; so do we
    tokens = [t if t else f"[EMPTY_{i}]" for i, t in enumerate(vocab.tokens)]
    mapping = {t: i for i, t in enumerate(tokens)}
    if len(mapping) != len(tokens):
        seen: dict[str, int] = {}
        for i, t in enumerate(tokens):
            if t in seen:
                raise TokkitError(f"{path}: duplicate token {t!r} in the vocabulary (ids {seen[t]} and {i})")
            seen[t] = i
    return mapping


def _added_tokens(vocab: GGUFVocab, special_types: set[int]) -> tuple[list[AddedToken], list[AddedToken]]:
    specials, user = [], []
    for token, kind in zip(vocab.tokens, vocab.types):
        if kind in special_types:
            specials.append(AddedToken(token, special=True, normalized=False))
        elif kind == USER_DEFINED:
            user.append(AddedToken(token, special=False, normalized=False))
    return specials, user


def byte_level_bpe(vocab: GGUFVocab, path: Path) -> RustTokenizer:
    """A ``gpt2`` GGUF vocabulary as a byte-level BPE with llama.cpp's pre-tokenization."""
    pre = _BY_NAME.get(vocab.pre or "default")
    if pre is None:
        raise TokkitError(f"{path}: unknown GGUF pre-tokenizer type '{vocab.pre}' "
                          f"(tokkit knows {len(_BY_NAME)} of llama.cpp's, e.g. gpt-2, llama-bpe, qwen2, smollm)")
    merges = []
    for line in vocab.merges or []:
        cut = line.find(" ", 1)  # as llama.cpp: the first space after the first character
        if cut < 0:
            raise TokkitError(f"{path}: malformed merge {line!r} in tokenizer.ggml.merges")
        merges.append((line[:cut], line[cut + 1:]))
    model = models.BPE(vocab=_vocab_map(vocab, path), merges=merges, ignore_merges=pre.ignore_merges)
    tokenizer = RustTokenizer(model)
    steps = [pre_tokenizers.Split(Regex(r), behavior="isolated") for r in pre.regexes]
    steps.append(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(steps)
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def sentencepiece_bpe(vocab: GGUFVocab, path: Path) -> RustTokenizer:
    """A ``llama`` (SentencePiece) GGUF vocabulary as a BPE with byte fallback, merges by score."""
    if vocab.scores is None or len(vocab.scores) < len(vocab.tokens):
        raise TokkitError(f"{path}: a SentencePiece GGUF vocabulary needs tokenizer.ggml.scores for every token")
    mapping = _vocab_map(vocab, path)
    mergeable = {t for t, kind in zip(vocab.tokens, vocab.types) if kind in (NORMAL, USER_DEFINED, UNUSED)}
    ranked = []
    for token in mergeable:
        i = mapping[token]
        for cut in range(1, len(token)):
            left, right = token[:cut], token[cut:]
            if left in mapping and right in mapping:
                ranked.append((-vocab.scores[i], i, mapping[left], mapping[right], left, right))
    ranked.sort()
    model = models.BPE(
        vocab=mapping,
        merges=[(r[4], r[5]) for r in ranked],
        unk_token=vocab.tokens[vocab.roles.get("unk", 0)],  # llama.cpp's default unk id is 0
        byte_fallback=True,
        fuse_unk=True,
    )
    tokenizer = RustTokenizer(model)
    prefix = True if vocab.add_space_prefix is None else bool(vocab.add_space_prefix)
    steps = [normalizers.Prepend("▁")] if prefix else []
    tokenizer.normalizer = normalizers.Sequence(steps + [normalizers.Replace(" ", "▁")])
    decode = [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()]
    tokenizer.decoder = decoders.Sequence(decode + ([decoders.Strip(" ", 1, 0)] if prefix else []))
    return tokenizer


_BUILDERS = {"gpt2": byte_level_bpe, "llama": sentencepiece_bpe}


def gguf_tokenizer(path: Path, name: str) -> HFTokenizer:
    """Build the :class:`HFTokenizer` of a GGUF file's vocabulary."""
    vocab = read_gguf_vocab(path)
    build = _BUILDERS.get(vocab.model)
    if build is None:
        raise TokkitError(
            f"{path}: GGUF tokenizer model '{vocab.model}' is not supported (tokkit reads 'gpt2' and 'llama')"
        )
    tokenizer = build(vocab, path)
    specials, user = _added_tokens(vocab, {CONTROL, UNKNOWN})
    tokenizer.add_special_tokens(specials)
    tokenizer.add_tokens(user)
    roles = dict(vocab.roles)
    if vocab.model == "llama":  # llama.cpp's defaults for SentencePiece vocabularies
        for role, default in (("bos", 1), ("eos", 2), ("unk", 0)):
            if role not in roles and default < len(vocab.tokens):
                roles[role] = default
    provenance = Provenance(
        algorithm="gguf",
        params={"source": str(path), "model": vocab.model, "pre": vocab.pre, "add_bos": vocab.add_bos,
                "add_space_prefix": vocab.add_space_prefix},
    )
    return HFTokenizer(tokenizer, name=name, specials=SpecialTokens(**roles), provenance=provenance,
                       chat_template=vocab.chat_template)


def load_gguf(path: Path, name: str) -> HFTokenizer:
    """``tokkit.load`` entry: a GGUF file (vocabulary-only or a whole model)."""
    return gguf_tokenizer(Path(path), name)
