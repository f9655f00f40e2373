"""Checks of the values a user gives, written once and called by what owns each value.

A trainer's options, the sampling options, the transplant settings and the evaluation
each check their own values when they are made, with these functions, so the library
and every command refuse the same values with the same words. A refused value raises
:class:`~tokkit.errors.InvalidValue` naming the parameter (the CLI turns the name into
its flag). Numbers are refused when they are not numbers (``True`` included), not
finite (NaN, infinities), not whole where a count is meant, or out of their range.
"""

from __future__ import annotations

import math
import numbers
from typing import Iterable, TypeVar

from tokkit.errors import InvalidValue

N = TypeVar("N", int, float)


def check_number(name: str, value: N, *, at_least: float | None = None, above: float | None = None,
                 at_most: float | None = None, below: float | None = None, whole: bool = False) -> N:
    """``value`` itself, after checking it is a finite number (a whole one with ``whole``)
    in the range the bounds give (``at_least``/``at_most`` inclusive, ``above``/``below``
    exclusive)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidValue(name, f"must be a number, not {value!r}")
    if not math.isfinite(value):
        raise InvalidValue(name, f"must be a finite number, not {value}")
    if whole and value != int(value):
        raise InvalidValue(name, f"must be a whole number, not {value}")
    low, high = at_least if at_least is not None else above, at_most if at_most is not None else below
    too_low = low is not None and (value < low if at_least is not None else value <= low)
    too_high = high is not None and (value > high if at_most is not None else value >= high)
    if too_low or too_high:
        raise InvalidValue(name, f"must be {_range(at_least, above, at_most, below)}, not {value}")
    return value


def _range(at_least, above, at_most, below) -> str:
    """``at least 1``, ``above 0``, ``in (0, 1]`` ..."""
    low = f"[{_shown(at_least)}" if at_least is not None else f"({_shown(above)}" if above is not None else None
    high = f"{_shown(at_most)}]" if at_most is not None else f"{_shown(below)})" if below is not None else None
    if low and high:
        return f"in {low}, {high}"
    if low:
        return f"at least {_shown(at_least)}" if at_least is not None else f"above {_shown(above)}"
    return f"at most {_shown(at_most)}" if at_most is not None else f"below {_shown(below)}"


def _shown(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"


def check_choice(name: str, value: str, choices: Iterable[str]) -> str:
    """``value`` itself, after checking it is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise InvalidValue(name, f"must be one of {', '.join(map(str, choices))}, not '{value}'")
    return value
