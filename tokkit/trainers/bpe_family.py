"""What the BPE-family trainers share: pre-tokenization, an untrained byte-level BPE, the
``tokenizers`` trainer, and one training cut into every requested size.

``bpe``, ``char``, ``superword``, ``supertoken`` and the hybrid tokenizer's fallback all
learn their merges with the ``tokenizers`` library's ``BpeTrainer``; they differ in what
they feed it (pre-tokens, character-capped pieces, random chunks, whole-word chunks).

**One training, every size.** BPE learns its merges in order, and the vocabulary after
``n`` merges is the alphabet plus the first ``n`` merge results. A tokenizer of size
``V`` is therefore exactly the one of size ``V_max`` with its merge list cut at
``V - base`` (:func:`truncate_bpe`); no retraining is needed.
"""

from __future__ import annotations

import json

from tokenizers import Regex
from tokenizers import Tokenizer as RustTokenizer
from tokenizers import decoders, models, pre_tokenizers, trainers

from tokkit.backends.hf import HFTokenizer
from tokkit.corpora import Corpus
from tokkit.errors import TokkitError
from tokkit.trainers.base import DEFAULT_SPECIALS, Trainer, check_reached, default_roles

#: pre-tokenization regexes, by name
PRETOKENIZERS = {
    # GPT-2 (Radford et al. 2019)
    "gpt2": r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
    # GPT-4's cl100k_base, as Llama-3 writes it
    "cl100k": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
}


#: the longest pre-token that BPE training sees, in the trainer's symbols: bytes for
#: byte-level BPE, characters for character BPE (see :func:`capped`)
MAX_PRETOKEN = 1024
_CAP = pre_tokenizers.Split(Regex(rf"[\s\S]{{1,{MAX_PRETOKEN}}}"), behavior="isolated")


def capped(pre_tokenizer):
    """``pre_tokenizer``, then every pre-token cut into pieces of at most
    :data:`MAX_PRETOKEN` symbols: what BPE training sees.

    The ``tokenizers`` trainer spends ``O(n)`` per merge occurrence in a word of ``n``
    symbols, ``O(n^2)`` in all, so one long run of one character would run for hours
    (:mod:`tokkit.trainers.reading`). The cap lies far above natural pre-tokens: words,
    and in scripts written without spaces (Thai, Chinese, Burmese) whole clauses, stay
    whole; only runs such as a line of ``=`` or a base64 blob are cut. No token longer
    than the cap is learnt. Only training is capped: the saved tokenizer encodes a longer
    pre-token with the same merges, as BPE encodes any length.
    """
    return pre_tokenizers.Sequence([pre_tokenizer, _CAP])


def byte_level_pre_tokenizer(pattern: str | None, split_digits: bool = False):
    """Split by ``pattern`` (if any), optionally each digit alone, then map bytes to GPT-2 chars."""
    steps = []
    if split_digits:
        steps.append(pre_tokenizers.Digits(individual_digits=True))
    if pattern:
        steps.append(pre_tokenizers.Split(Regex(pattern), behavior="isolated"))
    steps.append(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False))
    return pre_tokenizers.Sequence(steps)


def new_byte_level_bpe(pre_tokenizer) -> RustTokenizer:
    """An untrained byte-level BPE tokenizer with the given pre-tokenizer."""
    tokenizer = RustTokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def bpe_trainer(vocab_size: int, specials=DEFAULT_SPECIALS, alphabet: list[str] | None = None, **kwargs) -> trainers.BpeTrainer:
    """``BpeTrainer`` over ``alphabet`` (default: the full byte alphabet), quiet (tokkit draws its own progress)."""
    return trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(specials),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet() if alphabet is None else alphabet,
        show_progress=False,
        **kwargs,
    )


def truncate_bpe(tokenizer: RustTokenizer, size: int, config: dict | None = None) -> RustTokenizer:
    """The same BPE with only as many merges as make ``size`` tokens (specials included).

    Relies on the trainer's id order: special tokens, then the alphabet, then one new id
    per merge in merge order; this is checked, not assumed. ``config``: the tokenizer's
    parsed ``tokenizer.json`` when the caller has it (cutting several sizes parses once);
    it is not modified.
    """
    config = config or json.loads(tokenizer.to_str())
    model = config["model"]
    vocab: dict[str, int] = model["vocab"]
    merges = model["merges"]
    added = len([t for t in config.get("added_tokens", []) if t["id"] not in vocab.values()])
    base = len(vocab) + added - len(merges)
    keep = size - base
    if keep < 0:
        raise TokkitError(f"vocabulary size {size} is below the {base} base tokens (alphabet and specials)")
    kept = merges[:keep]
    for i, merge in enumerate(kept):
        left, right = merge if isinstance(merge, list) else merge.split(" ", 1)
        if vocab.get(left + right) != base + i:
            raise RuntimeError("BPE ids are not in merge order; cannot truncate")
    cut = {**model, "vocab": {tok: i for tok, i in vocab.items() if i < size}, "merges": kept}
    return RustTokenizer.from_str(json.dumps({**config, "model": cut}))


def sized_tokenizers(
    trainer: Trainer, full: RustTokenizer, sizes: list[int], corpus: Corpus, described: dict | None = None
) -> dict[int, HFTokenizer]:
    """Cut one trained BPE (at the largest size) into a tokenizer per requested size.

    ``described``: ``corpus.describe()``, when the caller has it already.
    """
    check_reached(full.get_vocab_size(with_added_tokens=True), sizes[-1], corpus)
    described = described or corpus.describe()
    config = json.loads(full.to_str()) if len(sizes) > 1 else None
    out = {}
    for size in sizes:
        rust = full if size == sizes[-1] else truncate_bpe(full, size, config)
        out[size] = HFTokenizer(
            rust,
            name=f"{trainer.name}-{size}",
            specials=default_roles(rust),
            provenance=trainer.provenance(corpus, size, described),
        )
    return out
