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

import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from tokkit.atomic import check_output
from tokkit.causal_lm import load_causal_lm, load_lm_tokenizer, resolve_device
from tokkit.corpora import open_corpus
from tokkit.loading import load
from tokkit.progress import Progress
from tokkit.tokenizer import Tokenizer
from tokkit.transplant import pipeline, scoring, surgery
from tokkit.transplant.aux_space import Encoder
from tokkit.transplant.methods import Settings, get_method
from tokkit.transplant.saving import save


@dataclass
class Summary:
    """What :func:`run` did.

    ``counts``: new tokens that share an old token's bytes, special tokens matched, rows
    estimated, new special tokens with no old counterpart. ``seconds``: wall time per stage,
    in the order they ran. ``config``: the model config fields the transplant set.
    ``chat_template_carried``: whether the old chat template went with the new tokenizer
    (it does where the new vocabulary has every special token it names). ``warnings``:
    what the user should know (no token shared, a setting capped, a template left behind).
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

    def to_json(self) -> dict:
        """The summary as JSON values (seconds rounded to the millisecond)."""
        return {"model": self.model, "tokenizer": self.tokenizer, "out": str(self.out), "method": self.method,
                "settings": asdict(self.settings), "counts": self.counts,
                "seconds": {stage: round(value, 3) for stage, value in self.seconds.items()}, "config": self.config,
                "chat_template_carried": self.chat_template_carried, "warnings": self.warnings}


def run(model: str | Path, tokenizer: str | Path | Tokenizer, out: str | Path, *, method: str = "tokenadapt",
        settings: Settings | None = None, aux_model: str | None = None, aux_precision: str = "auto", device: str = "auto",
        pad_multiple: int = 1, cache_dir: str | Path | None = None, force: bool = False,
        progress: Progress | None = None) -> Summary:
    """Move the causal LM ``model`` onto ``tokenizer`` (a :class:`~tokkit.Tokenizer` or
    anything :func:`tokkit.load` reads) and save it in the folder ``out``.

    ``method`` with ``settings`` (see :mod:`~tokkit.transplant.methods`) estimates the rows
    of the new tokens, in the auxiliary space of ``aux_model`` (a Hugging Face encoder run
    at ``aux_precision``, its vectors cached under ``cache_dir``) or, without one, of the
    model's own input embeddings. The vocabulary is padded to a multiple of
    ``pad_multiple``; ``force`` replaces an existing ``out``; ``device`` is ``auto``,
    ``cpu``, ``cuda`` or ``cuda:N``.
    """
    out = check_output(out, force)
    surgery.check_pad_multiple(pad_multiple)
    chosen = get_method(method, settings)
    device = resolve_device(device)
    seconds: dict[str, float] = {}
    with pipeline.stage("load tokenizers", seconds):
        new = tokenizer if isinstance(tokenizer, Tokenizer) else load(tokenizer)
        old = load_lm_tokenizer(model)
    encoder = None
    if aux_model is not None:  # before the model: a bad encoder fails before the slow load
        with pipeline.stage("load aux model", seconds, progress):
            encoder = Encoder(aux_model, device, cache_dir, precision=aux_precision)
    with pipeline.stage("load model", seconds, progress):
        lm = load_causal_lm(model, device)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = pipeline.transplant(lm, old, new, chosen, encoder, device, pad_multiple, progress)
    seconds.update(result.seconds)
    with pipeline.stage("save", seconds, progress):
        save(lm, new, out, result.chat_template, force=force)
    notes = [str(warning.message) for warning in caught]
    if result.dropped_template_tokens:
        notes.append(f"chat template not carried over: the new vocabulary lacks {', '.join(result.dropped_template_tokens)}")
    return Summary(str(model), new.name if isinstance(tokenizer, Tokenizer) else str(tokenizer), out, method, chosen.settings,
                   result.counts, seconds, result.config, result.chat_template is not None, notes)


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
