"""The corpora package's one user-facing error (it imports nothing from tokkit)."""


class CorpusError(Exception):
    """A corpus that is missing, empty, unreadable or malformed, explained in one line."""
