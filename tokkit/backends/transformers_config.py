"""``tokenizer_config.json``: the file beside a tokenizer that tells ``transformers`` the
special-token roles, the chat template and the tokenizer class; written and read here
for every backend.

transformers reads a role as ``bos_token: "<s>"`` (older versions wrote an AddedToken
dict, ``{"content": "<s>", ...}``; both are read). ``split_special_tokens`` says whether
the text ``<s>`` stays text (SentencePiece and tiktoken never match special tokens in
text, so their configs set it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from tokkit.errors import TokkitError
from tokkit.tokenizer import ROLES, SpecialTokens, Tokenizer

FILE = "tokenizer_config.json"


def role_tokens(tokenizer: Tokenizer) -> dict[str, str]:
    """``{"bos_token": "<s>", ...}`` for the roles ``tokenizer`` has: what transformers'
    tokenizer constructors and ``tokenizer_config.json`` take."""
    return {f"{role}_token": tokenizer.id_to_token(id) for role, id in tokenizer.specials.items()}


def write_tokenizer_config(folder: Path, tokenizer: Tokenizer, *, split_special_tokens: bool = False,
                           chat_template: str | None = None) -> None:
    """Write ``folder/tokenizer_config.json`` for a ``PreTrainedTokenizerFast`` over
    ``folder/tokenizer.json``."""
    config: dict[str, Any] = role_tokens(tokenizer)
    if split_special_tokens:
        config["split_special_tokens"] = True
    if chat_template:
        config["chat_template"] = chat_template
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    (folder / FILE).write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_tokenizer_config(folder: Path, token_to_id: Callable[[str], int | None]) -> tuple[SpecialTokens | None, str | None]:
    """The roles (``None`` when the file names none the vocabulary has) and the chat
    template of ``folder/tokenizer_config.json`` (or of ``chat_template.jinja`` beside it, where
    transformers 5 writes it); ``(None, None)`` without the file.

    A role whose token is not in the vocabulary is left out, and so is a template that is
    not one string (older files may hold a list of named templates); a file that is not a
    JSON object, or a role of the wrong type, is one clear error.
    """
    path = folder / FILE
    if not path.is_file():
        return None, None
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TokkitError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(config, dict):
        raise TokkitError(f"{path} is not a JSON object")
    roles: dict[str, int] = {}
    for role in ROLES:
        value = config.get(f"{role}_token")
        if isinstance(value, dict):  # older transformers wrote AddedToken dicts
            value = value.get("content")
        if value is None:
            continue
        if not isinstance(value, str):
            raise TokkitError(f"{path}: {role}_token must be a string, not {type(value).__name__}")
        id = token_to_id(value)
        if id is not None:
            roles[role] = id
    template = config.get("chat_template")
    jinja = path.parent / "chat_template.jinja"  # where transformers 5 saves it
    if not isinstance(template, str) and jinja.is_file():
        template = jinja.read_text(encoding="utf-8")
    return (SpecialTokens(**roles) if roles else None), template if isinstance(template, str) else None
