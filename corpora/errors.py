"""The corpora package's one user-facing error (it imports nothing from tokkit)."""


class CorpusError(Exception):
    """A corpus that is missing, empty, unreadable or malformed, explained in one line."""


class InvalidOption(CorpusError):
    """An option of a corpus reader that it cannot work with; ``parameter`` names it (as
    :class:`tokkit.errors.InvalidValue` does, so the CLI can show the flag instead)."""

    def __init__(self, parameter: str, problem: str):
        self.parameter, self.problem = parameter, problem
        super().__init__(f"{parameter} {problem}")

    def __reduce__(self):  # raised in a worker process, re-raised in the parent
        return type(self), (self.parameter, self.problem)
