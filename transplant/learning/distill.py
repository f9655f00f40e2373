"""``distill``: the new rows learned from the old model reading the old tokenization.

AweDist (Dobler, Elliott & de Melo 2025, "AweDist: Attention-aware Embedding Distillation
for New Input Token Embeddings", published as "Token Distillation"): a new token's input
row should make the frozen model compute, at the positions after it, the hidden states it
computes when it reads the token's text in the old tokenization (the layers build a word
from its pieces, so the states after the pieces carry what the new row must give). It
needs only raw text. What this module follows, and where it departs:

* **The objective, input side.** For each line, the teacher is the model with the *old*
  embedding reading the old tokenization, the student the same layers with the new rows
  reading the new tokenization; the loss is the squared difference of the output of
  decoder layer ``LearnSettings.layer`` at every aligned position (both have read the same
  text there: AweDist's "tokens not merged, and the last token of a merged span", which
  for two whole vocabularies is every shared boundary; see
  :mod:`~tokkit.transplant.learning.examples`). AweDist matches the last layer by default
  and an early one as an option; matching an early layer stops both passes there, which is
  what makes the method affordable on a CPU (the default was chosen on FLORES-200 *dev*,
  ``bench/README.md``).
* **Each dimension counts.** The squared error of each hidden dimension is divided by that
  dimension's mean square over the batch's targets. A plain mean squared error is ruled
  by the few dimensions (and the few positions) where a decoder carries "massive
  activations" (Sun et al. 2024, "Massive Activations in Large Language Models"), so that
  a row learned against it can move away from the true one while the error falls.
* **The output side.** AweDist learns input rows and trains output rows with next-token
  prediction. Here the output rows of an *untied* model learn from the *teacher's* final
  hidden states: at each aligned position the old model's last state, read by the new
  output rows, should predict the next new token (cross-entropy). That needs no backward
  pass through the layers, only the teacher's forward; once the input rows are right the
  student's states are the teacher's, so it trains the output rows on the states they
  will see.
* **A tied model** has one set of rows, and they learn the hidden-state match alone. The
  next-token term would reach the same rows, and it dominates the sum (a few nats against
  a relative error below one), pulling each row toward what predicts the tokens that
  follow it rather than toward what the layers read: on SmolLM2 (tied) with its own
  tokenizer on both sides, where the true rows are known, the rows learned with both
  terms ended further from the true rows than they started. Training a tied model's rows
  on the language-model loss is ``tune``. Without that term the teacher's pass stops at
  the matched layer too.

Only the rows that train get a gradient (AweDist zeroes the others'; here they are not
parameters at all).
"""

from __future__ import annotations

from tokkit.errors import require
from tokkit.transplant.learning.base import Example, Job, Learner, LearnReport
from tokkit.transplant.learning.examples import padded
from tokkit.transplant.learning.forward import depth, hidden_states
from tokkit.transplant.learning.loop import optimise
from tokkit.transplant.learning.rows import Rows, frozen

torch = require("torch", "lm")
F = require("torch.nn.functional", "lm")


class Distill(Learner):
    name = "distill"
    params = ("rows", "embeddings")

    def learn(self, job: Job) -> LearnReport:
        model, s = job.model, self.settings
        layer = depth(model) if s.layer == 0 else min(s.layer, depth(model))
        rows = Rows(model, None if s.params == "embeddings" else job.train_ids)
        teacher = {rows.names[0]: job.old_input.to(job.device)}

        def loss(batch: list[Example]) -> "torch.Tensor":
            old_ids, old_mask = padded([ex.old_ids for ex in batch], batch[0].old_ids[0], job.device)
            new_ids, new_mask = padded([ex.new_ids for ex in batch], batch[0].new_ids[0], job.device)
            with torch.no_grad():
                target, last = hidden_states(model, teacher, old_ids, old_mask, layer, final=not rows.tied)
            overrides = rows.overrides()
            got, _ = hidden_states(model, overrides, new_ids, new_mask, layer)
            row, new_pos, old_pos = _pairs(batch, job.device, skip_prefix=True)
            wanted = target[row, old_pos].float()
            spread = (wanted**2).mean(0).clamp(min=1e-12)
            value = ((got[row, new_pos].float() - wanted) ** 2 / spread).mean()
            if rows.tied:
                return value
            row, new_pos, old_pos = _pairs(batch, job.device, skip_prefix=False, with_next=True)
            weight, bias = rows.output(overrides)
            predicted = F.linear(last[row, old_pos], weight, bias).float()
            return value + F.cross_entropy(predicted, new_ids[row, new_pos + 1])

        with frozen(model):
            report = optimise(rows.params, job.examples, s, loss, f"learning (distill, layer {layer})", job.progress)
        rows.write_back(model)
        return report


def _pairs(batch: list[Example], device: str, skip_prefix: bool, with_next: bool = False) -> tuple["torch.Tensor", ...]:
    """The aligned positions of a batch as ``(row, new position, old position)`` index tensors;
    ``skip_prefix`` drops the prefix pair, ``with_next`` keeps pairs a new token follows."""
    rows, new_pos, old_pos = [], [], []
    for number, ex in enumerate(batch):
        for new, old in ex.aligned:
            if (skip_prefix and new == 0) or (with_next and new + 1 >= len(ex.new_ids)):
                continue
            rows.append(number)
            new_pos.append(new)
            old_pos.append(old)
    return tuple(torch.tensor(x, dtype=torch.long, device=device) for x in (rows, new_pos, old_pos))
