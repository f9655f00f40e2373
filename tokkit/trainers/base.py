"""The interface every trainer implements, and what they share.

A trainer is a class with an ``Options`` dataclass (its algorithm options, each with a
default, a help text and the values it accepts, from which the CLI builds ``tokkit train
ALGO --help``) and one method, :meth:`Trainer.train`, that turns a corpus and one or more
vocabulary sizes into one :class:`~tokkit.tokenizer.Tokenizer` per size. Every option is
checked against what it accepts when the trainer is made (:func:`check_options`), before
any text is read.
"""

from __future__ import annotations

import ctypes
import dataclasses
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from tokkit.corpora import Corpus
from tokkit.checks import check_choice, check_number
from tokkit.errors import TokkitError, TooLarge
from tokkit.progress import Progress
from tokkit.tokenizer import Provenance, SpecialTokens, Tokenizer

#: the special tokens a tokkit-trained tokenizer starts with, and their roles
DEFAULT_SPECIALS = ("<|endoftext|>", "<|pad|>")
DEFAULT_ROLES = {"bos": "<|endoftext|>", "eos": "<|endoftext|>", "pad": "<|pad|>"}


def default_roles(tokenizer, roles: dict[str, str] = DEFAULT_ROLES) -> SpecialTokens:
    """The roles of ``roles`` whose token ``tokenizer`` (a ``tokenizers.Tokenizer``) has."""
    return SpecialTokens(**{role: tokenizer.token_to_id(tok) for role, tok in roles.items() if tokenizer.token_to_id(tok) is not None})


#: the bounds an option may declare (see :func:`tokkit.checks.check_number`)
_BOUNDS = ("at_least", "above", "at_most", "below")


def option(default: Any, help: str, **accepts: Any) -> Any:
    """A trainer option: a dataclass field whose metadata carries the CLI help text and
    what it accepts: ``choices=(...)``, or number bounds (``at_least``, ``above``,
    ``at_most``, ``below``)."""
    return dataclasses.field(default=default, metadata={"help": help, **accepts})


@dataclasses.dataclass
class NoOptions:
    """A trainer without algorithm options."""


#: the largest seed: SentencePiece's generator takes an unsigned 32-bit one, and every
#: trainer takes the same range, so that a seed means something to all of them
MAX_SEED = 2**32 - 1

#: the largest value of an ``int`` option: the libraries the trainers drive (``tokenizers``,
#: ``sentencepiece``) take 64-bit integers, and a larger one is an OverflowError inside them
MAX_INT_OPTION = 2**63 - 1


def check_options(options: Any) -> None:
    """Refuse an option value outside what its field accepts: its ``choices``, or for a
    number a finite value (a whole one, at most :data:`MAX_INT_OPTION`, for an ``int``
    field) within its bounds."""
    for field in dataclasses.fields(options):
        value = getattr(options, field.name)
        if field.metadata.get("choices"):
            check_choice(field.name, value, field.metadata["choices"])
        elif field.type in ("int", "float", int, float):
            whole = field.type in ("int", int)
            check_number(field.name, value, whole=whole, **{k: field.metadata[k] for k in _BOUNDS if k in field.metadata})
            if whole:
                check_number(field.name, value, at_most=MAX_INT_OPTION)


class Trainer(ABC):
    """Turns a corpus into tokenizers of one or more vocabulary sizes."""

    name: ClassVar[str]
    summary: ClassVar[str]
    Options: ClassVar[type] = NoOptions

    def __init__(self, options: Any | None = None, seed: int = 0):
        self.options = options if options is not None else self.Options()
        self.seed = check_number("seed", seed, whole=True, at_least=0, at_most=MAX_SEED)
        check_options(self.options)

    @abstractmethod
    def train(self, corpus: Corpus, vocab_sizes: list[int], progress: Progress | None = None) -> dict[int, Tokenizer]:
        """One tokenizer per requested size, keyed by size."""

    def provenance(self, corpus: Corpus, vocab_size: int, fingerprint: dict | None = None) -> Provenance:
        params = dataclasses.asdict(self.options)
        params["vocab_size"] = vocab_size
        return Provenance(algorithm=self.name, params=params, corpus=fingerprint or corpus.describe(), seed=self.seed)


#: the largest vocabulary tokkit trains: the ``tokenizers`` trainers reserve room for
#: every token asked for before the first merge (some 70 bytes each: a request for 10^9
#: asks the system for 70 GB and aborts the whole process), so sizes are checked first;
#: 2^24 is 64 times the largest vocabularies in use (Gemma's 262,144 = 2^18)
MAX_VOCAB = 2**24


def check_sizes(vocab_sizes: list[int], minimum: int, what: str) -> list[int]:
    """Sorted, distinct sizes; each a whole number, at least ``minimum`` (the alphabet and
    special tokens) and at most :data:`MAX_VOCAB`."""
    if not vocab_sizes:
        raise TokkitError("give at least one vocabulary size")
    for size in vocab_sizes:
        check_number("vocab_sizes", size, whole=True)
    sizes = sorted(set(int(size) for size in vocab_sizes))
    if sizes[0] < minimum:
        raise TokkitError(f"vocabulary size {sizes[0]} is below the {minimum} that {what} needs")
    if sizes[-1] > MAX_VOCAB:
        raise TokkitError(f"vocabulary size {sizes[-1]:,} is above the {MAX_VOCAB:,} (2^24) tokkit trains: the trainers "
                          "reserve memory for every token asked for before they start")
    return sizes


def check_reached(reached: int, wanted: int, corpus: Corpus) -> None:
    if reached < wanted:
        raise TokkitError(
            f"corpus {corpus.spec} gives only {reached} tokens, fewer than the {wanted} asked for: "
            f"ask for at most {reached} or train on more text"
        )


def available_memory() -> int | None:
    """Bytes of memory a new job can use without swapping (Linux's ``MemAvailable``);
    ``None`` where the system does not say."""
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_memory(corpus: Corpus, per_byte: float, what: str, progress: Progress | None) -> None:
    """Before any text is read: refuse a corpus for which ``what`` (holding about
    ``per_byte`` bytes of memory per byte of text) would exceed the memory available,
    naming the sample or budget that would fit, or else say what it will hold. Corpora of
    unknown size (compressed files, samples) are not checked."""
    size = corpus.size_hint()
    if not size:
        return
    need = size * per_byte
    available = available_memory()
    if available is not None and need > available:
        fits = available / per_byte
        raise TooLarge(
            f"{what} needs about {_amount(need)} of memory for the {_amount(size)} of {corpus.spec}, "
            f"more than the {_amount(available)} available",
            {"sample": f"{max(0.01, int(fits / size * 100) / 100):.2f}", "budget": str(int(fits))},
        )
    if progress is not None:
        spare = f", of {_amount(available)} available" if available is not None else ""
        progress.note(f"{what} holds about {per_byte:g} bytes of memory per byte of text: "
                      f"about {_amount(need)} for the {_amount(size)} of {corpus.spec}{spare}")


def _amount(size: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size:.0f} bytes"


def release_memory() -> None:
    """Hand the heap pages freed by a finished phase back to the system.

    glibc's allocator keeps freed memory for reuse, so after the ``tokenizers`` trainer
    returns, its peak (it is the largest allocation of a training) would stay resident
    beside what the next phase allocates, and peaks would add up. ``malloc_trim`` returns
    the free pages; elsewhere than glibc this does nothing.
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        pass
