"""``mean``: the plain mean of the old rows that spell the token.

ReTok (Gu et al. 2024, "ReTok: Replacing Tokenizer to Enhance Representation Efficiency
in Large Language Model"): a new token's row is the average of the rows of the old
tokens its text encodes to, each piece counted as often as it occurs.
"""

from __future__ import annotations

from tokkit.errors import require
from tokkit.transplant.methods.base import Problem, WeightedMethod
from tokkit.transplant.tensor_ops import padded, rows_to_sparse

torch = require("torch", "lm")


class Mean(WeightedMethod):
    name = "mean"

    def weights(self, problem: Problem) -> "torch.Tensor":
        """``W: [n, V]`` with ``1 / len(pieces[j])`` at each of token ``j``'s pieces."""
        ids, mask = padded(problem.pieces, problem.device)
        vals = mask.float() / mask.sum(1, keepdim=True).clamp(min=1)
        return rows_to_sparse(ids, vals, mask, problem.n_old)
