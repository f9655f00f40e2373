"""Batched tensor operations the auxiliary space and the estimation methods are built from.

Work on many tokens at once instead of one token at a time: ragged lists become a padded
``[n, L]`` tensor and a mask, softmaxes skip the masked slots, per-token weights become
one sparse ``[n, V]`` matrix, and nearest neighbours come from tiled ``Q @ K.T``
products. Shapes in the docstrings: ``n`` queries (tokens to estimate), ``V`` keys (old
vocabulary), ``L`` the longest ragged row, ``d`` the vector width, ``k`` neighbours.
"""

from __future__ import annotations

from tokkit.errors import require

torch = require("torch", "lm")
F = require("torch.nn.functional", "lm")

#: the most query rows one tile of a batched operation takes
TILE = 512
#: the most float32 values a tile's tensors may hold (128 MB): wide rows make tiles of fewer rows
TILE_FLOATS = 2**25
#: extra candidates the bfloat16 pass keeps for exact re-scoring
PRESELECT = 16


def padded(rows: list[list], device: str = "cpu", dtype=None) -> tuple["torch.Tensor", "torch.Tensor"]:
    """``n`` ragged lists as ``data: [n, L]`` (padding 0, ``dtype`` default long) and
    ``mask: [n, L]`` (bool, True where ``data`` holds a list entry); ``L`` is at least 1."""
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)
    width = int(lengths.max()) if len(rows) and int(lengths.max()) > 0 else 1
    flat = torch.tensor([x for r in rows for x in r], dtype=dtype or torch.long)
    row = torch.repeat_interleave(torch.arange(len(rows)), lengths)
    col = torch.arange(len(flat)) - torch.repeat_interleave(torch.cumsum(lengths, 0) - lengths, lengths)
    data = torch.zeros(len(rows), width, dtype=flat.dtype)
    mask = torch.zeros(len(rows), width, dtype=torch.bool)
    data[row, col] = flat
    mask[row, col] = True
    return data.to(device), mask.to(device)


def tile_rows(floats_per_row: int) -> int:
    """Rows per tile for an operation that holds ``floats_per_row`` float32 values per query row:
    at most :data:`TILE`, at most :data:`TILE_FLOATS` values in all, at least one row."""
    return max(1, min(TILE, TILE_FLOATS // max(1, floats_per_row)))


def masked_softmax(scores: "torch.Tensor", mask: "torch.Tensor") -> "torch.Tensor":
    """Softmax of ``scores: [n, L]`` over the last axis, only where ``mask: [n, L]``:
    ``[n, L]``, zero at masked slots; a row with nothing unmasked is all zero."""
    scores = scores.masked_fill(~mask, float("-inf"))
    out = torch.softmax(scores, dim=-1).nan_to_num(0.0)
    return out * mask


def rows_to_sparse(cols: "torch.Tensor", vals: "torch.Tensor", mask: "torch.Tensor", n_old: int) -> "torch.Tensor":
    """Per-row column ids ``cols: [n, L]`` and weights ``vals: [n, L]``, where ``mask: [n, L]``
    and the weight is not zero, as a coalesced sparse ``[n, n_old]`` matrix (a column
    named twice in a row gets the sum of its weights)."""
    n, width = cols.shape
    rows = torch.arange(n, device=cols.device).unsqueeze(1).expand(n, width)
    keep = mask & (vals != 0)
    index = torch.stack([rows[keep], cols[keep]])
    return torch.sparse_coo_tensor(index, vals[keep], (n, n_old), check_invariants=False).coalesce()


def scale_rows(matrix: "torch.Tensor", scale: "torch.Tensor") -> "torch.Tensor":
    """Row ``i`` of the coalesced sparse ``matrix: [n, V]`` times ``scale[i]`` (``scale: [n]``):
    sparse ``[n, V]``, not coalesced."""
    index = matrix.indices()
    return torch.sparse_coo_tensor(index, matrix.values() * scale[index[0]], matrix.shape, check_invariants=False)


def nearest(queries: "torch.Tensor", keys: "torch.Tensor", k: int, allowed: "torch.Tensor", groups: tuple["torch.Tensor", "torch.Tensor"] | None = None) -> tuple["torch.Tensor", "torch.Tensor"]:
    """The ``k`` keys of highest cosine to each query, ordered by (-cosine, key id).

    ``queries: [n, d]``, ``keys: [V, d]``, ``allowed: [V]`` bool (keys not allowed are
    never chosen). With ``groups = (query_flag: [n], key_flag: [V])``, bool ("starts with
    whitespace"), a query only meets keys of its own flag; the two groups are searched
    apart, which also halves the work. Returns ``ids: [n, k']`` (key ids, long) and
    ``sims: [n, k']`` (float32 cosines), ``k'`` being ``k`` or the number of allowed keys
    if that is smaller; where fewer than ``k'`` keys remain for a query, the missing slots
    have id 0 and cosine ``-inf``.
    """
    q = F.normalize(queries.float(), dim=-1)
    kn = F.normalize(keys.float(), dim=-1)
    n = q.shape[0]
    k = min(k, int(allowed.sum()))
    out_ids = torch.zeros(n, k, dtype=torch.long, device=q.device)
    out_sims = torch.full((n, k), float("-inf"), device=q.device)
    q_flag, k_flag = groups if groups is not None else (torch.zeros(n, dtype=torch.bool, device=q.device), torch.zeros(kn.shape[0], dtype=torch.bool, device=q.device))
    for flag in (False, True):
        rows = (q_flag == flag).nonzero().squeeze(1)
        cols = ((k_flag == flag) & allowed).nonzero().squeeze(1)
        if len(rows) == 0 or len(cols) == 0:
            continue
        width = min(k, len(cols))
        ids, sims = _top_k(q[rows], kn[cols], width)
        out_ids[rows, :width] = cols[ids]
        out_sims[rows, :width] = sims
    return out_ids, out_sims


def _top_k(q: "torch.Tensor", keys: "torch.Tensor", k: int) -> tuple["torch.Tensor", "torch.Tensor"]:
    """Top-``k`` keys by cosine for unit vectors ``q: [n, d]`` and ``keys: [m, d]`` (``k <= m``):
    ``ids: [n, k]`` (positions into ``keys``) and ``sims: [n, k]``, ordered by (-cosine, position).

    A bfloat16 ``Q @ K.T`` pass per tile of queries picks ``k + PRESELECT`` candidates;
    those are re-scored exactly in float32, so the bfloat16 rounding only decides which
    keys are looked at, never their order or their scores.
    """
    pool = min(keys.shape[0], k + PRESELECT)
    fast_keys = keys.to(torch.bfloat16)
    ids = torch.empty(q.shape[0], k, dtype=torch.long, device=q.device)
    sims = torch.empty(q.shape[0], k, device=q.device)
    step = tile_rows(keys.shape[0] + pool * keys.shape[1])  # the products, the candidates' keys
    for start in range(0, q.shape[0], step):
        tile = q[start : start + step]
        cand = (tile.to(torch.bfloat16) @ fast_keys.T).topk(pool, dim=1).indices
        cand = cand.sort(dim=1).values
        exact = torch.einsum("td,tpd->tp", tile, keys[cand])
        order = torch.sort(-exact, dim=1, stable=True).indices[:, :k]
        ids[start : start + step] = torch.gather(cand, 1, order)
        sims[start : start + step] = torch.gather(exact, 1, order)
    return ids, sims
