"""The optimisation loop the learning methods share: seeded batches, Adam, a progress line.

Each step takes the next ``batch`` examples in the seeded order, asks the method for its
loss, and takes one Adam step on the parameters that train. The progress line shows the
step, the loss (a running mean), the tokens per second and the time left. Everything that
decides the result (the order of the examples, the initial parameters) comes from the
seed, so two runs on the same machine give the same rows.
"""

from __future__ import annotations

import time
from typing import Callable

from tokkit.errors import require
from tokkit.progress import Progress
from tokkit.transplant.learning.base import Example, LearnReport, LearnSettings

torch = require("torch", "lm")


def optimise(params: list["torch.nn.Parameter"], examples: list[Example], settings: LearnSettings,
             loss: Callable[[list[Example]], "torch.Tensor"], label: str, progress: Progress | None = None) -> LearnReport:
    """``settings.steps`` Adam steps over ``params``, the examples taken ``settings.batch`` at a
    time in their order (cycling); ``loss(batch)`` gives the scalar to minimise."""
    optimiser = torch.optim.Adam(params, lr=settings.rate)
    report = LearnReport()
    task = progress.add(label, total=settings.steps) if progress else None
    clock = time.perf_counter()
    running = None
    for step in range(settings.steps):
        start = (step * settings.batch) % len(examples)
        batch = (examples[start:] + examples)[: settings.batch]
        value = loss(batch)
        optimiser.zero_grad(set_to_none=True)
        value.backward()
        optimiser.step()
        report.losses.append(value.item())
        report.examples += len(batch)
        report.tokens += sum(len(ex.new_ids) for ex in batch)
        running = report.losses[-1] if running is None else 0.9 * running + 0.1 * report.losses[-1]
        if task:
            elapsed = time.perf_counter() - clock
            left = elapsed / (step + 1) * (settings.steps - step - 1)
            task.update(description=f"{label}: loss {running:.4f}, {report.tokens / elapsed:,.0f} tokens/s, {left:,.0f} s left")
            task.advance(1)
    report.seconds = time.perf_counter() - clock
    return report
