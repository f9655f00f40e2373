"""``random``: rows drawn at random with the old rows' statistics, the floor every method must beat.

Each new row is drawn from a normal with the old matrix's per-column mean and standard
deviation (over the old tokens that have bytes), from a generator seeded with
``Settings.seed``, on the CPU so that a seed gives the same rows on every device. The
rows are not scaled: they mix no old rows.
"""

from __future__ import annotations

from tokkit.errors import require
from tokkit.transplant.methods.base import Method, Problem

torch = require("torch", "lm")


class Random(Method):
    name = "random"

    def estimate(self, problem: Problem, matrices: list["torch.Tensor"]) -> list["torch.Tensor"]:
        """``matrices[m]: [V, d_m]`` gives ``[n, d_m]`` random rows (float32, on ``problem.device``)."""
        generator = torch.Generator().manual_seed(self.settings.seed)
        out = []
        n = len(problem.pieces)
        for matrix in matrices:
            m = matrix.float()[problem.candidates.cpu()]
            noise = torch.randn(n, m.shape[1], generator=generator)
            out.append((m.mean(0) + noise * m.std(0)).to(problem.device))
        return out
