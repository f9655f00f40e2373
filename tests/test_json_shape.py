"""The shapes tokkit's readers check their JSON files against (tokkit/json_shape.py)."""

from __future__ import annotations

from typing import Any, Literal

import pytest

from tokkit.errors import TokkitError
from tokkit.json_shape import Shape

ROW = {"name": str, "size?": int, "note?": str | None}
SHAPE = Shape({
    "rows": list[tuple[str, Literal["N", "V"], list[int], bool]],
    "roles?": dict[Literal["bos", "eos"], int],
    "meta?": dict[str, Any],
    "items?": list[ROW],
    "ratio?": float,
})

GOOD = {"rows": [["ev", "N", [1, 2], True], ["gel", "V", [], False]], "roles": {"bos": 0}, "meta": {"x": [1, {"y": None}]},
        "items": [{"name": "a"}, {"name": "b", "size": 3, "note": None}], "ratio": 2, "other": "ignored"}


def with_(**changes):
    return {**GOOD, **changes}


def test_a_value_of_the_shape_comes_back_unchanged():
    assert SHAPE.check(GOOD, "f.json") is GOOD
    assert SHAPE.check({"rows": []}, "f.json") == {"rows": []}  # optional fields may be absent


@pytest.mark.parametrize("value, message", [
    ([1, 2], "f.json must be an object, not [1, 2]"),
    ({}, "f.json: rows is missing"),
    (with_(rows="abc"), 'f.json: rows must be a list, not "abc"'),
    (with_(rows=[["ev", "N", [1]]]), 'f.json: rows[0] must be a list of 4 items, not ["ev", "N", [1]]'),
    (with_(rows=[["ev", "N", [], True], [5, "N", [], True]]), "f.json: rows[1][0] must be a string, not 5"),
    (with_(rows=[["ev", "X", [], True]]), 'f.json: rows[0][1] must be one of "N", "V", not "X"'),
    (with_(rows=[["ev", "N", [1, 2.5], True]]), "f.json: rows[0][2][1] must be a whole number, not 2.5"),
    (with_(rows=[["ev", "N", [1.0], True]]), "f.json: rows[0][2][0] must be a whole number, not 1.0"),
    (with_(rows=[["ev", "N", [True], True]]), "f.json: rows[0][2][0] must be a whole number, not true"),
    (with_(rows=[["ev", "N", [], "yes"]]), 'f.json: rows[0][3] must be true or false, not "yes"'),
    (with_(rows=[["ev", "N", [], 1]]), "f.json: rows[0][3] must be true or false, not 1"),
    (with_(roles=[0]), "f.json: roles must be an object, not [0]"),
    (with_(roles={"cls": 0}), "f.json: roles.cls is not one of the keys bos, eos"),
    (with_(roles={"bos": "0"}), 'f.json: roles.bos must be a whole number, not "0"'),
    (with_(roles=None), "f.json: roles must be an object, not null"),
    (with_(meta="x"), 'f.json: meta must be an object, not "x"'),
    (with_(items=[{"size": 1}]), "f.json: items[0].name is missing"),
    (with_(items=[{"name": "a", "note": 3}]), "f.json: items[0].note must be a string or null, not 3"),
    (with_(ratio=True), "f.json: ratio must be a number, not true"),
    (with_(ratio="x" * 60), 'f.json: ratio must be a number, not "' + "x" * 36 + "..."),
])
def test_the_first_wrong_value_is_named_with_its_place(value, message):
    with pytest.raises(TokkitError) as caught:
        SHAPE.check(value, "f.json")
    assert str(caught.value) == message


def test_a_union_reports_the_deeper_problem_of_the_branch_the_value_matches():
    shape = Shape({"sizes?": list[int] | None})
    assert shape.check({"sizes": None}, "f") == {"sizes": None}
    with pytest.raises(TokkitError, match=r"sizes\[1\] must be a whole number, not 1.5"):
        shape.check({"sizes": [1, 1.5]}, "f")
    with pytest.raises(TokkitError, match='sizes must be a list or null, not "x"'):
        shape.check({"sizes": "x"}, "f")


def test_a_long_list_is_checked_by_columns_and_the_first_bad_row_named():
    rows = [["w", "N", [i], i % 2 == 0] for i in range(50_000)]
    assert SHAPE.check({"rows": rows}, "f.json")
    rows[31_337][2] = [1, "2"]
    with pytest.raises(TokkitError, match=r'rows\[31337\]\[2\]\[1\] must be a whole number, not "2"'):
        SHAPE.check({"rows": rows}, "f.json")


def test_something_that_is_no_shape_is_refused_when_compiled():
    with pytest.raises(TypeError, match="not a JSON shape"):
        Shape(set[int])
