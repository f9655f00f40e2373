"""The interface every learning method implements, its settings, and what it is given.

A transplant's heuristic rows are a starting point; a learning method then trains the
rows the transplant estimated, everything else frozen, on raw text (no labels): a
:class:`Learner` gets a :class:`Job` (the transplanted model, both tokenizers, the old
embedding matrices, the examples to learn from) and changes the model's rows in place.

What trains (:attr:`LearnSettings.params`): ``rows``, only the estimated rows of the input
and output embeddings (one set of rows where the two are tied); ``embeddings``, every row
of both; ``lora``, the estimated rows and low-rank adapters on the attention projections
(merged into the weights afterwards, so the saved model is a plain one). Shapes in the
docstrings: ``V`` new vocabulary, ``W`` old vocabulary, ``n`` rows that train, ``d`` width.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from tokkit.checks import check_choice, check_number
from tokkit.progress import Progress
from tokkit.tokenizer import Tokenizer

#: what may train: the estimated rows only, every embedding row, or the rows and LoRA adapters
PARAMS = ("rows", "embeddings", "lora")
#: where LoRA adapters go: the attention projections peft picks for the architecture, or every linear layer
LORA_TARGETS = ("attention", "all-linear")


@dataclass(frozen=True)
class LearnSettings:
    """How a learning method trains, checked when made (the parameters are named as
    :func:`~tokkit.transplant.run` and the CLI name them: ``learn_steps`` is
    ``--learn-steps``).

    ``steps`` optimiser steps of ``batch`` examples, each lines of the learning corpus
    packed into at most ``length`` new tokens (a longer line is cut); Adam at ``rate``;
    ``layer``: the hidden layer distillation matches (counted from 1; 0 means the last);
    ``held_out``: lines at the start of the corpus that learning never reads, scored before
    and after; ``lora_rank``: the adapters' rank with ``params="lora"``, ``lora_targets`` the
    layers they adapt (:data:`LORA_TARGETS`); ``seed`` decides
    which lines are drawn and in what order, so a seed gives the same rows. The defaults
    (distill's layer, rate and steps) are the best measured on FLORES-200 *dev*
    (``bench/README.md``).
    """

    steps: int = 40
    params: str = "rows"
    rate: float = 3e-3
    batch: int = 8
    length: int = 64
    layer: int = 4
    held_out: int = 32
    lora_rank: int = 8
    lora_targets: str = "attention"
    seed: int = 0

    def __post_init__(self):
        check_number("learn_steps", self.steps, at_least=1, whole=True)
        check_choice("learn_params", self.params, PARAMS)
        check_number("learn_rate", self.rate, above=0)
        check_number("learn_batch", self.batch, at_least=1, whole=True)
        check_number("learn_length", self.length, at_least=2, whole=True)
        check_number("learn_layer", self.layer, at_least=0, whole=True)
        check_number("learn_held_out", self.held_out, at_least=0, whole=True)
        check_number("learn_lora_rank", self.lora_rank, at_least=1, whole=True)
        check_choice("learn_lora_targets", self.lora_targets, LORA_TARGETS)
        check_number("seed", self.seed, whole=True)


@dataclass
class Example:
    """One sequence to learn from, in both tokenizations: ``new_ids`` and ``old_ids``, one
    line or several packed, each line after its tokenizer's line prefix (see
    :func:`~tokkit.transplant.scoring.prefix_id`), and
    ``aligned``: (new position, old position) pairs where both tokenizations have read
    exactly the same text (a token of each ends at the same character; the prefixes pair)."""

    new_ids: list[int]
    old_ids: list[int]
    aligned: list[tuple[int, int]]


@dataclass
class Job:
    """What a learner works on. ``model`` is already on the new vocabulary (its estimated rows
    in place); ``old_input`` is the old model's input embedding ``[W, d]``, for the teacher's
    passes; ``train_ids`` are the new ids whose rows train; ``examples`` what to learn from."""

    model: object
    old: Tokenizer
    new: Tokenizer
    old_input: "torch.Tensor"
    train_ids: list[int]
    examples: list[Example]
    device: str = "cpu"
    progress: Progress | None = None


@dataclass
class LearnReport:
    """What learning did: the loss at each step, the examples it read, the tokens per second."""

    losses: list[float] = field(default_factory=list)
    examples: int = 0
    tokens: int = 0
    seconds: float = 0.0


class Learner(ABC):
    """A learning method, registered under :attr:`name` (see :func:`~tokkit.transplant.learning.get_learner`)."""

    name: str
    #: the values of :attr:`LearnSettings.params` the method can train
    params: tuple[str, ...] = PARAMS

    def __init__(self, settings: LearnSettings | None = None):
        self.settings = settings or LearnSettings()

    @abstractmethod
    def learn(self, job: Job) -> LearnReport:
        """Train the rows of ``job.model`` in place; return what was done."""
