"""Estimating the embedding rows of tokens the old model never saw: one module per method,
all behind one interface (:class:`~tokkit.transplant.methods.base.Method`).

* :mod:`~tokkit.transplant.methods.base`: the interface, its settings, what a method is given;
* ``mean`` (:mod:`~tokkit.transplant.methods.mean`): ReTok's mean of the token's pieces;
* ``local`` (:mod:`~tokkit.transplant.methods.local`): TokenAdapt's pieces weighted by similarity;
* ``global`` (:mod:`~tokkit.transplant.methods.global_`): TokenAdapt's nearest old tokens;
* ``tokenadapt`` (:mod:`~tokkit.transplant.methods.tokenadapt`): TokenAdapt's hybrid of the two;
* ``omp`` (:mod:`~tokkit.transplant.methods.omp`): orthogonal matching pursuit, as in mergekit's tokensurgeon;
* ``random`` (:mod:`~tokkit.transplant.methods.random`): random rows with the old statistics.

:func:`get_method` makes a method by its name; :data:`DEFAULT_METHOD` is the one a
transplant uses unless told (chosen on FLORES-200 *dev*, ``bench/README.md``).
"""

from __future__ import annotations

from tokkit.errors import TokkitError
from tokkit.transplant.methods.base import AuxVectors, Method, Problem, Settings, WeightedMethod, make_problem
from tokkit.transplant.methods.global_ import Global
from tokkit.transplant.methods.local import Local
from tokkit.transplant.methods.mean import Mean
from tokkit.transplant.methods.omp import OMP
from tokkit.transplant.methods.random import Random
from tokkit.transplant.methods.tokenadapt import TokenAdapt

__all__ = ["DEFAULT_METHOD", "METHODS", "AuxVectors", "Global", "Local", "Mean", "Method", "OMP", "Problem", "Random", "Settings", "TokenAdapt",
           "WeightedMethod", "get_method", "make_problem"]

#: the registry: every method by its name, in the order the CLI lists them
METHODS: dict[str, type[Method]] = {cls.name: cls for cls in (TokenAdapt, Local, Global, Mean, OMP, Random)}
#: the method a transplant uses unless told: the best on FLORES-200 dev in the model's own space
DEFAULT_METHOD = "local"


def get_method(name: str, settings: Settings | None = None) -> Method:
    """The method registered under ``name``, with ``settings`` (default: :class:`Settings`)."""
    if name not in METHODS:
        raise TokkitError(f"unknown method '{name}': choose one of {', '.join(METHODS)}")
    return METHODS[name](settings)
