"""The trainer registry: one name per algorithm, one interface (:class:`Trainer`).

Built-in trainers are listed here; a leaf package adds one through the
``tokkit.trainers`` entry point group (the morphology package fills ``hybrid`` that way),
so the core never imports it.
"""

from __future__ import annotations

import importlib
import numbers

from tokkit.errors import TokkitError
from tokkit.plugins import load_plugin, plugins
from tokkit.trainers.base import Trainer

_BUILTIN = {
    "bpe": "tokkit.trainers.bpe:BPETrainer",
    "unigram": "tokkit.trainers.unigram:UnigramTrainer",
    "char": "tokkit.trainers.char:CharTrainer",
    "superword": "tokkit.trainers.superword:SuperwordTrainer",
    "supertoken": "tokkit.trainers.supertoken:SupertokenTrainer",
}

#: slots that a leaf package fills, and the package that fills each
_SLOTS = {"hybrid": "tokkit.morphology"}


def trainer_names() -> list[str]:
    """Every algorithm name, built-in or provided by an installed leaf package."""
    return sorted(set(_available()) | set(_SLOTS))


def _available() -> dict[str, str]:
    found = {}
    for name, target in _BUILTIN.items():
        module = target.split(":")[0]
        if importlib.util.find_spec(module) is not None:
            found[name] = target
    found.update(plugins("tokkit.trainers"))
    return found


def get_trainer(name: str) -> type[Trainer]:
    """The trainer class registered under ``name``."""
    if name in plugins("tokkit.trainers"):
        return load_plugin("tokkit.trainers", name)
    if name in _BUILTIN:
        module, attr = _BUILTIN[name].split(":")
        return getattr(importlib.import_module(module), attr)
    if name in _SLOTS:
        raise TokkitError(f"the '{name}' trainer comes with {_SLOTS[name]}, which is not installed in this environment")
    raise TokkitError(f"unknown algorithm '{name}': choose one of {', '.join(trainer_names())}")


def train(algorithm: str, corpus, vocab_sizes, *, seed: int = 0, progress=None, **options):
    """Train ``algorithm`` on ``corpus``; one tokenizer per size, keyed by size.

    ``corpus``: a Corpus, a corpus spec, or the texts themselves: a list or any iterable of
    strings, a generator, a ``datasets`` dataset (:func:`tokkit.corpora.as_corpus`).
    ``options`` are the algorithm's options (see ``get_trainer(name).Options``).

    >>> tokkit.train("bpe", ["some text", "more text"] * 100, 265)   # doctest: +SKIP
    {265: <HFTokenizer 'bpe-265' format=hf vocab_size=265>}
    """
    from tokkit.corpora import as_corpus

    cls = get_trainer(algorithm)
    try:
        opts = cls.Options(**options)
    except TypeError as exc:
        raise TokkitError(f"{algorithm}: {exc}") from exc
    sizes = [vocab_sizes] if isinstance(vocab_sizes, numbers.Number) else list(vocab_sizes)  # one size, or several
    return cls(opts, seed=seed).train(as_corpus(corpus), sizes, progress)


__all__ = ["Trainer", "get_trainer", "train", "trainer_names"]
