"""``tokkit.load(spec)``: one entry point for every tokenizer format tokkit reads.

A spec is a path (a file or a folder) or ``hf:NAME`` for the Hugging Face hub. The
format is recognised from the content (magic bytes, the files in a folder), not only
from the name. Formats live in a registry: each entry says how to recognise a path and
which function loads it, so adding a format is adding one entry.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal

from tokkit.errors import TokkitError, first_line
from tokkit.json_shape import Shape
from tokkit.plugins import load_plugin, plugins
from tokkit.tokenizer import ROLES, Provenance, SpecialTokens, Tokenizer

ACCEPTED = (
    "a tokenizer folder (tokkit's own, or a HF model folder with tokenizer.json or tokenizer.model), "
    "tokenizer.json, a SentencePiece .model, a tiktoken BPE file (.tiktoken), a GGUF file, or hf:NAME"
)


@dataclass(frozen=True)
class Format:
    """A file format: how to recognise a path, and the ``module:function`` that loads it."""

    name: str
    recognise: Callable[[Path], bool]
    loader: str

    def load(self, path: Path, name: str) -> Tokenizer:
        module, func = self.loader.split(":")
        return getattr(importlib.import_module(module), func)(path, name)


def _head(path: Path, n: int = 16) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(n)
    except OSError:
        return b""


def _is_json(path: Path) -> bool:
    return path.is_file() and _head(path, 64).lstrip()[:1] == b"{"


def is_gguf(path: Path) -> bool:
    """A GGUF file (a model or a vocabulary), by its magic bytes."""
    return path.is_file() and _head(path, 4) == b"GGUF"


def _is_tiktoken(path: Path) -> bool:
    """A tiktoken BPE file: lines of ``base64 rank``."""
    head = _head(path, 256)
    line = head.split(b"\n", 1)[0].split()
    return path.is_file() and len(line) == 2 and line[1].isdigit()


def _is_sentencepiece(path: Path) -> bool:
    """A serialized ``ModelProto``: field 1 (pieces) as a length-delimited message."""
    return path.is_file() and path.suffix != ".json" and _head(path, 1) == b"\x0a"


FORMATS: list[Format] = [
    Format("tokkit", lambda p: (p / "tokkit.json").is_file(), "tokkit.loading:load_tokkit_folder"),
    Format("hf", lambda p: (p / "tokenizer.json").is_file(), "tokkit.loading:load_hf_folder"),
    Format("hf", _is_json, "tokkit.loading:load_hf_file"),
    Format("gguf", is_gguf, "tokkit.backends.gguf:load_gguf"),
    Format("sentencepiece", lambda p: (p / "tokenizer.model").is_file(), "tokkit.backends.sentencepiece:load_sentencepiece_folder"),
    Format("sentencepiece", _is_sentencepiece, "tokkit.backends.sentencepiece:load_sentencepiece"),
    Format("tiktoken", _is_tiktoken, "tokkit.backends.tiktoken:load_tiktoken"),
    Format("tiktoken", lambda p: p.is_dir() and any(p.glob("*.tiktoken")), "tokkit.backends.tiktoken:load_tiktoken_folder"),
]


def file_format(spec: str | Path) -> str | None:
    """The format a spec's file or folder is in (``gguf``, ``tiktoken``, ``tokkit``, ...;
    ``hf`` for ``hf:NAME``), as :func:`load` recognises it; ``None`` when it is none of them.
    It can differ from the loaded tokenizer's ``format`` (a GGUF vocabulary runs as a
    ``tokenizers`` tokenizer, format ``hf``)."""
    spec_str = str(spec)
    if spec_str.startswith("hf:"):
        return "hf"
    path = Path(spec_str).expanduser()
    return next((fmt.name for fmt in FORMATS if path.exists() and fmt.recognise(path)), None)


def load(spec: str | Path, name: str | None = None) -> Tokenizer:
    """Load a tokenizer from any format tokkit knows (see :data:`ACCEPTED`)."""
    spec_str = str(spec)
    if spec_str.startswith("hf:"):
        return load_from_hub(spec_str[3:], name or spec_str)
    path = Path(spec_str).expanduser()
    if not path.exists():
        raise TokkitError(f"no tokenizer at {spec_str}: expected {ACCEPTED}")
    for fmt in FORMATS:
        if fmt.recognise(path):
            return fmt.load(path, name or spec_str)
    raise TokkitError(f"cannot tell what tokenizer format {spec_str} is: expected {ACCEPTED}")


#: ``NAME=SPEC``: a name for the tokenizer a spec loads (the name holds no ``=``, path separator or ``:``)
_NAMED = re.compile(r"^(?P<name>[^=/\\:]+)=(?P<spec>.+)$")


def split_name(arg: str) -> tuple[str | None, str]:
    """``"mine=tok/bpe"`` -> ``("mine", "tok/bpe")``; a plain spec -> ``(None, spec)``.

    Commands take tokenizers as ``NAME=SPEC`` so that tables can name them. A spec that
    is an existing file or folder stays whole even when it holds ``=`` (``runs/lr=3``), and
    so does one where no name can stand before the first ``=`` (``runs/lr=3/tok``, ``hf:a=b``).
    """
    match = _NAMED.match(arg)
    if match is None or Path(arg).expanduser().exists():
        return None, arg
    return match["name"].strip() or None, match["spec"]


def short_name(spec: str) -> str:
    """A short name for a tokenizer spec: a file's stem or a folder's name
    (``.../cl100k_base.tiktoken`` -> ``cl100k_base``); ``hf:NAME`` stays as it is."""
    if spec.startswith("hf:"):
        return spec
    path = Path(spec.rstrip("/"))
    return (path.name if path.is_dir() else path.stem) or spec


def load_named(arg: str) -> Tokenizer:
    """The tokenizer of a ``NAME=SPEC`` or plain spec argument, named ``NAME`` or by :func:`short_name`."""
    name, spec = split_name(arg)
    return load(spec, name=name or short_name(spec))


def load_hf_file(path: Path, name: str) -> Tokenizer:
    from tokkit.backends.hf import load_tokenizer_json

    return load_tokenizer_json(path, name)


def load_hf_folder(path: Path, name: str) -> Tokenizer:
    return load_hf_file(path / "tokenizer.json", name)


#: the fields of ``tokkit.json`` a loader reads (the others, such as ``name`` and
#: ``vocab_size``, are there for people and other tools)
TOKKIT_JSON = Shape({
    "format?": str,
    "specials?": dict[Literal[ROLES], int],
    "algorithm?": str,
    "params?": dict[str, Any],
    "corpus?": dict[str, Any] | None,
    "seed?": int | None,
})


def load_tokkit_folder(path: Path, name: str) -> Tokenizer:
    """A folder tokkit saved: ``tokkit.json`` says the format and the roles.

    Formats of the leaf packages (the hybrid morphological tokenizer) are found through
    the ``tokkit.formats`` entry points, so the core never imports them.
    """
    file = path / "tokkit.json"
    try:
        meta = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TokkitError(f"{file} is not valid JSON: {exc}") from exc
    TOKKIT_JSON.check(meta, str(file))
    fmt = meta.get("format", "hf")
    matching = [f for f in FORMATS if f.name == fmt and f.recognise(path)]
    if fmt in plugins("tokkit.formats"):
        tokenizer = load_plugin("tokkit.formats", fmt)(path, name)
    elif matching:
        tokenizer = matching[0].load(path, name)
    else:
        raise TokkitError(f"{path} holds a tokenizer of format '{fmt}', which this tokkit cannot load")
    roles = meta.get("specials") or {}
    if roles:
        tokenizer.specials = SpecialTokens(**roles)
    tokenizer.provenance = Provenance(
        algorithm=meta.get("algorithm", fmt),
        params=meta.get("params") or {},
        corpus=meta.get("corpus"),
        seed=meta.get("seed"),
    )
    return tokenizer


#: seconds the hub has to answer before ``hf:NAME`` gives up (the hub library retries for 24)
HUB_TIMEOUT = 5.0


def load_from_hub(repo: str, name: str) -> Tokenizer:
    """``hf:NAME``: ``tokenizer.json`` from the Hugging Face hub, or from its local cache.

    The hub library retries a refused connection for about 24 seconds, warning five
    times, before it says so; so the hub is asked once first, with a short timeout, and
    when it does not answer a cached copy is used, else one line says what to do.
    ``HF_HUB_OFFLINE=1`` reads the cache alone; ``HF_ENDPOINT`` names another hub.
    """
    from huggingface_hub import constants, try_to_load_from_cache
    from tokenizers import Tokenizer as RustTokenizer

    from tokkit.backends.hf import HFTokenizer, load_tokenizer_json

    if not constants.HF_HUB_OFFLINE:
        problem = _hub_unreachable(constants.ENDPOINT)
        if problem is not None:
            cached = try_to_load_from_cache(repo, "tokenizer.json")
            if isinstance(cached, str):
                return load_tokenizer_json(Path(cached), name)
            raise TokkitError(
                f"cannot reach the Hugging Face hub at {constants.ENDPOINT} ({problem}) and hf:{repo} is not in the local "
                "cache: pass a local folder or tokenizer.json instead (or, once it is cached, set HF_HUB_OFFLINE=1)"
            )
    try:
        rust = RustTokenizer.from_pretrained(repo)
    except Exception as exc:
        raise TokkitError(f"cannot fetch hf:{repo} from the hub ({first_line(exc)}); download it and pass its folder instead") from exc
    return HFTokenizer(rust, name=name)


def _hub_unreachable(endpoint: str) -> str | None:
    """Why the hub does not answer, or ``None`` when it does (with any HTTP status)."""
    from huggingface_hub import get_session

    try:
        get_session().head(endpoint, timeout=HUB_TIMEOUT)
    except Exception as exc:  # the hub library's HTTP client raises its own connection and timeout errors
        return first_line(exc)
    return None
