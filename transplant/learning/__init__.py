"""Learning the rows a transplant estimated: one module per method, behind one interface.

The heuristic rows of :mod:`~tokkit.transplant.methods` are a zero-shot start; a learning
method trains them on raw text afterwards, the model otherwise frozen:

* :mod:`~tokkit.transplant.learning.base`: the interface (:class:`Learner`), its settings, what it is given;
* ``distill`` (:mod:`~tokkit.transplant.learning.distill`): AweDist's hidden-state distillation from the old model;
* ``tune`` (:mod:`~tokkit.transplant.learning.tune`): the language-model loss on the new rows (or every
  embedding row, or the rows and LoRA adapters);
* what they share: :mod:`~tokkit.transplant.learning.rows` (the rows that train, over frozen matrices),
  :mod:`~tokkit.transplant.learning.forward` (passes cut at a layer),
  :mod:`~tokkit.transplant.learning.examples` (lines, alignment, coverage),
  :mod:`~tokkit.transplant.learning.loop` (the optimiser loop and its progress line).

:func:`prepare` checks a learning plan against the corpus and the tokenizers before any
model is loaded; :func:`learn` runs it on a transplanted model and scores the held-out
lines before and after.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Iterable

from tokkit.errors import InvalidValue, TokkitError
from tokkit.progress import Progress
from tokkit.tokenizer import Tokenizer
from tokkit.transplant import scoring
from tokkit.transplant.learning.base import PARAMS, Example, Job, Learner, LearnReport, LearnSettings
from tokkit.transplant.learning.distill import Distill
from tokkit.transplant.learning.examples import check_coverage, draw, make_example, pack, split_lines
from tokkit.transplant.learning.tune import Tune

__all__ = ["LEARNERS", "LEARN_CHOICES", "PARAMS", "Distill", "Example", "Job", "Learned", "Learner", "LearnReport",
           "LearnSettings", "Plan", "Tune", "get_learner", "learn", "prepare"]

#: the registry: every learning method by its name
LEARNERS: dict[str, type[Learner]] = {cls.name: cls for cls in (Distill, Tune)}
#: what ``--learn`` accepts: a method, or ``none``
LEARN_CHOICES = (*LEARNERS, "none")


def get_learner(name: str, settings: LearnSettings | None = None) -> Learner:
    """The learning method registered under ``name``, with ``settings``."""
    if name not in LEARNERS:
        raise InvalidValue("learn", f"must be one of {', '.join(LEARN_CHOICES)}, not '{name}'")
    learner = LEARNERS[name](settings)
    if learner.settings.params not in learner.params:
        raise InvalidValue("learn_params", f"must be one of {', '.join(learner.params)} with {name}, not '{learner.settings.params}'")
    return learner


@dataclass
class Plan:
    """A learning stage, checked and ready: the method, the held-out lines, the examples
    (packed lines, :func:`~tokkit.transplant.learning.examples.pack`) in the order they are
    read, and the share of their tokens whose rows train."""

    learner: Learner
    corpus: str
    held_out: list[str]
    examples: list[Example]
    train_ids: list[int]
    coverage: float


@dataclass
class Learned:
    """What a learning stage did. ``before`` / ``after``: bits per byte of the model on the
    held-out lines (``held_out`` says which) with the rows as the transplant estimated them
    and as learned (None without held-out lines); ``losses``: the first and last step's
    loss; ``seconds`` per part."""

    method: str
    settings: LearnSettings
    corpus: str
    held_out: str
    rows: int
    coverage: float
    before: float | None
    after: float | None
    first_loss: float
    last_loss: float
    tokens: int
    seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"method": self.method, "settings": asdict(self.settings), "corpus": self.corpus, "held_out": self.held_out,
                "rows": self.rows, "coverage": round(self.coverage, 4), "bits_per_byte_before": self.before,
                "bits_per_byte_after": self.after, "first_loss": self.first_loss, "last_loss": self.last_loss,
                "tokens": self.tokens, "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}


def prepare(method: str, settings: LearnSettings, texts: Iterable[str], corpus: str, old: Tokenizer, new: Tokenizer,
            estimated: list[int]) -> Plan:
    """Check and lay out a learning stage: ``method`` with ``settings`` on the lines of
    ``texts`` (the corpus named ``corpus``), training the rows of the new ids ``estimated``
    (every row with ``params="embeddings"``). With ``params="lora"`` and no estimated row only
    the adapters learn: the model adapted to the corpus on its own tokenizer, the control for an
    adaptation that also changes the tokenizer. Refuses an unknown method or a setting it cannot
    use, a corpus with nothing to learn from or that hardly uses the rows that train."""
    learner = get_learner(method, settings)
    train_ids = list(range(new.vocab_size)) if settings.params == "embeddings" else list(estimated)
    if not train_ids and settings.params != "lora":
        raise TokkitError(f"nothing to learn: {new.name} has no token the transplant estimated (use --learn none)")
    held, pool = split_lines(texts, settings.held_out, corpus)
    made: dict[int, Example] = {}

    def example(line: int) -> Example:
        if line not in made:
            made[line] = make_example(pool[line], old, new, settings.length)
        return made[line]

    examples = pack(map(example, draw(len(pool), settings.seed)), settings.length, settings.steps * settings.batch)
    coverage = check_coverage(examples, list(estimated) or train_ids, corpus, new.name) if train_ids else 0.0
    return Plan(learner, corpus, held, examples, train_ids, coverage)


def learn(model, old: Tokenizer, new: Tokenizer, old_input, plan: Plan, device: str = "cpu",
          progress: Progress | None = None) -> Learned:
    """Run ``plan`` on ``model`` (already on ``new``; ``old_input`` is the old model's input
    embedding ``[W, d]``), in place, scoring the held-out lines before and after."""
    seconds: dict[str, float] = {}

    def held_out_score() -> float | None:
        if not plan.held_out:
            return None
        clock = time.perf_counter()
        value = scoring.score(model, new, plan.held_out, device, progress).bits_per_byte
        seconds["held-out before" if "held-out before" not in seconds else "held-out after"] = time.perf_counter() - clock
        return value

    before = held_out_score()
    report = plan.learner.learn(Job(model, old, new, old_input, plan.train_ids, plan.examples, device, progress))
    seconds["learn"] = report.seconds
    after = held_out_score()
    s = plan.learner.settings
    where = f"the first {len(plan.held_out)} lines of {plan.corpus}, which learning does not read" if plan.held_out else "none"
    return Learned(plan.learner.name, s, plan.corpus, where, len(plan.train_ids), plan.coverage, before, after,
                   report.losses[0], report.losses[-1], report.tokens, seconds)
