"""The value checks every option goes through, and how the CLI names a refused value."""

from __future__ import annotations

import math

import pytest

from tokkit.checks import check_choice, check_number
from tokkit.cli.common import user_message
from tokkit.errors import InvalidValue


@pytest.mark.parametrize("value, bounds, problem", [
    (0, {"at_least": 1}, "must be at least 1, not 0"),
    (0.0, {"above": 0}, "must be above 0, not 0.0"),
    (2, {"above": 0, "at_most": 1}, "must be in (0, 1], not 2"),
    (1.0, {"at_least": 0, "below": 1}, "must be in [0, 1), not 1.0"),
    (0.5, {"at_least": 0.98, "at_most": 1}, "must be in [0.98, 1], not 0.5"),
    (math.nan, {}, "must be a finite number, not nan"),
    (-math.inf, {"at_most": 1}, "must be a finite number, not -inf"),
    (1e30, {"at_most": 10**9}, "must be at most 1000000000, not 1e+30"),
    (True, {}, "must be a number, not True"),
    ("3", {}, "must be a number, not '3'"),
    (2.5, {"whole": True}, "must be a whole number, not 2.5"),
])
def test_refused_numbers_say_what_is_wrong(value, bounds, problem):
    with pytest.raises(InvalidValue) as caught:
        check_number("top_k", value, **bounds)
    assert (caught.value.parameter, caught.value.problem) == ("top_k", problem)
    assert str(caught.value) == f"top_k {problem}"


def test_accepted_values_come_back_unchanged():
    assert check_number("a", 3, at_least=1, whole=True) == 3
    assert check_number("a", 1.0, above=0, at_most=1) == 1.0
    assert check_number("a", 0, at_least=0, below=1) == 0
    assert check_choice("mode", "exact", ("exact", "naive")) == "exact"
    with pytest.raises(InvalidValue, match="mode must be one of exact, naive, not 'fast'"):
        check_choice("mode", "fast", ("exact", "naive"))


def test_the_cli_names_the_flag_of_a_refused_parameter():
    assert user_message(InvalidValue("max_bytes", "must be at least 1, not 0")) == "--max-bytes must be at least 1, not 0"
    assert user_message(InvalidValue("errors", "must be one of strict")) == "--encoding-errors must be one of strict"
    assert user_message(ValueError("plain")) == "plain"
