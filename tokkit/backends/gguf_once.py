"""Loading a GGUF model through transformers without its repeated work.

transformers 5.x loads ``from_pretrained(folder, gguf_file=name)`` in
``modeling_gguf_pytorch_utils``, which parses the whole file with ``gguf.GGUFReader`` twice
(once for the config, once for the tensors; each parse makes a numpy view of every
metadata array element: 2-4 s for a 49k-token vocabulary) and builds
``gguf.get_tensor_name_map(arch, n_blocks)`` anew for every tensor (397 times for
SmolLM2-135M, 6 s). Both are functions of their arguments whose results are only read, so
:func:`reading_once` memoises them while one model loads: SmolLM2-135M loads in about 5 s
instead of 14, with the same config and bit-identical weights (a test compares with a
plain load). It works because transformers imports both names from ``gguf`` inside the
functions that use them, at each call; were that to change, loads would only be slower
again (the test counts the parses, so it would say so).
"""

from __future__ import annotations

import functools
import os
import threading
from contextlib import contextmanager
from typing import Iterator

from tokkit.errors import require

_LOCK = threading.Lock()  # the stand-ins are module attributes: one load at a time


@contextmanager
def reading_once() -> Iterator[None]:
    """Within the block, each GGUF file is parsed once and each tensor-name map built once."""
    gguf = require("gguf", "lm")
    with _LOCK:
        reader, name_map = gguf.GGUFReader, gguf.get_tensor_name_map
        readers: dict[tuple, object] = {}

        def read(path, *args, **kwargs):
            key = (os.fspath(path), args, tuple(sorted(kwargs.items())))
            if key not in readers:
                readers[key] = reader(path, *args, **kwargs)
            return readers[key]

        gguf.GGUFReader, gguf.get_tensor_name_map = read, functools.lru_cache(maxsize=None)(name_map)
        try:
            yield
        finally:
            gguf.GGUFReader, gguf.get_tensor_name_map = reader, name_map
