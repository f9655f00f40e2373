"""The one error type a user sees.

Every failure that is the user's to fix (a missing file, an impossible vocabulary size,
an output that exists) raises :class:`TokkitError` with a message of one line that says
what is wrong and what to do. The CLI prints that line and exits non-zero; anything else
is a bug and keeps its traceback.
"""


class TokkitError(Exception):
    """A problem with the user's input, explained in one line."""


class InvalidValue(TokkitError):
    """A parameter's value is out of what the library can work with.

    ``parameter`` is the value's name as the library calls it (``max_bytes``), ``problem``
    what is wrong (``must be at least 1, not 0``); the message is both. The CLI shows the
    command-line flag in its place (``--max-bytes must be at least 1, not 0``).
    """

    def __init__(self, parameter: str, problem: str):
        self.parameter, self.problem = parameter, problem
        super().__init__(f"{parameter} {problem}")

    def __reduce__(self):  # raised in a worker process, re-raised in the parent
        return type(self), (self.parameter, self.problem)


class TooLarge(TokkitError):
    """A corpus whose training would not fit in memory; ``remedies`` maps each parameter
    that takes part of it (``sample``, ``budget``) to a value that would fit. The CLI
    names the flags instead (``--sample 0.4 or --budget 2100000000``)."""

    def __init__(self, problem: str, remedies: dict[str, str]):
        self.problem, self.remedies = problem, remedies
        super().__init__(f"{problem}: train on part of it ({' or '.join(f'{k}={v}' for k, v in remedies.items())})")


class MissingExtraError(TokkitError):
    """An optional dependency group is not installed."""

    def __init__(self, extra: str, package: str):
        super().__init__(
            f"this needs the '{package}' package: pip install 'tokkit[{extra}]'"
        )
        self.extra, self.package = extra, package

    def __reduce__(self):
        return type(self), (self.extra, self.package)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none): the
    detail a one-line error quotes from a library's exception."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def require(module: str, extra: str):
    """Import an optional module, or raise one clear line saying which extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(extra, module.split(".")[0]) from exc
