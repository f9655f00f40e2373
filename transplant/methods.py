"""Estimating the embedding rows of tokens the old model never saw, all behind one interface.

Every method except ``random`` produces a **weight matrix** ``W`` (tokens to estimate x
old vocabulary, sparse): the new rows are ``W @ E`` for each old embedding matrix ``E``
(the input embeddings, and separately the output embeddings of an untied model, whose
rows thus get their own estimate instead of a copy of the input side). ``W`` is computed
once, in bulk: decompositions are padded into ``(n, L)`` tensors with a mask, softmaxes
are masked, and nearest neighbours come from tiled bfloat16 ``Q @ K.T`` products with
``topk``, the candidates re-scored exactly in float32.

Methods (``weights`` holds the rows of ``W``):

* ``mean`` - ReTok (Gu et al. 2024, "ReTok: Replacing Tokenizer to Enhance
  Representation Efficiency in Large Language Model"): the plain mean of the old rows
  that spell the token.
* ``local`` - TokenAdapt's local heuristic (Sharthak et al. 2025, "Achieving Tokenizer
  Flexibility in Language Models through Heuristic Adaptation and Supertoken
  Learning"): the pieces weighted by ``softmax(((cos(piece, token) + share) / 2) / T)``
  where ``cos`` is measured in the auxiliary space and ``share`` is the piece's share of
  the token's bytes (the reference averages the two terms before the temperature).
* ``global`` - TokenAdapt's global heuristic: the ``k`` old tokens nearest in the
  auxiliary space, weighted by ``softmax(cos / T)``, neighbours under the similarity
  threshold masked out. Neighbours that disagree with the token on a leading space are
  masked too (an uncased encoder that strips spaces otherwise pairs ``" the"`` with
  ``"the"``).
* ``tokenadapt`` - the hybrid ``(1 - w) * local + w * global``; a token with no
  neighbour above the threshold keeps its local estimate, one with no pieces its global.
* ``omp`` - orthogonal matching pursuit as in mergekit's tokensurgeon (Goddard & Neto
  2025, "Training-Free Tokenizer Transplantation via Orthogonal Matching Pursuit"): the
  token's auxiliary vector approximated by a sparse least-squares combination of ``k``
  old tokens' auxiliary vectors, chosen greedily among its 64 nearest; the coefficients
  are applied to the old rows.
* ``random`` - rows drawn from a normal with the old matrix's per-column mean and
  standard deviation (seeded): the floor every method must beat.

A token no method can place (no pieces and no neighbour) gets the mean old row.

**Scale.** Every weight-based estimate is finally multiplied by ``Settings.scale``. A
mix of old rows scores, as an output row, about the mean of its pieces' logits, so new
tokens draw probability wherever their first piece is likely (the reference's new rows
take 9.4% of the mass per position with the plain mean). Shrinking them toward zero
lowers those logits; 0.9 was chosen on 40 lines of FLORES-200 *dev* (bits per byte of
SmolLM2 on a tokkit BPE 32k: local 1.8025 at 1.0, 1.7329 at 0.9, 1.7406 at 0.8).
``scale=1.0`` gives the methods exactly as published.
Ties are broken by old id, so results do not depend on the order of a sort.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from tokkit.errors import TokkitError, require
from tokkit.transplant.aux_space import AuxVectors

torch = require("torch", "lm")
F = require("torch.nn.functional", "lm")

#: query rows per ``Q @ K.T`` tile in the nearest-neighbour search
TILE = 512
#: candidates OMP chooses its atoms from
OMP_POOL = 64
#: extra candidates the bfloat16 pass keeps for exact re-scoring
PRESELECT = 16


@dataclass
class Settings:
    """TokenAdapt's defaults: temperature 0.3, 3 neighbours, global weight 0.3, threshold 0.6;
    OMP's 8 atoms; estimates scaled by 0.9 (see the module docstring)."""

    temperature: float = 0.3
    top_k: int = 3
    weight: float = 0.3
    threshold: float = 0.6
    omp_k: int = 8
    seed: int = 0
    scale: float = 0.9


