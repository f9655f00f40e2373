"""``omp``: orthogonal matching pursuit in the auxiliary space, as in mergekit's tokensurgeon.

Goddard & Neto 2025, "Training-Free Tokenizer Transplantation via Orthogonal Matching
Pursuit": the new token's auxiliary vector is approximated by a sparse least-squares
combination of ``omp_k`` old tokens' auxiliary vectors, and the same coefficients
combine the old tokens' rows. The atoms are chosen greedily among the token's
:data:`POOL` nearest old tokens: at each step the atom most correlated with what is
left to explain, then the coefficients of all chosen atoms are solved again. The
coefficients are not normalised and may be negative.

**How many atoms.** ``omp_k`` is capped by what can help: the old tokens there are to
choose from, and the auxiliary space's width ``a`` (``a`` atoms in general position
already rebuild any target exactly; further ones would only get coefficients of about
zero). A larger ``omp_k`` is used as that cap, with a warning. The tokens are worked in
tiles whose size is set so that a tile's tensors stay within
:data:`~tokkit.transplant.tensor_ops.TILE_FLOATS`, whatever ``omp_k``; the time per token
grows as ``omp_k`` squared times the pool.
"""

from __future__ import annotations

import warnings

from tokkit.errors import require
from tokkit.transplant.methods.base import Problem, WeightedMethod
from tokkit.transplant.tensor_ops import nearest, rows_to_sparse, tile_rows

torch = require("torch", "lm")

#: the nearest old tokens OMP chooses its atoms from (at least ``omp_k``)
POOL = 64


class OMP(WeightedMethod):
    name = "omp"

    def weights(self, problem: Problem) -> "torch.Tensor":
        """``W: [n, V]``: token ``j``'s row holds the coefficients of its atoms (none for a
        token without an auxiliary vector, or whose solve did not give finite ones)."""
        old = problem.aux.old.float()
        choices = int(problem.candidates.sum())
        k = atom_count(self.settings.omp_k, choices, old.shape[1])
        pool, _ = nearest(problem.aux.new, old, min(max(POOL, k), choices), problem.candidates)  # [n, P]
        cols = torch.zeros(pool.shape[0], k, dtype=torch.long, device=pool.device)
        coeffs = torch.zeros(cols.shape, device=pool.device)
        size = pool.shape[1]
        step = tile_rows(size * (old.shape[1] + size + k) + k * k)  # atoms, Gram matrix, its chosen rows, the factor
        for start in range(0, pool.shape[0], step):
            atoms = old[pool[start : start + step]]
            chosen, coeffs[start : start + step] = matching_pursuit(atoms, problem.aux.new[start : start + step].float(), k)
            cols[start : start + step] = torch.gather(pool[start : start + step], 1, chosen)
        mask = problem.aux.new_valid.unsqueeze(1).expand_as(cols) & torch.isfinite(coeffs)
        return rows_to_sparse(cols, coeffs.nan_to_num(0.0), mask, problem.n_old)


def atom_count(omp_k: int, choices: int, width: int) -> int:
    """The atoms per token: ``omp_k``, or the most that can help where it asks for more
    (``choices`` old tokens to choose from, an auxiliary space ``width`` wide; see the
    module docstring), with a warning."""
    usable = min(choices, width)
    if omp_k <= usable:
        return omp_k
    warnings.warn(f"omp_k {omp_k} asks for more atoms than can help ({choices:,} old tokens to choose from, "
                  f"an auxiliary space of {width} dimensions): using {usable}", stacklevel=3)
    return usable


def matching_pursuit(atoms: "torch.Tensor", target: "torch.Tensor", k: int) -> tuple["torch.Tensor", "torch.Tensor"]:
    """Batched orthogonal matching pursuit: for each of ``n`` targets, ``k`` of its own ``P``
    atoms and the least-squares coefficients that best rebuild it from them.

    ``atoms: [n, P, a]``, ``target: [n, a]``; returns ``chosen: [n, k]`` (positions among
    the ``P`` atoms, in the order picked) and ``coeffs: [n, k]``.

    Worked in the atoms' Gram space: with ``G = A A^T`` and ``c = A y``, the residual's
    correlation with every atom is ``c - G[:, S] x`` and the coefficients on the chosen
    set ``S`` solve ``(G[S, S] + r I) x = c[S]`` (a tiny ridge ``r`` keeps duplicate atoms
    solvable). That system's Cholesky factor grows by one row per pick (one triangular
    solve), so each step costs two more triangular solves, not a factorisation.
    """
    n, size, _ = atoms.shape
    gram = atoms @ atoms.transpose(1, 2)
    corr0 = torch.einsum("npd,nd->np", atoms, target)
    ridge = 1e-6 * gram.diagonal(dim1=1, dim2=2).mean(1).clamp(min=1e-12)
    chosen = torch.zeros(n, k, dtype=torch.long, device=atoms.device)
    used = torch.zeros(n, size, dtype=torch.bool, device=atoms.device)
    rows = torch.zeros(n, k, size, device=atoms.device)  # row s: G's row of the s-th atom picked
    lower = torch.zeros(n, k, k, device=atoms.device)  # the Cholesky factor of G[S, S] + r I
    arange = torch.arange(n, device=atoms.device)
    corr = corr0
    coeffs = torch.zeros(n, 0, device=atoms.device)
    for step in range(k):
        pick = corr.abs().masked_fill(used, -1.0).argmax(1)
        chosen[:, step] = pick
        used[arange, pick] = True
        rows[:, step] = gram[arange, pick]
        across = torch.gather(rows[:, step], 1, chosen[:, :step]).unsqueeze(2)  # G[S_before, pick]
        w = torch.linalg.solve_triangular(lower[:, :step, :step], across, upper=False).squeeze(2)
        lower[:, step, :step] = w
        lower[:, step, step] = torch.maximum(rows[arange, step, pick] + ridge - (w * w).sum(1), ridge).sqrt()
        factor = lower[:, : step + 1, : step + 1]
        half = torch.linalg.solve_triangular(factor, torch.gather(corr0, 1, chosen[:, : step + 1]).unsqueeze(2), upper=False)
        coeffs = torch.linalg.solve_triangular(factor.transpose(1, 2), half, upper=True).squeeze(2)
        corr = corr0 - torch.bmm(coeffs.unsqueeze(1), rows[:, : step + 1]).squeeze(1)
    return chosen, coeffs
