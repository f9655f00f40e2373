"""The embedding rows that train, laid over frozen copies of the model's matrices.

Only the rows that train are parameters: ``n x d`` floats per matrix (and their optimiser
state), not ``V x d``. Each forward pass builds the full matrices by placing those rows
into the frozen copies (:meth:`Rows.matrices`, one ``index_copy``) and runs the model with
them in place of its own weights (:func:`torch.func.functional_call`), so a gradient can
only reach the rows that train and the model itself is not touched until
:meth:`Rows.write_back`. A tied model keeps one set of rows for both sides.

While the rows learn, the model's own parameters are :func:`frozen`: a backward pass then
computes the gradients of the activations only, not of every weight it passes (a third
of a pass's products, wasted), and leaves no ``.grad`` on the model.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from tokkit.errors import require

torch = require("torch", "lm")


def parameter_name(model, tensor) -> str:
    """The name under which ``model`` holds ``tensor`` as a parameter."""
    for name, param in model.named_parameters(remove_duplicate=False):
        if param is tensor:
            return name
    raise RuntimeError("the embedding is not a parameter of the model")


@contextmanager
def frozen(model) -> Iterator[None]:
    """Within the block no parameter of ``model`` requires a gradient; the flags are restored after."""
    flags = [(p, p.requires_grad) for p in model.parameters()]
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)


class Rows:
    """The trainable rows of the input embedding, of the output embedding when untied, and of
    the output bias when there is one: the rows of ``ids`` (``None``: every row)."""

    def __init__(self, model, ids: list[int] | None):
        inp = model.get_input_embeddings().weight
        head = model.get_output_embeddings()
        self.tied = head is None or head.weight is inp
        tensors = [inp] + ([] if self.tied else [head.weight])
        bias = getattr(head, "bias", None) if head is not None else None
        self.names = [parameter_name(model, t) for t in tensors]
        self.has_bias = bias is not None
        if self.has_bias:
            tensors.append(bias)
            self.names.append(parameter_name(model, bias))
        self.frozen = [t.detach() for t in tensors]
        self.ids = None if ids is None else torch.tensor(ids, dtype=torch.long, device=inp.device)
        picked = [t if self.ids is None else t[self.ids] for t in self.frozen]
        self.params = [torch.nn.Parameter(t.detach().float().clone()) for t in picked]

    def matrices(self) -> list["torch.Tensor"]:
        """The model's matrices with the trainable rows in place (input, output if untied, bias)."""
        if self.ids is None:
            return [p.to(f.dtype) for p, f in zip(self.params, self.frozen)]
        return [f.index_copy(0, self.ids, p.to(f.dtype)) for p, f in zip(self.params, self.frozen)]

    def overrides(self) -> dict[str, "torch.Tensor"]:
        """``{parameter name: tensor}`` for :func:`torch.func.functional_call`."""
        return dict(zip(self.names, self.matrices()))

    def output(self, overrides: dict[str, "torch.Tensor"]) -> tuple["torch.Tensor", "torch.Tensor | None"]:
        """The output matrix ``[V, d]`` and bias ``[V]`` (or None) of :meth:`overrides`."""
        weight = overrides[self.names[0 if self.tied else 1]]
        return weight, overrides[self.names[-1]] if self.has_bias else None

    @torch.no_grad()
    def write_back(self, model) -> None:
        """Copy the trained rows into ``model``'s own parameters."""
        own = dict(model.named_parameters(remove_duplicate=False))
        for name, matrix in zip(self.names, self.matrices()):
            own[name].copy_(matrix)