@dataclass
class Problem:
    """What the methods see: the tokens to estimate, their old spellings, the aux space.

    ``candidates[i]`` says whether old id ``i`` may be a neighbour (it has bytes);
    ``old_space``/``new_space`` flag tokens that start with whitespace.
    """

    pieces: list[list[int]]
    piece_share: list[list[float]]
    aux: AuxVectors
    candidates: "torch.Tensor"
    old_space: "torch.Tensor"
    new_space: "torch.Tensor"
    n_old: int
    device: str = "cpu"


def make_problem(old_bytes: list[bytes | None], new_bytes: list[bytes], pieces: list[list[int]], aux: AuxVectors, device: str = "cpu") -> Problem:
    """Gather the tensors every method needs from the correspondence and the aux space."""
    share = [[len(old_bytes[p]) / max(1, len(raw)) for p in ids] for ids, raw in zip(pieces, new_bytes)]
    return Problem(
        pieces=pieces,
        piece_share=share,
        aux=AuxVectors(aux.old.to(device), aux.new.to(device), aux.new_valid.to(device)),
        candidates=torch.tensor([raw is not None and len(raw) > 0 for raw in old_bytes], device=device),
        old_space=torch.tensor([bool(raw) and raw[:1].isspace() for raw in old_bytes], device=device),
        new_space=torch.tensor([raw[:1].isspace() for raw in new_bytes], dtype=torch.bool, device=device),
        n_old=len(old_bytes),
        device=device,
    )


def padded(rows: list[list], device: str = "cpu", dtype=None) -> tuple["torch.Tensor", "torch.Tensor"]:
    """Ragged lists as an ``(n, L)`` tensor (padding 0) and its boolean mask."""
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


def masked_softmax(scores: "torch.Tensor", mask: "torch.Tensor") -> "torch.Tensor":
    """Softmax over the last axis where ``mask``; rows with nothing unmasked are all zero."""
    scores = scores.masked_fill(~mask, float("-inf"))
    out = torch.softmax(scores, dim=-1).nan_to_num(0.0)
    return out * mask


def rows_to_sparse(cols: "torch.Tensor", vals: "torch.Tensor", mask: "torch.Tensor", n_old: int) -> "torch.Tensor":
    """``(n, L)`` column ids and weights as a sparse ``(n, n_old)`` matrix (duplicates summed)."""
    n, width = cols.shape
    rows = torch.arange(n, device=cols.device).unsqueeze(1).expand(n, width)
    keep = mask & (vals != 0)
    index = torch.stack([rows[keep], cols[keep]])
    return torch.sparse_coo_tensor(index, vals[keep], (n, n_old), check_invariants=False).coalesce()


def nearest(queries: "torch.Tensor", keys: "torch.Tensor", k: int, allowed: "torch.Tensor", groups: tuple["torch.Tensor", "torch.Tensor"] | None = None) -> tuple["torch.Tensor", "torch.Tensor"]:
    """The ``k`` keys of highest cosine to each query, ordered by (-cosine, id).

    Keys not ``allowed`` are never chosen. With ``groups`` (a boolean flag per query and
    per key: "starts with whitespace"), a query only meets keys of its own flag; the two
    groups are searched apart, which also halves the work. Where fewer than ``k`` keys
    remain, the missing slots have score ``-inf``.
    """
    q = F.normalize(queries.float(), dim=-1)
    kn = F.normalize(keys.float(), dim=-1)
    n = q.shape[0]
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
    """Top-k by cosine for unit vectors: a bfloat16 ``Q @ K.T`` pass per tile picks
    ``k + PRESELECT`` candidates, which are re-scored in float32 and ordered by
    (-score, position); the first ``k`` are returned (positions into ``keys``)."""
    pool = min(keys.shape[0], k + PRESELECT)
    fast_keys = keys.to(torch.bfloat16)
    ids = torch.empty(q.shape[0], k, dtype=torch.long, device=q.device)
    sims = torch.empty(q.shape[0], k, device=q.device)
    for start in range(0, q.shape[0], TILE):
        tile = q[start : start + TILE]
        cand = (tile.to(torch.bfloat16) @ fast_keys.T).topk(pool, dim=1).indices
        cand = cand.sort(dim=1).values
        exact = torch.einsum("td,tpd->tp", tile, keys[cand])
        order = torch.sort(-exact, dim=1, stable=True).indices[:, :k]
        ids[start : start + TILE] = torch.gather(cand, 1, order)
        sims[start : start + TILE] = torch.gather(exact, 1, order)
    return ids, sims


