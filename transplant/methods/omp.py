"""``omp``: orthogonal matching pursuit in the auxiliary space, as in mergekit's tokensurgeon.

Goddard & Neto 2025, "Training-Free Tokenizer Transplantation via Orthogonal Matching
Pursuit": the new token's auxiliary vector is approximated by a sparse least-squares
combination of ``omp_k`` old tokens' auxiliary vectors, and the same coefficients
combine the old tokens' rows. The atoms are chosen greedily among the token's
:data:`POOL` nearest old tokens: at each step the atom most correlated with what is
left to explain, then the coefficients of all chosen atoms are solved again. The
coefficients are not normalised and may be negative.
"""

from __future__ import annotations

from tokkit.errors import require
from tokkit.transplant.methods.base import Problem, WeightedMethod
from tokkit.transplant.tensor_ops import TILE, nearest, rows_to_sparse

torch = require("torch", "lm")

#: the nearest old tokens OMP chooses its atoms from (at least ``omp_k``)
POOL = 64


class OMP(WeightedMethod):
    name = "omp"

    def weights(self, problem: Problem) -> "torch.Tensor":
        """``W: [n, V]``: token ``j``'s row holds the coefficients of its ``omp_k`` atoms
        (none for a token without an auxiliary vector, or whose solve did not give finite ones)."""
        k = self.settings.omp_k
        pool, _ = nearest(problem.aux.new, problem.aux.old, max(POOL, k), problem.candidates)  # [n, P]
        cols = torch.zeros(pool.shape[0], k, dtype=torch.long, device=pool.device)
        coeffs = torch.zeros(cols.shape, device=pool.device)
        old = problem.aux.old.float()
        for start in range(0, pool.shape[0], TILE):
            atoms = old[pool[start : start + TILE]]
            chosen, coeffs[start : start + TILE] = matching_pursuit(atoms, problem.aux.new[start : start + TILE].float(), k)
            cols[start : start + TILE] = torch.gather(pool[start : start + TILE], 1, chosen)
        mask = problem.aux.new_valid.unsqueeze(1).expand_as(cols) & torch.isfinite(coeffs)
        return rows_to_sparse(cols, coeffs.nan_to_num(0.0), mask, problem.n_old)


def matching_pursuit(atoms: "torch.Tensor", target: "torch.Tensor", k: int) -> tuple["torch.Tensor", "torch.Tensor"]:
    """Batched orthogonal matching pursuit: for each of ``n`` targets, ``k`` of its own ``P``
    atoms and the least-squares coefficients that best rebuild it from them.

    ``atoms: [n, P, a]``, ``target: [n, a]``; returns ``chosen: [n, k]`` (positions among
    the ``P`` atoms, in the order picked) and ``coeffs: [n, k]``.

    Worked in the atoms' Gram space: with ``G = A A^T`` and ``c = A y``, the residual's
    correlation with every atom is ``c - G[:, S] x`` and the coefficients on the chosen
    set ``S`` solve ``G[S, S] x = c[S]`` (a tiny ridge keeps duplicate atoms solvable).
    """
    n, size, _ = atoms.shape
    gram = atoms @ atoms.transpose(1, 2)
    corr0 = torch.einsum("npd,nd->np", atoms, target)
    ridge = 1e-6 * gram.diagonal(dim1=1, dim2=2).mean(1).clamp(min=1e-12)
    chosen = torch.zeros(n, k, dtype=torch.long, device=atoms.device)
    used = torch.zeros(n, size, dtype=torch.bool, device=atoms.device)
    corr = corr0
    coeffs = torch.zeros(n, 0, device=atoms.device)
    arange = torch.arange(n, device=atoms.device)
    for step in range(k):
        pick = corr.abs().masked_fill(used, -1.0).argmax(1)
        chosen[:, step] = pick
        used[arange, pick] = True
        sel = chosen[:, : step + 1]
        g_cols = torch.gather(gram, 2, sel.unsqueeze(1).expand(n, size, step + 1))
        g_sel = torch.gather(g_cols, 1, sel.unsqueeze(2).expand(n, step + 1, step + 1))
        g_sel = g_sel + ridge.view(n, 1, 1) * torch.eye(step + 1, device=atoms.device)
        coeffs = torch.linalg.solve(g_sel, torch.gather(corr0, 1, sel))
        corr = corr0 - (g_cols @ coeffs.unsqueeze(2)).squeeze(2)
    return chosen, coeffs
