"""The whole of ``tokkit transplant`` and ``tokkit score`` as library calls, from names on disk.

:func:`run` moves a causal LM, named as :func:`~tokkit.causal_lm.load_causal_lm` names it
(a model folder, a GGUF file, a hub name), onto a new tokenizer and saves the result: it
loads the two tokenizers, the auxiliary encoder if one is asked for, and the model; runs
the stages of :mod:`~tokkit.transplant.pipeline`; and writes the output folder whole or not
at all (:func:`~tokkit.transplant.saving.save`). Its :class:`Summary` says what it did.
:func:`score_corpus` scores a model so named on corpora named as
:func:`~tokkit.corpora.open_corpus` names them.

Both check what they are given before the slow work: a refused value, an unknown method, a
device torch cannot use, an output that exists or cannot be written, a tokenizer or a
corpus that cannot be read all fail before the model loads. With a loaded model in hand,
call :func:`~tokkit.transplant.pipeline.transplant` and
:func:`~tokkit.transplant.scoring.score` instead.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from tokkit.atomic import check_output
from tokkit.causal_lm import load_causal_lm, load_lm_tokenizer, resolve_device
from tokkit.corpora import open_corpus
from tokkit.errors import InvalidValue, TokkitError
from tokkit.loading import load
from tokkit.progress import Progress
from tokkit.tokenizer import Tokenizer
from tokkit.transplant import correspondence, learning, pipeline, scoring, specials, surgery
from tokkit.transplant.aux_space import Encoder
from tokkit.transplant.learning import LearnSettings
from tokkit.transplant.methods import DEFAULT_METHOD, Settings, get_method
from tokkit.transplant.saving import save


@dataclass
class Summary:
    """What :func:`run` did.

    ``counts``: new tokens that share an old token's bytes, special tokens matched, rows
    estimated, new special tokens with no old counterpart. ``seconds``: wall time per stage,
    in the order they ran. ``config``: the model config fields the transplant set.
    ``chat_template_carried``: whether the old chat template went with the new tokenizer
    (it does where the new vocabulary has every special token it names);
    ``specials_added``: the template's control tokens added to the new tokenizer so that it
    could (their rows are the old model's; see :mod:`~tokkit.transplant.specials`). ``warnings``:
    what the user should know (no token shared, a setting capped, a template left behind).
    ``learned``: what the learning stage did (None with ``learn="none"``), the held-out bits
    per byte before and after among it. ``relation``: where the new vocabulary is the
    model's own with tokens added, a line saying so and how many rows were copied by id.
    """

    model: str
    tokenizer: str
    out: Path
    method: str
    settings: Settings
    counts: dict[str, int]
    seconds: dict[str, float]
    config: dict[str, int | None]
    chat_template_carried: bool
    warnings: list[str] = field(default_factory=list)
    learned: learning.Learned | None = None
    specials_added: list[str] = field(default_factory=list)
    relation: str | None = None

    def to_json(self) -> dict:
        """The summary as JSON values (seconds rounded to the millisecond)."""
        return {"model": self.model, "tokenizer": self.tokenizer, "out": str(self.out), "method": self.method,
                "settings": asdict(self.settings), "counts": self.counts,
                "seconds": {stage: round(value, 3) for stage, value in self.seconds.items()}, "config": self.config,
                "chat_template_carried": self.chat_template_carried, "specials_added": self.specials_added, "warnings": self.warnings,
                "relation": self.relation, "learned": self.learned.to_json() if self.learned else None}


def run(model: str | Path, tokenizer: str | Path | Tokenizer, out: str | Path, *, method: str = DEFAULT_METHOD,
        settings: Settings | None = None, aux_model: str | None = None, aux_precision: str = "auto", device: str = "auto",
        pad_multiple: int = 1, cache_dir: str | Path | None = None, force: bool = False,
        learn: str = "none", learn_corpus: str | Path | Sequence[str | Path] | None = None, learn_steps: int | None = None,
        learn_settings: LearnSettings | None = None, data_dir: str | Path | None = None, carry_specials: bool = True,
        progress: Progress | None = None) -> Summary:
    """Move the causal LM ``model`` onto ``tokenizer`` (a :class:`~tokkit.Tokenizer` or
    anything :func:`tokkit.load` reads) and save it in the folder ``out``.

    ``method`` with ``settings`` (see :mod:`~tokkit.transplant.methods`) estimates the rows
    of the new tokens, in the auxiliary space of ``aux_model`` (a Hugging Face encoder run
    at ``aux_precision``, its vectors cached under ``cache_dir``) or, without one, of the
    model's own input embeddings. The vocabulary is padded to a multiple of
    ``pad_multiple``; ``force`` replaces an existing ``out``; ``device`` is ``auto``,
    ``cpu``, ``cuda`` or ``cuda:N``. With ``carry_specials``, the control tokens of the old
    chat template that the new tokenizer lacks are added to it, so that the template goes
    along (:mod:`~tokkit.transplant.specials`).

    ``learn`` (``distill``, ``tune`` or ``none``) then trains the estimated rows on the
    lines of ``learn_corpus`` (a spec :func:`~tokkit.corpora.open_corpus` reads, named
    corpora under ``data_dir``) for ``learn_steps`` steps, with ``learn_settings`` (see
    :mod:`~tokkit.transplant.learning`; ``learn_steps`` replaces its ``steps``).
    """
    out = check_output(out, force)
    surgery.check_pad_multiple(pad_multiple)
    chosen = get_method(method, settings)
    learn_settings = learn_settings or LearnSettings()
    if learn_steps is not None:
        learn_settings = dataclasses.replace(learn_settings, steps=learn_steps)
    if learn != "none":
        learning.get_learner(learn, learn_settings)
        if learn_corpus is None:
            raise InvalidValue("learn_corpus", f"must name the text to learn from with learn {learn}")
    device = resolve_device(device)
    seconds: dict[str, float] = {}
    with pipeline.stage("load tokenizers", seconds):
        new = tokenizer if isinstance(tokenizer, Tokenizer) else load(tokenizer)
        old = load_lm_tokenizer(model)
        new, added, notes = _with_template_tokens(old, new) if carry_specials else (new, [], [])
    corr = plan = None
    if learn != "none":  # before the model: a corpus with nothing to learn fails before the slow load
        with pipeline.stage("match", seconds):
            corr = correspondence.match(old, new)
        with pipeline.stage("prepare learning", seconds, progress):
            texts = open_corpus(learn_corpus, data_dir=data_dir).texts()
            spec = learn_corpus if isinstance(learn_corpus, (str, Path)) else " + ".join(map(str, learn_corpus))
            plan = learning.prepare(learn, learn_settings, texts, str(spec), old, new, corr.estimate)
    encoder = None
    if aux_model is not None:  # before the model: a bad encoder fails before the slow load
        with pipeline.stage("load aux model", seconds, progress):
            encoder = Encoder(aux_model, device, cache_dir, precision=aux_precision)
    with pipeline.stage("load model", seconds, progress):
        lm = load_causal_lm(model, device)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = pipeline.transplant(lm, old, new, chosen, encoder, device, pad_multiple, progress, plan, corr)
    seconds.update({k: v + seconds.get(k, 0.0) for k, v in result.seconds.items()})
    with pipeline.stage("save", seconds, progress):
        save(lm, new, out, result.chat_template, force=force)
    notes += [str(warning.message) for warning in caught]
    if result.dropped_template_tokens:
        notes.append(f"chat template not carried over: the new vocabulary lacks {', '.join(result.dropped_template_tokens)}")
    return Summary(str(model), new.name if isinstance(tokenizer, Tokenizer) else str(tokenizer), out, method, chosen.settings,
                   result.counts, seconds, result.config, result.chat_template is not None, notes, result.learned, added,
                   result.relation)


def _with_template_tokens(old: Tokenizer, new: Tokenizer) -> tuple[Tokenizer, list[str], list[str]]:
    """``new`` with the old chat template's control tokens it lacks (:mod:`~tokkit.transplant.specials`),
    the tokens added, and a note where they could not be added."""
    try:
        carried, added = specials.carry_template_tokens(getattr(old, "chat_template", None), old, new)
        if added:
            carried.to_transformers()  # the form that is saved: one that cannot take them fails now, not after the work
    except TokkitError as exc:
        return new, [], [f"the chat template's control tokens were not added: {exc}"]
    return carried, added, []


def score_corpus(model: str | Path, corpus: str | Path | Sequence[str | Path], *, tokenizer: str | Path | Tokenizer | None = None,
                 limit: int | None = None, stream: bool = False, device: str = "auto", data_dir: str | Path | None = None,
                 errors: str = "strict", progress: Progress | None = None) -> scoring.Score:
    """Bits per byte and token perplexity of the causal LM ``model`` on the first ``limit``
    non-empty lines of ``corpus`` (all of them without a limit), as
    :func:`~tokkit.transplant.scoring.score` measures them (``stream``: the lines read as
    one text).

    ``corpus``: one spec or several, opened with :func:`~tokkit.corpora.open_corpus`
    (``data_dir`` for named corpora; ``errors``: ``strict``, ``replace`` or ``skip`` for
    invalid UTF-8). ``tokenizer``: a :class:`~tokkit.Tokenizer`, anything :func:`tokkit.load`
    reads, or None for the model's own.
    """
    device = resolve_device(device)
    if tokenizer is None:
        tokenizer = load_lm_tokenizer(model)
    elif not isinstance(tokenizer, Tokenizer):
        tokenizer = load(tokenizer)
    lines = scoring.lines_to_score(open_corpus(corpus, data_dir=data_dir, errors=errors).texts(), limit)
    with pipeline.stage("load model", progress=progress):
        lm = load_causal_lm(model, device)
    return scoring.score(lm, tokenizer, lines, device, progress, stream=stream)
