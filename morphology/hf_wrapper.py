"""The hybrid tokenizer as a ``transformers`` tokenizer.

The hybrid encoder (an analyzer, harmony rules, a checked fallback) cannot be written as
a ``tokenizer.json`` pipeline, so :meth:`HybridTokenizer.to_transformers` returns this
slow (Python) ``PreTrainedTokenizer`` that calls it: ``encode``/``decode`` give exactly
the hybrid's ids and text. Special-token strings inside the text are *not* split out
(``split_special_tokens=True``), as the hybrid encoder does not split them either.
"""

from __future__ import annotations

from transformers import PreTrainedTokenizer

from tokkit.backends.transformers_config import role_tokens


class HybridHFTokenizer(PreTrainedTokenizer):
    """A ``PreTrainedTokenizer`` over a :class:`~tokkit.morphology.hybrid.HybridTokenizer`."""

    model_input_names = ["input_ids", "attention_mask"]

    def __init__(self, hybrid, **kwargs):
        self.hybrid = hybrid
        kwargs = {**role_tokens(hybrid), "split_special_tokens": True, "clean_up_tokenization_spaces": False, **kwargs}
        super().__init__(**kwargs)

    @property
    def vocab_size(self) -> int:
        return self.hybrid.vocab_size

    def get_vocab(self) -> dict[str, int]:
        return {self.hybrid.id_to_token(i): i for i in range(self.hybrid.vocab_size)}

    def _tokenize(self, text: str, **kwargs) -> list[str]:
        return [self.hybrid.id_to_token(i) for i in self.hybrid.encode(text)]

    def _convert_token_to_id(self, token: str) -> int:
        found = self.hybrid.token_to_id(token)
        if found is None:
            raise KeyError(f"token {token!r} is not in the hybrid vocabulary")
        return found

    def _convert_id_to_token(self, index: int) -> str:
        return self.hybrid.id_to_token(index)

    def _decode(self, token_ids, skip_special_tokens: bool = False, **kwargs) -> str:
        ids = [token_ids] if isinstance(token_ids, int) else list(token_ids)
        if skip_special_tokens:
            ids = [i for i in ids if i not in self.hybrid.special_ids]
        return self.hybrid.decode(ids)

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        return self.hybrid.decode([self._convert_token_to_id(t) for t in tokens])

    def save_vocabulary(self, save_directory: str, filename_prefix: str | None = None) -> tuple[str, ...]:
        """The vocabulary lives in the hybrid folder (``tokkit.load`` it); nothing to add here."""
        return ()
