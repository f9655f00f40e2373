"""The auxiliary space: a vector for every old token and every token to estimate.

The estimation methods need a notion of "similar token" that both vocabularies share.
Two spaces are offered:

* **An encoder** (TokenAdapt's choice): any Hugging Face encoder (BERT, sentence-
  transformers such as all-MiniLM-L6-v2), each token's text encoded alone and
  mean-pooled over its positions. Bytes that are not valid UTF-8 on their own (one byte
  of a multi-byte character) are written byte-escaped (``\\xe2``), so such tokens get
  distinct vectors instead of all collapsing onto U+FFFD. Encoding is the whole cost
  (a string per token of both vocabularies), so it is made cheap three ways: the old and
  new strings are encoded in one pass and deduplicated by their encoder ids (an uncased
  encoder sees ``The`` and `` the`` as one sequence); the sequences run in groups of
  equal length, so no position is padding and the mean needs no mask; and where the
  hardware computes bfloat16 natively (AVX512-BF16/AMX CPUs, recent GPUs) the forward
  pass runs under bfloat16 autocast, much faster than float32 and with vectors close to
  the float32 ones (``bench/README.md`` has the figures; ``precision="float32"`` keeps
  the exact path). Vectors are cached on disk (safetensors, never pickle) per encoder,
  precision and vocabulary.
* **The old model's own input embeddings** (the default): an old token's vector is its
  row; a new token's is the mean of the rows of its old decomposition. Nothing to
  download or encode, and the space is the one the model already lives in.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tokkit.checks import check_choice
from tokkit.errors import TokkitError, first_line, require
from tokkit.progress import Progress
from tokkit.tokenizer import Tokenizer
from tokkit.transplant.methods.base import AuxVectors
from tokkit.transplant.tensor_ops import padded

torch = require("torch", "lm")

#: positions per encoder forward pass
_POSITIONS_PER_BATCH = 4096
#: what the encoder may run in: ``auto`` (bfloat16 where the hardware has it natively), or one of the two
PRECISIONS = ("auto", "float32", "bfloat16")


def encoder_text(raw: bytes | None, literal: str) -> str:
    """The text an encoder sees for a token: its bytes as UTF-8, invalid bytes escaped."""
    if raw is None:
        return literal
    return raw.decode("utf-8", errors="backslashreplace")


def own_space(old_input: "torch.Tensor", pieces: list[list[int]]) -> AuxVectors:
    """The old model's input embeddings ``old_input: [V, d]`` as the auxiliary space: an old
    token's vector is its row, a new token's the mean of its pieces' rows (``new: [n, d]``,
    invalid for a token without pieces)."""
    ids, mask = padded(pieces, old_input.device)
    rows = old_input.float()[ids] * mask.unsqueeze(-1)
    count = mask.sum(1, keepdim=True)
    new = rows.sum(1) / count.clamp(min=1)
    return AuxVectors(old=old_input.float(), new=new, new_valid=count.squeeze(1) > 0)


class Encoder:
    """A Hugging Face encoder, mean-pooled: strings to vectors, cached on disk."""

    def __init__(self, spec: str, device: str = "cpu", cache_dir: str | Path | None = None, precision: str = "auto"):
        transformers = require("transformers", "lm")
        check_choice("precision", precision, PRECISIONS)
        self.spec = spec
        self.device = device
        self.dtype = _fast_dtype(device) if precision == "auto" else getattr(torch, precision)
        try:
            config = transformers.AutoConfig.from_pretrained(spec)
        except Exception as exc:
            raise TokkitError(f"cannot load the auxiliary model {spec}: {first_line(exc)}") from exc
        architectures = getattr(config, "architectures", None) or []
        if getattr(config, "is_encoder_decoder", False) or any("CausalLM" in a for a in architectures):
            raise TokkitError(f"the auxiliary model {spec} is a {config.model_type} generator, not an encoder (use a BERT-style or sentence-transformers model)")
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(spec)
            self.model = transformers.AutoModel.from_pretrained(spec).to(device).eval()
        except Exception as exc:
            raise TokkitError(f"cannot load the auxiliary model {spec}: {first_line(exc)}") from exc
        self.identity = _identity(spec, config) + f"\nprecision:{self.dtype}"
        root = cache_dir or os.environ.get("TOKKIT_CACHE_DIR") or Path.home() / ".cache" / "tokkit"
        self.cache_dir = Path(root) / "aux"

    def encode(self, texts: list[str], progress: Progress | None = None, label: str = "encoding") -> "torch.Tensor":
        """One mean-pooled vector per text, ``[len(texts), hidden]`` (float32, on CPU), from the
        disk cache when present."""
        return self.encode_lists([texts], progress, label)[0]

    def encode_lists(self, lists: list[list[str]], progress: Progress | None = None, label: str = "encoding") -> list["torch.Tensor"]:
        """:meth:`encode` for several lists (one cache entry each), the missing ones in one pass:
        ``[len(lists[i]), hidden]`` for each list."""
        paths = [self._cache_path(texts) for texts in lists]
        found = [_load_cached(path) for path in paths]
        missing = [k for k, vectors in enumerate(found) if vectors is None]
        if missing:
            joined = [text for k in missing for text in lists[k]]
            vectors = self._encode(joined, progress, label) if joined else torch.zeros(0, self.model.config.hidden_size)
            for k, part in zip(missing, vectors.split([len(lists[k]) for k in missing])):
                found[k] = part.contiguous()
                _store_cached(paths[k], found[k])
        return found

    def _cache_path(self, texts: list[str]) -> Path:
        key = hashlib.sha256((self.identity + "\0" + "\0".join(texts)).encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return self.cache_dir / f"{key}.safetensors"

    @torch.inference_mode()
    def _encode(self, texts: list[str], progress: Progress | None, label: str) -> "torch.Tensor":
        """The encoder's last hidden states mean-pooled per text: ``[len(texts), hidden]``
        (float32, on CPU), each distinct id sequence run once, in batches of equal length."""
        ids = self.tokenizer(texts, add_special_tokens=True, truncation=True, max_length=64)["input_ids"]
        unique: dict[tuple[int, ...], int] = {}
        slot = [unique.setdefault(tuple(x), len(unique)) for x in ids]
        by_length: dict[int, list[tuple[int, ...]]] = {}
        for seq in unique:
            by_length.setdefault(len(seq), []).append(seq)
        dim = self.model.config.hidden_size
        pooled = torch.zeros(len(unique), dim)
        task = progress.add(label, total=len(unique)) if progress else None
        for length in sorted(by_length):
            group = by_length[length]
            step = max(1, _POSITIONS_PER_BATCH // length)
            for start in range(0, len(group), step):
                chunk = group[start : start + step]
                batch = torch.tensor(chunk, device=self.device)
                with torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16, enabled=self.dtype == torch.bfloat16):
                    hidden = self.model(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
                pooled[[unique[s] for s in chunk]] = hidden.float().mean(1).cpu()
                if task:
                    task.advance(len(chunk))
        return pooled[torch.tensor(slot, dtype=torch.long)]


def encoder_space(encoder: Encoder, old: Tokenizer, new: Tokenizer, estimate: list[int], progress: Progress | None = None) -> AuxVectors:
    """Encode every old token and every token to estimate (two cache entries: one per vocabulary):
    ``old: [V, hidden]``, ``new: [len(estimate), hidden]``, every new vector valid."""
    old_texts = [encoder_text(raw, old.id_to_token(i)) for i, raw in enumerate(old.all_token_bytes())]
    new_texts = [encoder_text(new.token_bytes(i), new.id_to_token(i)) for i in estimate]
    old_vectors, new_vectors = encoder.encode_lists([old_texts, new_texts], progress, "encoding tokens")
    return AuxVectors(old=old_vectors, new=new_vectors, new_valid=torch.ones(len(estimate), dtype=torch.bool))


def _fast_dtype(device: str) -> "torch.dtype":
    """bfloat16 where the hardware computes it natively, float32 elsewhere (emulated bf16 is slower)."""
    if torch.device(device).type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    return torch.bfloat16 if torch.ops.mkldnn._is_mkldnn_bf16_supported() else torch.float32


def _load_cached(path: Path) -> "torch.Tensor | None":
    """The vectors ``[m, hidden]`` stored at ``path``, or None where there are none to read."""
    from safetensors.torch import load_file

    if not path.is_file():
        return None
    try:
        return load_file(str(path))["vectors"]
    except Exception:  # a damaged cache entry is recomputed
        return None


def _store_cached(path: Path, vectors: "torch.Tensor") -> None:
    """Store ``vectors: [m, hidden]`` at ``path`` (atomically), if the cache folder is writable."""
    from safetensors.torch import save

    from tokkit.atomic import atomic_file

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path, force=True, mode="wb") as handle:
            handle.write(save({"vectors": vectors.contiguous()}))
    except (OSError, TokkitError):
        pass  # the cache is an optimisation; a read-only home is no error


def _identity(spec: str, config) -> str:
    """What names an encoder for the cache: its config and the size and time of its weights."""
    parts = [config.to_json_string()]
    folder = Path(spec)
    if folder.is_dir():
        for weights in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
            stat = weights.stat()
            parts.append(f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}")
    else:
        parts.append(spec)
    return "\n".join(parts)
