"""``tokkit bytes ...``: exact byte-level next-byte distributions, generation, FIM and
ensembles from tokenized LMs (the library is :mod:`tokkit.byte_level`).

Prompts are text; ``\\xNN`` escapes (with ``--escapes``) give raw bytes, so a prompt can
end inside a UTF-8 character.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from tokkit.checks import check_number
from tokkit.cli.common import console, prepare_output, write_json
from tokkit.errors import TokkitError

MODEL_HELP = "A causal LM: a Hugging Face folder, a hub name, or a .gguf file."
# The options the commands share (typer reads an option's declaration; one serves every command).
MAX_BYTES = typer.Option(64, "--max-bytes", help="Stop after this many bytes.")
TEMPERATURE = typer.Option(0.0, "--temperature", help="Sampling temperature; 0 is greedy (the most probable byte each time).")
TOP_P = typer.Option(1.0, "--top-p", help="Nucleus sampling: draw from the most probable bytes whose probabilities add up to this (needs a temperature).")
SEED = typer.Option(0, "--seed", help="Seed of the sampler (with a temperature).")
STOP = typer.Option([], "--stop", help="Stop at this string (repeatable).")
DEVICE = typer.Option("auto", "--device", help="auto (CUDA when present), cpu or cuda.")
JSON = typer.Option(None, "--json", help="Write the result as JSON to this file ('-': standard output).")
FORCE = typer.Option(False, "--force", help="Overwrite an existing --json file.")

GROUP_HELP = """Exact byte-level probabilities and generation from tokenized LMs.

Examples:

  tokkit bytes next --model SmolLM2-135M-Instruct.Q4_1.gguf "print(sel"

  tokkit bytes generate --model SmolLM2-135M-Instruct.Q4_1.gguf --prompt "def fib(n" --stop "\\n" --escapes

  tokkit bytes fim --model SmolLM2-135M-Instruct.Q4_1.gguf --prefix "def add(a, b):\\n    return a" --suffix "\\n" --escapes
"""


def prompt_bytes(text: str, escapes: bool, what: str = "prompt", allow_empty: bool = False) -> bytes:
    """The bytes of a command-line prompt (``\\xNN`` and ``\\n`` escapes with ``escapes``)."""
    if escapes:
        try:
            data = codecs.escape_decode(text.encode("utf-8"))[0]
        except ValueError as exc:
            raise TokkitError(f"the {what} has a bad escape: {exc}") from exc
    else:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise TokkitError(f"the {what} is not valid UTF-8; write raw bytes as \\xNN with --escapes") from exc
    if not data and not allow_empty:
        raise TokkitError(f"the {what} is empty")
    return data


def show_bytes(data: bytes) -> str:
    """Bytes as text where they decode, ``\\xNN`` where they do not."""
    return data.decode("utf-8", errors="backslashreplace")


def byte_model(spec: str, device: str):
    """The model's byte-level view, loaded under a status line."""
    from tokkit.byte_level.distribution import ByteModel

    with console.status(f"loading {spec}"):
        return ByteModel.load(spec, device=device)


