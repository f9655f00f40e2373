"""The interface every estimation method implements, and what a method is given.

A method turns a :class:`Problem` (the tokens to estimate, how the old vocabulary spells
them, an auxiliary space) and the old model's embedding matrices into one block of new
rows per matrix: :meth:`Method.estimate`. Shapes in the docstrings: ``V`` old tokens,
``n`` tokens to estimate, ``d`` a matrix's width, ``a`` the auxiliary space's width.

Every method but ``random`` is a :class:`WeightedMethod`: it computes a sparse **weight
matrix** ``W: [n, V]`` once, in bulk, and the new rows are ``W @ E`` for each old matrix
``E: [V, d]`` (the input embeddings, and separately the output embeddings of an untied
model, whose rows thus get their own estimate instead of a copy of the input side). A
token its ``W`` leaves empty (no pieces and no neighbour) gets the mean old row.

**Scale.** Every weight-based estimate is finally multiplied by ``Settings.scale``. A
mix of old rows scores, as an output row, about the mean of its pieces' logits, so new
tokens draw probability wherever their first piece is likely; shrinking the rows toward
zero lowers those logits. The default shrink was chosen on FLORES-200 *dev*
(``bench/README.md`` has the figures); ``scale=1.0`` gives the methods exactly as
published.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from tokkit.checks import check_number
from tokkit.errors import require

torch = require("torch", "lm")


@dataclass
class AuxVectors:
    """The auxiliary space: ``old: [V, a]`` (row ``i`` is old id ``i``'s vector) and
    ``new: [n, a]`` (row ``j`` the j-th token to estimate's).

    ``new_valid: [n]`` (bool) is False where a token has no vector (in the model's own
    space, a token no old piece spells any of).
    """

    old: "torch.Tensor"
    new: "torch.Tensor"
    new_valid: "torch.Tensor"


@dataclass(frozen=True)
class Settings:
    """TokenAdapt's defaults: temperature 0.3, 3 neighbours, global weight 0.3, threshold 0.6;
    OMP's 8 atoms; estimates scaled by 0.9 (see the module docstring). Checked when made,
    and frozen, so that settings a method holds are settings that were checked."""

    temperature: float = 0.3
    top_k: int = 3
    weight: float = 0.3
    threshold: float = 0.6
    omp_k: int = 8
    seed: int = 0
    scale: float = 0.9

    def __post_init__(self):
        check_number("temperature", self.temperature, above=0)
        check_number("top_k", self.top_k, at_least=1, whole=True)
        check_number("weight", self.weight, at_least=0, at_most=1)
        check_number("threshold", self.threshold, at_least=-1, at_most=1)  # a cosine
        check_number("omp_k", self.omp_k, at_least=1, whole=True)
        check_number("seed", self.seed, whole=True)
        check_number("scale", self.scale)


@dataclass
class Problem:
    """What the methods see: the tokens to estimate, their old spellings, the aux space.

    ``pieces[j]`` are the old ids that spell the j-th token to estimate and
    ``piece_share[j]`` each piece's share of the token's bytes; ``aux`` is on ``device``.
    ``candidates: [V]`` (bool) says whether old id ``i`` may be a neighbour (it has bytes);
    ``old_space: [V]`` and ``new_space: [n]`` (bool) flag tokens that start with whitespace.
    """

    pieces: list[list[int]]
    piece_share: list[list[float]]
    aux: AuxVectors
    candidates: "torch.Tensor"
    old_space: "torch.Tensor"
    new_space: "torch.Tensor"
    n_old: int
    device: str = "cpu"


def make_problem(old_bytes: list[bytes | None], new_bytes: list[bytes], pieces: list[list[int]], aux: AuxVectors, device: str = "cpu") -> Problem:
    """Gather what every method needs from the correspondence and the aux space, on ``device``.

    ``old_bytes[i]`` is old id ``i``'s bytes (None for a token without), ``new_bytes[j]``
    and ``pieces[j]`` the j-th token to estimate's bytes and old decomposition.
    """
    share = [[len(old_bytes[p]) / max(1, len(raw)) for p in ids] for ids, raw in zip(pieces, new_bytes)]
    return Problem(
        pieces=pieces,
        piece_share=share,
        aux=AuxVectors(aux.old.to(device), aux.new.to(device), aux.new_valid.to(device)),
        candidates=torch.tensor([raw is not None and len(raw) > 0 for raw in old_bytes], device=device),
        old_space=torch.tensor([bool(raw) and raw[:1].isspace() for raw in old_bytes], device=device),
        new_space=torch.tensor([raw[:1].isspace() for raw in new_bytes], dtype=torch.bool, device=device),
        n_old=len(old_bytes),
        device=device,
    )


class Method(ABC):
    """An estimation method, registered under :attr:`name` (see :func:`~tokkit.transplant.methods.get_method`)."""

    name: str

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()

    @abstractmethod
    def estimate(self, problem: Problem, matrices: list["torch.Tensor"]) -> list["torch.Tensor"]:
        """One block of new rows per old matrix: ``matrices[m]: [V, d_m]`` gives
        ``[n, d_m]`` (float32, on ``problem.device``)."""


class WeightedMethod(Method):
    """A method whose new rows mix old rows: ``scale * W @ E`` (see the module docstring)."""

    def estimate(self, problem: Problem, matrices: list["torch.Tensor"]) -> list["torch.Tensor"]:
        """``matrices[m]: [V, d_m]`` gives ``[n, d_m]``: the rows :meth:`weights` mixes, the
        mean candidate row where it mixes none, all times ``settings.scale``."""
        weights = self.weights(problem)
        placed = torch.zeros(weights.shape[0], dtype=torch.bool, device=weights.device)
        placed[weights.indices()[0].unique()] = True
        out = []
        for matrix in matrices:
            m = matrix.to(problem.device).float()
            rows = torch.sparse.mm(weights, m) if weights._nnz() else torch.zeros(weights.shape[0], m.shape[1], device=m.device)
            rows[~placed] = m[problem.candidates].mean(0)
            out.append(rows * self.settings.scale)
        return out

    @abstractmethod
    def weights(self, problem: Problem) -> "torch.Tensor":
        """The coalesced sparse weight matrix ``W: [n, V]``: row ``j`` says how much of each
        old row the j-th token to estimate takes."""
