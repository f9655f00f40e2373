"""``tune``: the new rows trained with the language-model loss on the learning corpus.

The model reads each line in the new tokenization and the loss is the mean next-token
cross-entropy over its tokens; everything but the rows that train is frozen (the
embedding-tuning stage of the adaptation recipes, e.g. Minixhofer et al. 2022, "WECHSEL",
and Dobler & de Melo 2023, "FOCUS", which tune the new embeddings before anything else).
It costs a forward and a backward pass through the whole model per line, against
distillation's passes up to an early layer, but it trains what bits per byte measure.

``params="embeddings"`` trains every embedding row; ``params="lora"`` adds low-rank
adapters (Hu et al. 2021, "LoRA") on the attention projections (or, with
``lora_targets="all-linear"``, on every linear layer of the decoder), through the ``peft``
library (it wraps transformers 5.x models, knows each architecture's projection names,
and merges the adapters back into plain weights), so the saved model needs no adapter code.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from tokkit.errors import TokkitError, first_line, require
from tokkit.transplant.learning.base import Example, Job, Learner, LearnReport, LearnSettings
from tokkit.transplant.learning.examples import padded
from tokkit.transplant.learning.forward import logits
from tokkit.transplant.learning.loop import optimise
from tokkit.transplant.learning.rows import Rows, frozen

torch = require("torch", "lm")
F = require("torch.nn.functional", "lm")


class Tune(Learner):
    name = "tune"

    def learn(self, job: Job) -> LearnReport:
        model, s = job.model, self.settings
        rows = Rows(model, None if s.params == "embeddings" else job.train_ids)

        def loss(batch: list[Example]) -> "torch.Tensor":
            ids, mask = padded([ex.new_ids for ex in batch], batch[0].new_ids[0], job.device)
            out = logits(model, rows.overrides(), ids, mask)[:, :-1].float()
            lost = F.cross_entropy(out.reshape(-1, out.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")
            keep = mask[:, 1:].reshape(-1).float()
            return (lost * keep).sum() / keep.sum()

        with frozen(model), adapters(model, s) as extra:
            report = optimise(rows.params + extra, job.examples, s, loss, f"learning (tune, {s.params})", job.progress)
        rows.write_back(model)
        return report


@contextmanager
def adapters(model, settings: LearnSettings) -> Iterator[list["torch.nn.Parameter"]]:
    """With ``params="lora"``: LoRA adapters of rank ``lora_rank`` on ``model``'s attention
    projections or every linear layer (``lora_targets``; their parameters are yielded),
    merged into its weights when the block ends and removed, unmerged, if it fails; every
    ``requires_grad`` flag is restored. Otherwise nothing. The adapters' initial values come
    from ``settings.seed``."""
    if settings.params != "lora":
        yield []
        return
    peft = require("peft", "lm")
    flags = {name: p.requires_grad for name, p in model.named_parameters()}
    targets = None if settings.lora_targets == "attention" else settings.lora_targets
    config = peft.LoraConfig(r=settings.lora_rank, lora_alpha=2 * settings.lora_rank, lora_dropout=0.0, target_modules=targets)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        try:
            wrapped = peft.get_peft_model(model, config)
        except ValueError as exc:  # peft knows no projection names for this architecture
            raise TokkitError(f"--learn-params lora: {first_line(exc)}") from exc
    merged = False
    try:
        yield [p for name, p in model.named_parameters() if "lora_" in name]
        wrapped.merge_and_unload()
        merged = True
    finally:
        if not merged:
            wrapped.unload()
        for name, p in model.named_parameters():
            p.requires_grad_(flags.get(name, False))
