"""The transplant, stage by stage: match, embed, estimate, operate.

1. *match* the vocabularies by bytes and role and decompose the new tokens
   (:mod:`tokkit.transplant.correspondence`);
2. *embed* old and new tokens in the auxiliary space (:mod:`tokkit.transplant.aux_space`);
3. *estimate* the new rows with a method (:mod:`tokkit.transplant.methods`);
4. *operate*: new matrices into the model, config updated (:mod:`tokkit.transplant.surgery`);
5. *learn* (with a :class:`~tokkit.transplant.learning.Plan`): train the estimated rows on raw
   text (:mod:`tokkit.transplant.learning`).

Each stage's wall time is recorded in the result, so the summary can say where the time
went.
"""

from __future__ import annotations

import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from tokkit.causal_lm import check_tokenizer_fits
from tokkit.errors import require
from tokkit.progress import Progress
from tokkit.tokenizer import Tokenizer
from tokkit.transplant import aux_space, correspondence, learning, methods, surgery

torch = require("torch", "lm")


@dataclass
class Result:
    """What a transplant did: counts, per-stage seconds, the carried chat template."""

    counts: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)
    config: dict[str, int | None] = field(default_factory=dict)
    chat_template: str | None = None
    dropped_template_tokens: list[str] = field(default_factory=list)
    learned: learning.Learned | None = None
    relation: str | None = None  #: how the vocabularies relate, where the new one extends the old


@contextmanager
def stage(name: str, seconds: dict[str, float] | None = None, progress: Progress | None = None) -> Iterator[None]:
    """Time the block into ``seconds[name]``; with ``progress``, show it as a line that is
    done when the block is."""
    clock = time.perf_counter()
    task = progress.add(name) if progress else None
    yield
    if task:
        task.done()
    if seconds is not None:
        seconds[name] = time.perf_counter() - clock


def estimate_rows(model, old: Tokenizer, new: Tokenizer, method: methods.Method, encoder: aux_space.Encoder | None = None,
                  device: str = "cpu", progress: Progress | None = None, seconds: dict | None = None,
                  corr: correspondence.Correspondence | None = None):
    """Stages 1-3: the correspondence (``corr`` where it was already made), the estimated
    rows (one block per old matrix), the problem.

    Only the embedding rows of ``old``'s ids take part (an embedding padded past its
    tokenizer has rows no token owns; see :mod:`~tokkit.transplant.surgery`).
    """
    check_tokenizer_fits(model, old)
    with stage("match", seconds):
        corr = corr or correspondence.match(old, new)
        if not corr.shared:
            warnings.warn(f"{new.name} shares no token with {old.name}: every row is estimated", stacklevel=2)

    with stage("aux", seconds):
        matrices, _ = surgery.old_matrices(model, old.vocab_size)
        if encoder is None:
            aux = aux_space.own_space(matrices[0].to(device), corr.pieces)
        else:
            aux = aux_space.encoder_space(encoder, old, new, corr.estimate, progress)

    with stage("estimate", seconds):
        new_bytes = [new.token_bytes(i) for i in corr.estimate]
        problem = methods.make_problem(old.all_token_bytes(), new_bytes, corr.pieces, aux, device)
        rows = method.estimate(problem, matrices) if corr.estimate else [m[:0] for m in matrices]
        if device != "cpu":
            torch.cuda.synchronize()
    return corr, rows, problem


def transplant(model, old: Tokenizer, new: Tokenizer, method: methods.Method, encoder: aux_space.Encoder | None = None,
               device: str = "cpu", pad_multiple: int = 1, progress: Progress | None = None,
               plan: learning.Plan | None = None, corr: correspondence.Correspondence | None = None) -> Result:
    """Move ``model`` (in place) from ``old`` onto ``new``; the model stays on its device.
    The vocabulary is padded to a multiple of ``pad_multiple``; with ``plan`` the estimated
    rows are then learned (:func:`tokkit.transplant.learning.learn`, made by
    :func:`~tokkit.transplant.learning.prepare` for the correspondence ``corr``)."""
    seconds: dict[str, float] = {}
    corr, rows, problem = estimate_rows(model, old, new, method, encoder, device, progress, seconds, corr)
    with stage("surgery", seconds):
        teacher = surgery.old_matrices(model, old.vocab_size)[0][0].clone() if plan else None
        config = surgery.apply(model, corr, rows, new, problem.candidates, pad_multiple)
        template, dropped = surgery.carry_chat_template(getattr(old, "chat_template", None), old, new)
    learned = None
    if plan is not None:
        learned = learning.learn(model, old, new, teacher, plan, device, progress)
        seconds.update(learned.seconds)
    return Result(corr.summary(), seconds, config, template, dropped, learned, corr.relation())
