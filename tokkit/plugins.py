"""Extension points that the leaf packages fill without the core importing them.

The core must not import ``tokkit.morphology`` (or any leaf), yet ``tokkit train hybrid``
and ``tokkit.load`` of a saved hybrid tokenizer must find it. Leaves declare themselves
as Python entry points in ``pyproject.toml``; the core looks them up by group and name,
and imports the target only when it is asked for.

Groups: ``tokkit.trainers`` (name -> Trainer class), ``tokkit.formats`` (saved
``tokkit.json`` format -> ``load(path, name)`` function), ``tokkit.metrics`` (name ->
a function returning :class:`~tokkit.metrics.Metric` definitions).
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points


@lru_cache(maxsize=None)
def plugins(group: str) -> dict[str, str]:
    """``{name: "module:attr"}`` for every entry point in ``group``."""
    return {ep.name: ep.value for ep in entry_points(group=group)}


def load_plugin(group: str, name: str):
    """Import and return the object behind entry point ``name`` of ``group``."""
    for ep in entry_points(group=group):
        if ep.name == name:
            return ep.load()
    raise KeyError(name)
