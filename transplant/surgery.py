"""Model surgery: give a causal LM new embedding matrices for a new vocabulary.

For each old embedding matrix (the input embeddings; the output embeddings and any
output bias too when they are not tied to the input) a new matrix is assembled row by
row: rows of shared tokens are copied, rows of special tokens are copied from the old
token of the same role, the method's estimates fill the rest, and rows that no token
uses (padding up to a multiple, new special tokens with no old counterpart) get the
mean old row. The matrices keep their dtype; the config gets the new vocabulary size
and the new special-token ids; tied models stay tied.

**Rows no old token owns.** Many models pad their embedding past their tokenizer (to a
multiple of 64 or 128). Those extra rows were never trained as any token, so they take no
part: they are not copied, not mixed by any method, not in the mean. The new matrices
have the new vocabulary's size (rounded up to ``pad_multiple``), and their rows past the
new tokens get the mean old row, like every row that no token uses.
"""

from __future__ import annotations

from tokkit.checks import check_number
from tokkit.errors import require
from tokkit.tokenizer import Tokenizer
from tokkit.transplant.correspondence import Correspondence
from tokkit.transplant.specials import template_tokens

torch = require("torch", "lm")


def old_matrices(model, tokens: int) -> tuple[list["torch.Tensor"], bool]:
    """The matrices to rebuild, detached, in the model's dtype, their rows of the ``tokens``
    old token ids only (``V = tokens``; see the module docstring): the input embeddings
    ``[V, d]``, the output embeddings ``[V, d]`` when not tied to them, the output bias
    ``[V, 1]`` when there is one; and whether the model is tied."""
    inp = model.get_input_embeddings().weight
    head = model.get_output_embeddings()
    tied = head is None or head.weight is inp or head.weight.data_ptr() == inp.data_ptr()
    matrices = [inp.detach()]
    if not tied:
        matrices.append(head.weight.detach())
    if head is not None and getattr(head, "bias", None) is not None:
        matrices.append(head.bias.detach().unsqueeze(1))
    return [m[:tokens] for m in matrices], tied


def assemble(old: "torch.Tensor", corr: Correspondence, estimated: "torch.Tensor", size: int, fill: "torch.Tensor") -> "torch.Tensor":
    """The new matrix ``[size, d]`` in ``old``'s dtype, from ``old: [V, d]``: shared and special
    rows copied, ``estimated: [len(corr.estimate), d]`` placed, ``fill: [d]`` elsewhere."""
    new = fill.to(old.dtype).expand(size, old.shape[1]).clone()
    copied = {**corr.shared, **corr.specials}
    if copied:
        new_ids = torch.tensor(list(copied.keys()))
        new[new_ids] = old[torch.tensor(list(copied.values()))]
    if corr.estimate:
        new[torch.tensor(corr.estimate)] = estimated.to(device=old.device, dtype=old.dtype)
    return new


def check_pad_multiple(pad_multiple: int) -> int:
    """The vocabulary is padded to a multiple of this: a whole number, at least 1."""
    return check_number("pad_multiple", pad_multiple, at_least=1, whole=True)


def apply(model, corr: Correspondence, estimates: list["torch.Tensor"], new: Tokenizer, candidates: "torch.Tensor", pad_multiple: int = 1) -> dict[str, int]:
    """Put the new matrices into ``model`` in place; return the config fields that changed.

    ``estimates`` holds one ``[len(corr.estimate), d]`` block per matrix of
    :func:`old_matrices`; ``candidates: [V]`` (bool, one per old token id) marks the old
    rows whose mean fills the rows no token uses.
    """
    matrices, tied = old_matrices(model, len(candidates))
    size = -(-new.vocab_size // check_pad_multiple(pad_multiple)) * pad_multiple
    rebuilt = []
    for old, rows in zip(matrices, estimates):
        fill = old[candidates.to(old.device)].float().mean(0)
        rebuilt.append(assemble(old, corr, rows, size, fill))
    model.resize_token_embeddings(size, mean_resizing=False)
    with torch.no_grad():
        model.get_input_embeddings().weight.copy_(rebuilt[0])
        head = model.get_output_embeddings()
        rest = rebuilt[1:]
        if not tied:
            head.weight.copy_(rest.pop(0))
        if rest:
            head.bias.copy_(rest.pop(0).squeeze(1))
    changes = {"vocab_size": size}
    for role in ("bos", "eos", "pad"):
        changes[f"{role}_token_id"] = getattr(new.specials, role)
    if changes["pad_token_id"] is None:
        changes["pad_token_id"] = new.specials.eos
    for key, value in changes.items():
        setattr(model.config, key, value)
    generation = getattr(model, "generation_config", None)
    if generation is not None:
        for role in ("bos", "eos", "pad"):
            setattr(generation, f"{role}_token_id", changes[f"{role}_token_id"])
    return changes


def carry_chat_template(template: str | None, old: Tokenizer, new: Tokenizer) -> tuple[str | None, list[str]]:
    """The old chat template if every control token it names exists in the new vocabulary
    (:func:`tokkit.transplant.run` first adds those the new one lacks; see
    :mod:`~tokkit.transplant.specials`).

    Returns the template (or None) and the names of the tokens that were missing.
    """
    if not template:
        return None, []
    missing = [t for t in template_tokens(template, old) if new.token_to_id(t) is None]
    return (None, missing) if missing else (template, [])