def options(max_bytes, temperature, top_p, seed, stop, escapes):
    from tokkit.byte_level.sampling import SamplingOptions

    stops = tuple(prompt_bytes(s, escapes, "stop string") for s in stop)
    return SamplingOptions(max_bytes=max_bytes, temperature=temperature, top_p=top_p, seed=seed, stop=stops)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help=GROUP_HELP, no_args_is_help=True)
    app.add_typer(group, name="bytes")

    @group.command("next")
    def next_byte(
        text: str = typer.Argument(..., help="The prompt (it may end mid-word)."),
        model: str = typer.Option(..., "--model", "-m", help=MODEL_HELP),
        top: int = typer.Option(10, "--top", help="How many outcomes to show."),
        escapes: bool = typer.Option(False, "--escapes", help="Read \\xNN escapes in TEXT as raw bytes."),
        device: str = DEVICE,
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write every outcome with non-zero probability as JSON ('-': standard output)."),
        force: bool = FORCE,
    ) -> None:
        """The most likely next bytes after TEXT, exactly (covers of the prompt).

        Examples:

          tokkit bytes next --model SmolLM2-135M-Instruct.Q4_1.gguf "print(sel"

          tokkit bytes next --model ./model --escapes "\\xe6\\x95" --top 5 --json next.json
        """
        import numpy as np

        from tokkit.byte_level.distribution import EOS

        prepare_output(json_out, force)
        data = prompt_bytes(text, escapes)
        check_number("top", top, at_least=1)
        bm = byte_model(model, device)
        logprobs = bm.next_byte_logprobs(bm.start([data], absolute=False))[0]
        order = [int(i) for i in np.argsort(-logprobs) if np.isfinite(logprobs[i])]
        table = Table(title=f"next byte after {show_bytes(data)!r}")
        for col in ("byte", "as text", "prob", "logprob"):
            table.add_column(col)
        for i in order[:top]:
            shown = "end of text" if i == EOS else show_bytes(completed(data, i))
            table.add_row("eos" if i == EOS else f"0x{i:02x}", repr(shown), f"{np.exp(logprobs[i]):.4f}", f"{logprobs[i]:.4f}")
        console.print(table)
        if json_out:
            rows = [{"byte": "eos" if i == EOS else i, "prob": float(np.exp(logprobs[i])), "logprob": float(logprobs[i])} for i in order]
            write_json(json_out, rows, force)

    @group.command("generate")
    def generate(
        prompt: str = typer.Option(..., "--prompt", "-p", help="The prompt (it may end mid-word)."),
        model: str = typer.Option(..., "--model", "-m", help=MODEL_HELP),
        mode: str = typer.Option("exact", "--mode", help="exact, boundary, heal or naive."),
        max_bytes: int = MAX_BYTES,
        temperature: float = TEMPERATURE,
        top_p: float = TOP_P,
        seed: int = SEED,
        stop: List[str] = STOP,
        escapes: bool = typer.Option(False, "--escapes", help="Read \\n, \\t and \\xNN escapes in --prompt and --stop (\\xNN: a raw byte)."),
        device: str = DEVICE,
        json_out: Optional[Path] = JSON,
        force: bool = FORCE,
    ) -> None:
        """Continue PROMPT: byte by byte (exact), across the boundary only (boundary), with
        token healing (heal) or from its tokens (naive).

        Examples:

          tokkit bytes generate --model SmolLM2-135M-Instruct.Q4_1.gguf --prompt "def fib(n" --stop "\\n" --escapes

          tokkit bytes generate --model ./model --prompt "The qu" --mode boundary --temperature 0.8 --top-p 0.9
        """
        from tokkit.byte_level.completion import check_mode, complete

        check_mode(mode)
        prepare_output(json_out, force)
        data = prompt_bytes(prompt, escapes)
        opts = options(max_bytes, temperature, top_p, seed, stop, escapes)
        bm = byte_model(model, device)
        (out,) = complete(bm, [data], mode, opts)
        console.print(f"[dim]{show_bytes(data)}[/][bold]{show_bytes(out)}[/]", highlight=False)
        if json_out:
            write_json(json_out, {"prompt": show_bytes(data), "mode": mode, "completion": show_bytes(out), "bytes": list(out)}, force)

    @group.command("fim")
    def fim(
        prefix: str = typer.Option(..., "--prefix", help="Text before the gap."),
        suffix: str = typer.Option(..., "--suffix", help="Text after the gap."),
        model: str = typer.Option(..., "--model", "-m", help=MODEL_HELP),
        mode: str = typer.Option("exact", "--mode", help="exact, boundary, heal or naive (psm with FIM tokens: exact or naive)."),
        fmt: str = typer.Option("psm", "--format", help="With FIM tokens: psm (prefix, suffix, middle) or spm (suffix, then the prefix runs into the middle)."),
        max_bytes: int = MAX_BYTES,
        temperature: float = TEMPERATURE,
        top_p: float = TOP_P,
        seed: int = SEED,
        stop: List[str] = STOP,
        escapes: bool = typer.Option(False, "--escapes", help="Read \\n, \\t and \\xNN escapes in --prefix, --suffix and --stop."),
        device: str = DEVICE,
        json_out: Optional[Path] = JSON,
        force: bool = FORCE,
    ) -> None:
        """Fill the gap between --prefix and --suffix (FIM tokens where the model has them;
        otherwise the prefix is completed).

        Examples:

          tokkit bytes fim --model SmolLM2-135M-Instruct.Q4_1.gguf --prefix "def add(a, b):\\n    return a" --suffix "\\n" --escapes

          tokkit bytes fim --model ./starcoder-like --prefix "print(sel" --suffix ")" --format spm --mode boundary
        """
        from tokkit.byte_level.completion import check_fim, fill_in_middle

        check_fim(fmt, mode)
        prepare_output(json_out, force)
        pre, suf = prompt_bytes(prefix, escapes, "prefix"), prompt_bytes(suffix, escapes, "suffix", allow_empty=True)
        opts = options(max_bytes, temperature, top_p, seed, stop, escapes)
        out, used_fim = fill_in_middle(byte_model(model, device), pre, suf, mode, opts, fmt)
        console.print(f"[dim]{show_bytes(pre)}[/][bold]{show_bytes(out)}[/][dim]{show_bytes(suf)}[/]", highlight=False)
        if json_out:
            payload = {"prefix": show_bytes(pre), "suffix": show_bytes(suf), "middle": show_bytes(out), "fim_tokens": used_fim,
                       "format": fmt if used_fim else None}
            write_json(json_out, payload, force)

    @group.command("ensemble")
    def ensemble(
        models: List[str] = typer.Option(..., "--model", "-m", help=MODEL_HELP + " Repeat for each member."),
        prompt: str = typer.Option(..., "--prompt", "-p", help="The prompt (it may end mid-word)."),
        mix: str = typer.Option("mixture", "--mix", help="mixture (a weighted average of the members' byte probabilities) or product (their weighted product, renormalised)."),
        weight: List[float] = typer.Option([], "--weight", help="One weight per model (default: equal)."),
        max_bytes: int = MAX_BYTES,
        temperature: float = TEMPERATURE,
        top_p: float = TOP_P,
        seed: int = SEED,
        stop: List[str] = STOP,
        escapes: bool = typer.Option(False, "--escapes", help="Read \\n, \\t and \\xNN escapes in --prompt and --stop."),
        device: str = DEVICE,
        json_out: Optional[Path] = JSON,
        force: bool = FORCE,
    ) -> None:
        """Generate from a byte-level mixture or product of models with different tokenizers.

        Examples:

          tokkit bytes ensemble --model a.gguf --model ./b --prompt "The qu" --mix product
        """
        from tokkit.byte_level.ensemble import check_ensemble, ensemble_generate

        weights = check_ensemble(len(models), mix, weight)
        prepare_output(json_out, force)
        data = prompt_bytes(prompt, escapes)
        opts = options(max_bytes, temperature, top_p, seed, stop, escapes)
        members = [byte_model(m, device) for m in models]
        out = ensemble_generate(members, data, mix, opts, weights)
        console.print(f"[dim]{show_bytes(data)}[/][bold]{show_bytes(out)}[/]", highlight=False)
        if json_out:
            write_json(json_out, {"prompt": show_bytes(data), "mix": mix, "models": models, "completion": show_bytes(out)}, force)


def completed(data: bytes, byte: int) -> bytes:
    """The byte with the prompt's unfinished character (if any) before it, so that a byte
    that completes a character shows as that character."""
    from tokkit.byte_level.continuations import utf8_split

    _, partial = utf8_split(data) or ("", b"")
    return partial + bytes([byte])
