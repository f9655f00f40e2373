"""``local``: TokenAdapt's local heuristic, the token's pieces weighted by how alike they are.

TokenAdapt (Sharthak et al. 2025, "Achieving Tokenizer Flexibility in Language Models
through Heuristic Adaptation and Supertoken Learning"): the old pieces that spell the new
token are weighted by ``softmax(((cos(piece, token) + share) / 2) / T)``, where ``cos``
is measured in the auxiliary space and ``share`` is the piece's share of the token's
bytes. The two terms are averaged before the temperature, as the reference
implementation does; a piece occurring twice takes two slots of the softmax.
"""

from __future__ import annotations

from tokkit.errors import require
from tokkit.transplant.methods.base import Problem, WeightedMethod
from tokkit.transplant.tensor_ops import masked_softmax, padded, rows_to_sparse

torch = require("torch", "lm")
F = require("torch.nn.functional", "lm")


class Local(WeightedMethod):
    name = "local"

    def weights(self, problem: Problem) -> "torch.Tensor":
        """``W: [n, V]``: token ``j``'s row holds the softmax weights of its pieces."""
        ids, mask = padded(problem.pieces, problem.device)
        share, _ = padded(problem.piece_share, problem.device, dtype=torch.float32)
        piece_vecs = F.normalize(problem.aux.old.float(), dim=-1)[ids]  # [n, L, a]
        token_vecs = F.normalize(problem.aux.new.float(), dim=-1).unsqueeze(1)  # [n, 1, a]
        sims = (piece_vecs * token_vecs).sum(-1)
        vals = masked_softmax((sims + share) / 2 / self.settings.temperature, mask)
        return rows_to_sparse(ids, vals, mask, problem.n_old)
