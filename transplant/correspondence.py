"""Which new token corresponds to which old one, and how the old tokenizer spells the rest.

Tokens are matched by the **bytes they stand for** (``Tokenizer.token_bytes``), never by
their vocabulary strings: ``Ġthe`` (byte-level BPE), ``▁the`` (SentencePiece) and a
tiktoken rank for b" the" are the same token. Special tokens carry no bytes; they are
matched by their literal text first (chat markers such as ``<|im_start|>``) and then
by **role** (bos, eos, pad, unk).

Every other new token is *decomposed*: the old tokenizer's spelling of its bytes, the
pieces whose rows the estimation methods mix. A token that is not valid UTF-8 on its own
(one byte of a multi-byte character) cannot be handed to ``encode`` as text; its bytes
are split into valid runs (encoded) and stray bytes (each matched to the old token of
exactly that byte, when the old vocabulary has one). A decomposition whose bytes do not
add up to the token's (normalising tokenizers, prefix spaces) is replaced by a greedy
longest-match over the old vocabulary's bytes, so every piece list spells the token
exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tokkit.tokenizer import ROLES, Tokenizer


@dataclass
class Correspondence:
    """The id maps between an old and a new vocabulary.

    ``shared`` maps new id -> old id for tokens with the same bytes; ``specials`` maps new
    special ids to old ones (by text, then by role); ``estimate`` lists the new ids whose
    rows the method must estimate, with ``pieces[i]`` the old ids that spell
    ``estimate[i]`` and ``piece_bytes[i]`` their byte lengths; ``unmatched_specials`` are
    new special tokens with no old counterpart.
    """

    shared: dict[int, int]
    specials: dict[int, int]
    estimate: list[int]
    pieces: list[list[int]]
    unmatched_specials: list[int]
    roles: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: whether the new vocabulary is the old one with tokens added (every old token at its
    #: own id, as ``tokkit extend`` makes): then each old row is copied to its own id
    extends: bool = False

    def relation(self) -> str | None:
        """One line for the summary where the new vocabulary extends the old one."""
        if not self.extends:
            return None
        copied = sum(new == old for new, old in (*self.shared.items(), *self.specials.items()))
        return f"extends the model's tokenizer: {copied:,} rows copied by id, {len(self.estimate):,} estimated"

    def summary(self) -> dict[str, int]:
        return {
            "shared": len(self.shared),
            "specials": len(self.specials),
            "estimated": len(self.estimate),
            "unmatched_specials": len(self.unmatched_specials),
        }


def old_ids_by_bytes(old: Tokenizer) -> dict[bytes, int]:
    """Bytes -> the lowest old id that stands for them (special tokens excluded)."""
    index: dict[bytes, int] = {}
    for i, raw in enumerate(old.all_token_bytes()):
        if raw and raw not in index:
            index[raw] = i
    return index


def match(old: Tokenizer, new: Tokenizer) -> Correspondence:
    """Match ``new`` against ``old`` by bytes and by role; decompose the rest."""
    by_bytes = old_ids_by_bytes(old)
    old_bytes = old.all_token_bytes()
    shared: dict[int, int] = {}
    estimate: list[int] = []
    for i, raw in enumerate(new.all_token_bytes()):
        if raw is None or i in new.special_ids:
            continue
        # the same bytes at the same id keep their own row (two old ids may stand for the
        # same bytes, as a byte piece <0x41> and "A" do); else the lowest old id's
        old_id = i if i < len(old_bytes) and old_bytes[i] == raw else by_bytes.get(raw)
        if old_id is not None:
            shared[i] = old_id
        else:
            estimate.append(i)

    specials, roles, unmatched = match_specials(old, new, shared)
    raws = [new.token_bytes(i) for i in estimate]
    pieces = decompose(old, raws, by_bytes)
    return Correspondence(shared, specials, estimate, pieces, unmatched, roles, _extends(old, new, shared, specials))


def _extends(old: Tokenizer, new: Tokenizer, shared: dict[int, int], specials: dict[int, int]) -> bool:
    """Whether every old token (special or not) is matched to its own id in ``new``."""
    if new.vocab_size < old.vocab_size:
        return False
    old_bytes = old.all_token_bytes()
    return all(shared.get(i, specials.get(i)) == i for i in range(old.vocab_size)
               if old_bytes[i] is not None or i in old.special_ids)


def match_specials(old: Tokenizer, new: Tokenizer, shared: dict[int, int]) -> tuple[dict[int, int], dict[str, tuple[int, int]], list[int]]:
    """New special id -> old special id: the same literal text first, then the same role.

    Text first, because a token spelled the same is the same token even where two
    tokenizers disagree on its role (SmolLM2's instruct GGUF calls ``<|im_start|>`` its
    bos; a tokkit BPE calls ``<|endoftext|>`` so); a role links tokens spelled differently
    (``<s>`` and ``<|begin_of_text|>``).
    """
    old_special_text = {old.id_to_token(i): i for i in sorted(old.special_ids)}
    new_special_ids = set(new.special_ids) | {i for _, i in new.specials.items()}
    new_special_ids |= {i for i, raw in enumerate(new.all_token_bytes()) if raw is None}
    new_special_ids -= set(shared)
    specials: dict[int, int] = {}
    for i in sorted(new_special_ids):
        old_id = old_special_text.get(new.id_to_token(i))
        if old_id is not None:
            specials[i] = old_id
    roles: dict[str, tuple[int, int]] = {}
    for role in ROLES:
        new_id, old_id = getattr(new.specials, role), getattr(old.specials, role)
        if new_id is not None and old_id is not None and new_id not in shared:
            specials.setdefault(new_id, old_id)
            roles[role] = (new_id, specials[new_id])
    unmatched = [i for i in sorted(new_special_ids) if i not in specials]
    return specials, roles, unmatched


def decompose(old: Tokenizer, raws: list[bytes], by_bytes: dict[bytes, int] | None = None) -> list[list[int]]:
    """The old ids that spell each byte string exactly (possibly empty if a byte is missing)."""
    by_bytes = by_bytes if by_bytes is not None else old_ids_by_bytes(old)
    old_bytes = old.all_token_bytes()
    runs = [_utf8_runs(raw) for raw in raws]
    texts = sorted({run.decode("utf-8") for parts in runs for run, valid in parts if valid})
    encoded = dict(zip(texts, old.encode_batch(texts))) if texts else {}
    longest = max((len(b) for b in by_bytes), default=1)
    out: list[list[int]] = []
    for raw, parts in zip(raws, runs):
        ids: list[int] = []
        for run, valid in parts:
            if valid:
                ids.extend(i for i in encoded[run.decode("utf-8")] if old_bytes[i])
            else:
                ids.extend(by_bytes[bytes([b])] for b in run if bytes([b]) in by_bytes)
        if b"".join(old_bytes[i] for i in ids) != raw:
            ids = greedy_longest_match(raw, by_bytes, longest)
        out.append(ids)
    return out


def greedy_longest_match(raw: bytes, by_bytes: dict[bytes, int], longest: int) -> list[int]:
    """Left to right, the longest old token that the remaining bytes start with.

    Bytes no old token covers are skipped (a vocabulary without byte fallback).
    """
    ids, pos = [], 0
    while pos < len(raw):
        for end in range(min(len(raw), pos + longest), pos, -1):
            old_id = by_bytes.get(raw[pos:end])
            if old_id is not None:
                ids.append(old_id)
                pos = end
                break
        else:
            pos += 1
    return ids


def _utf8_runs(raw: bytes) -> list[tuple[bytes, bool]]:
    """Split ``raw`` into maximal valid UTF-8 runs and single invalid bytes, in order."""
    parts: list[tuple[bytes, bool]] = []
    pos = 0
    while pos < len(raw):
        try:
            raw[pos:].decode("utf-8")
            parts.append((raw[pos:], True))
            break
        except UnicodeDecodeError as exc:
            if exc.start > 0:
                parts.append((raw[pos : pos + exc.start], True))
            parts.append((raw[pos + exc.start : pos + exc.end], False))
            pos += exc.end
    return parts
