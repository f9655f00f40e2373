"""``global``: TokenAdapt's global heuristic, the token's nearest old tokens in the auxiliary space.

TokenAdapt (Sharthak et al. 2025, see :mod:`~tokkit.transplant.methods.local`): the
``top_k`` old tokens of highest cosine to the new token in the auxiliary space, weighted
by ``softmax(cos / T)``; neighbours under the similarity threshold are masked out.
Neighbours that disagree with the token on a leading space are never considered (an
uncased encoder that strips spaces otherwise pairs ``" the"`` with ``"the"``). Ties are
broken by old id, so the result does not depend on the order of a sort.
"""

from __future__ import annotations

from tokkit.errors import require
from tokkit.transplant.methods.base import Problem, WeightedMethod
from tokkit.transplant.tensor_ops import masked_softmax, nearest, rows_to_sparse

torch = require("torch", "lm")


class Global(WeightedMethod):
    name = "global"

    def weights(self, problem: Problem) -> "torch.Tensor":
        """``W: [n, V]``: token ``j``'s row holds the softmax weights of its neighbours
        above the threshold (none for a token without an auxiliary vector)."""
        s = self.settings
        ids, sims = nearest(problem.aux.new, problem.aux.old, s.top_k, problem.candidates, (problem.new_space, problem.old_space))
        mask = (sims >= s.threshold) & problem.aux.new_valid.unsqueeze(1)
        vals = masked_softmax(sims / s.temperature, mask)
        return rows_to_sparse(ids, vals, mask, problem.n_old)
