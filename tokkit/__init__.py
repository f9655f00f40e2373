"""tokkit: a tokenizer toolkit and analysis workbench.

>>> import tokkit
>>> tok = tokkit.load("path/to/tokenizer.json")          # any format tokkit reads
>>> corpus = tokkit.corpora.sample_corpus("eng")          # doctest: +SKIP
>>> bpe = tokkit.train("bpe", corpus, 1000)[1000]         # doctest: +SKIP
"""

__version__ = "0.1.0"

from tokkit import corpora  # noqa: E402  (corpora imports nothing of tokkit)
from tokkit.errors import TokkitError  # noqa: E402
from tokkit.evaluation import evaluate  # noqa: E402
from tokkit.loading import load  # noqa: E402
from tokkit.tokenizer import Piece, SpecialTokens, Tokenizer  # noqa: E402
from tokkit.trainers import get_trainer, train, trainer_names  # noqa: E402
from tokkit.trainers.extension import extend  # noqa: E402

__all__ = [
    "__version__",
    "corpora",
    "load",
    "train",
    "extend",
    "evaluate",
    "get_trainer",
    "trainer_names",
    "Tokenizer",
    "Piece",
    "SpecialTokens",
    "TokkitError",
]
