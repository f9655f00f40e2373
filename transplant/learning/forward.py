"""Forward passes with other embedding matrices, read at a chosen layer, cut short where possible.

:func:`hidden_states` runs the model with ``overrides`` in place of its parameters (see
:mod:`~tokkit.transplant.learning.rows`) and returns the output of decoder layer ``layer``
and, when asked, the final hidden state that the output embedding reads (after the last
norm). Both are taken by hooks on the model's own modules, and the pass stops as soon as
it has what it needs (an exception raised in the hook), so matching an early layer costs
only the layers up to it, and a pass that wants the final state never computes the logits.
The hooks are removed in a ``finally``; the model is not changed.
"""

from __future__ import annotations

from contextlib import ExitStack

from tokkit.errors import TokkitError, require

torch = require("torch", "lm")


class _Enough(Exception):
    """Raised by a hook once the pass has given what it was run for."""


def decoder_layers(model) -> "torch.nn.ModuleList":
    """The model's list of decoder layers (the ``ModuleList`` as long as its depth)."""
    depth = model.config.get_text_config().num_hidden_layers
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) == depth:
            return module
    raise TokkitError(f"cannot find the {depth} decoder layers of this {model.config.model_type} model to distill at")


def depth(model) -> int:
    return model.config.get_text_config().num_hidden_layers


def logits(model, overrides: dict, ids: "torch.Tensor", mask: "torch.Tensor") -> "torch.Tensor":
    """``[B, T, V]`` logits of ``model`` with ``overrides`` in place of its parameters."""
    return torch.func.functional_call(model, overrides, (), {"input_ids": ids, "attention_mask": mask, "use_cache": False}).logits


def hidden_states(model, overrides: dict, ids: "torch.Tensor", mask: "torch.Tensor", layer: int,
                  final: bool = False) -> tuple["torch.Tensor", "torch.Tensor | None"]:
    """``(h, last)``: the output of decoder layer ``layer`` (1-based) ``[B, T, d]``, and with
    ``final`` the hidden state the output embedding reads ``[B, T, d]`` (else None)."""
    seen: dict[str, "torch.Tensor"] = {}

    def at_layer(module, args, output):
        seen["layer"] = output[0] if isinstance(output, tuple) else output
        if not final:
            raise _Enough

    def at_head(module, args):
        seen["final"] = args[0]
        raise _Enough

    with ExitStack() as stack:
        stack.callback(decoder_layers(model)[layer - 1].register_forward_hook(at_layer).remove)
        if final:
            stack.callback(model.get_output_embeddings().register_forward_pre_hook(at_head).remove)
        try:
            torch.func.functional_call(model, overrides, (), {"input_ids": ids, "attention_mask": mask, "use_cache": False})
        except _Enough:
            pass
    if "layer" not in seen or (final and "final" not in seen):
        raise RuntimeError("the forward pass ended before the layers it was read at")
    return seen["layer"], seen.get("final")