class Method(ABC):
    """An estimation method: ``estimate`` returns one new block of rows per old matrix."""

    name: str = "?"

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()

    def estimate(self, problem: Problem, matrices: list["torch.Tensor"]) -> list["torch.Tensor"]:
        weights = self.weights(problem)
        placed = torch.zeros(weights.shape[0], dtype=torch.bool, device=weights.device)
        placed[weights.indices()[0].unique()] = True
        out = []
        for matrix in matrices:
            m = matrix.to(problem.device).float()
            rows = torch.sparse.mm(weights, m) if weights._nnz() else torch.zeros(weights.shape[0], m.shape[1], device=m.device)
            rows[~placed] = m[problem.candidates].mean(0)
            out.append(rows * self.settings.scale)
        return out

    @abstractmethod
    def weights(self, problem: Problem) -> "torch.Tensor":
        """The sparse ``(tokens to estimate, old vocabulary)`` weight matrix."""


class Mean(Method):
    name = "mean"

    def weights(self, problem: Problem) -> "torch.Tensor":
        ids, mask = padded(problem.pieces, problem.device)
        vals = mask.float() / mask.sum(1, keepdim=True).clamp(min=1)
        return rows_to_sparse(ids, vals, mask, problem.n_old)


class Local(Method):
    name = "local"

    def weights(self, problem: Problem) -> "torch.Tensor":
        ids, mask = padded(problem.pieces, problem.device)
        share, _ = padded(problem.piece_share, problem.device, dtype=torch.float32)
        piece_vecs = F.normalize(problem.aux.old.float(), dim=-1)[ids]
        token_vecs = F.normalize(problem.aux.new.float(), dim=-1).unsqueeze(1)
        sims = (piece_vecs * token_vecs).sum(-1)
        vals = masked_softmax((sims + share) / 2 / self.settings.temperature, mask)
        return rows_to_sparse(ids, vals, mask, problem.n_old)


class Global(Method):
    name = "global"

    def weights(self, problem: Problem) -> "torch.Tensor":
        s = self.settings
        ids, sims = nearest(problem.aux.new, problem.aux.old, s.top_k, problem.candidates, (problem.new_space, problem.old_space))
        mask = (sims >= s.threshold) & problem.aux.new_valid.unsqueeze(1)
        vals = masked_softmax(sims / s.temperature, mask)
        return rows_to_sparse(ids, vals, mask, problem.n_old)


class TokenAdapt(Method):
    name = "tokenadapt"

    def weights(self, problem: Problem) -> "torch.Tensor":
        local = Local(self.settings).weights(problem)
        glob = Global(self.settings).weights(problem)
        w = self.settings.weight
        n = local.shape[0]
        has_local = torch.zeros(n, dtype=torch.bool, device=local.device)
        has_global = torch.zeros(n, dtype=torch.bool, device=local.device)
        has_local[local.indices()[0]] = True
        has_global[glob.indices()[0]] = True
        w_local = torch.where(has_global, 1.0 - w, 1.0) * has_local
        w_global = torch.where(has_local, w, 1.0) * has_global
        return (_scale_rows(local, w_local) + _scale_rows(glob, w_global)).coalesce()


