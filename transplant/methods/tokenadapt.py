"""``tokenadapt``: TokenAdapt's hybrid of the local and the global heuristic.

TokenAdapt (Sharthak et al. 2025, "Achieving Tokenizer Flexibility in Language Models
through Heuristic Adaptation and Supertoken Learning"): ``(1 - w) * local + w * global``
with ``w = Settings.weight`` (:mod:`~tokkit.transplant.methods.local`,
:mod:`~tokkit.transplant.methods.global_`). A token with no neighbour above the
threshold keeps its local estimate whole, one with no pieces its global estimate.
"""

from __future__ import annotations

from tokkit.errors import require
from tokkit.transplant.methods.base import Problem, WeightedMethod
from tokkit.transplant.methods.global_ import Global
from tokkit.transplant.methods.local import Local
from tokkit.transplant.tensor_ops import scale_rows

torch = require("torch", "lm")


class TokenAdapt(WeightedMethod):
    name = "tokenadapt"

    def weights(self, problem: Problem) -> "torch.Tensor":
        """``W: [n, V]``: the local and the global weight matrices, each row mixed as above."""
        local = Local(self.settings).weights(problem)
        glob = Global(self.settings).weights(problem)
        w = self.settings.weight
        n = local.shape[0]
        has_local = torch.zeros(n, dtype=torch.bool, device=local.device)
        has_global = torch.zeros(n, dtype=torch.bool, device=local.device)
        has_local[local.indices()[0]] = True
        has_global[glob.indices()[0]] = True
        w_local = torch.where(has_global, 1.0 - w, 1.0) * has_local
        w_global = torch.where(has_local, w, 1.0) * has_global
        return (scale_rows(local, w_local) + scale_rows(glob, w_global)).coalesce()