class OMP(Method):
    name = "omp"

    def weights(self, problem: Problem) -> "torch.Tensor":
        k = self.settings.omp_k
        pool, _ = nearest(problem.aux.new, problem.aux.old, max(OMP_POOL, k), problem.candidates)
        cols = torch.zeros(pool.shape[0], min(k, pool.shape[1]), dtype=torch.long, device=pool.device)
        coeffs = torch.zeros(cols.shape, device=pool.device)
        old = problem.aux.old.float()
        for start in range(0, pool.shape[0], TILE):
            atoms = old[pool[start : start + TILE]]
            chosen, coeffs[start : start + TILE] = omp(atoms, problem.aux.new[start : start + TILE].float(), cols.shape[1])
            cols[start : start + TILE] = torch.gather(pool[start : start + TILE], 1, chosen)
        mask = problem.aux.new_valid.unsqueeze(1).expand_as(cols) & torch.isfinite(coeffs)
        return rows_to_sparse(cols, coeffs.nan_to_num(0.0), mask, problem.n_old)


def omp(atoms: "torch.Tensor", target: "torch.Tensor", k: int) -> tuple["torch.Tensor", "torch.Tensor"]:
    """Batched orthogonal matching pursuit: ``k`` of each row's atoms ``(n, P, d)`` and the
    least-squares coefficients that best rebuild ``target`` ``(n, d)``.

    Worked in the atoms' Gram space: with ``G = A A^T`` and ``c = A y``, the residual's
    correlation with every atom is ``c - G[:, S] x`` and the coefficients on the chosen
    set ``S`` solve ``G[S, S] x = c[S]`` (a tiny ridge keeps duplicate atoms solvable).
    """
    n, size, _ = atoms.shape
    gram = atoms @ atoms.transpose(1, 2)
    corr0 = torch.einsum("npd,nd->np", atoms, target)
    ridge = 1e-6 * gram.diagonal(dim1=1, dim2=2).mean(1).clamp(min=1e-12)
    chosen = torch.zeros(n, k, dtype=torch.long, device=atoms.device)
    used = torch.zeros(n, size, dtype=torch.bool, device=atoms.device)
    corr = corr0
    coeffs = torch.zeros(n, 0, device=atoms.device)
    arange = torch.arange(n, device=atoms.device)
    for step in range(k):
        pick = corr.abs().masked_fill(used, -1.0).argmax(1)
        chosen[:, step] = pick
        used[arange, pick] = True
        sel = chosen[:, : step + 1]
        g_cols = torch.gather(gram, 2, sel.unsqueeze(1).expand(n, size, step + 1))
        g_sel = torch.gather(g_cols, 1, sel.unsqueeze(2).expand(n, step + 1, step + 1))
        g_sel = g_sel + ridge.view(n, 1, 1) * torch.eye(step + 1, device=atoms.device)
        coeffs = torch.linalg.solve(g_sel, torch.gather(corr0, 1, sel))
        corr = corr0 - (g_cols @ coeffs.unsqueeze(2)).squeeze(2)
    return chosen, coeffs


class Random(Method):
    name = "random"

    def estimate(self, problem: Problem, matrices: list["torch.Tensor"]) -> list["torch.Tensor"]:
        generator = torch.Generator().manual_seed(self.settings.seed)
        out = []
        n = len(problem.pieces)
        for matrix in matrices:
            m = matrix.float()[problem.candidates.cpu()]
            noise = torch.randn(n, m.shape[1], generator=generator)
            out.append((m.mean(0) + noise * m.std(0)).to(problem.device))
        return out

    def weights(self, problem: Problem) -> "torch.Tensor":
        raise TypeError("random draws rows; it has no weight matrix")


def _scale_rows(matrix: "torch.Tensor", scale: "torch.Tensor") -> "torch.Tensor":
    index = matrix.indices()
    return torch.sparse_coo_tensor(index, matrix.values() * scale[index[0]], matrix.shape, check_invariants=False)


METHODS: dict[str, type[Method]] = {cls.name: cls for cls in (TokenAdapt, Local, Global, Mean, OMP, Random)}


def get_method(name: str, settings: Settings | None = None) -> Method:
    """The method registered under ``name``."""
    if name not in METHODS:
        raise TokkitError(f"unknown method '{name}': choose one of {', '.join(METHODS)}")
    return METHODS[name](settings)
