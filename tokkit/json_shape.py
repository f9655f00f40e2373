"""The shape of the JSON files tokkit reads back, checked before anything uses them.

``tokkit.json``, the hybrid tokenizer's files, Morfessor models and results files are
tokkit's own, but a user may hand tokkit any file of that name: one edited by hand,
damaged, or from another tool. Each reader states the shape it needs as a
:class:`Shape` and checks the parsed file against it, so a wrong type fails as one line
naming the file, the place and what was expected (``tokkit.json: specials.bos must be a
whole number, not "x"``) instead of an ``AttributeError`` deep in the code that reads it.

A shape is written with Python's type notation:

* ``str``, ``bool``, ``int`` (a whole number: JSON ``1.0`` and ``true`` are not),
  ``float`` (any number, ``true`` not), ``None`` (null), ``Any`` (anything);
* ``list[S]``; ``tuple[S1, S2, ...]``: a list of exactly those items;
* ``dict[K, S]``: an object whose keys are strings (``K`` = ``str``) or the values of a
  ``Literal`` (``dict[Literal["bos", "eos"], int]``);
* ``Literal[a, b, ...]``: one of those values; ``S1 | S2``: either (an object of fields
  cannot be one side: Python's ``|`` takes no ``dict``);
* a ``dict`` of field shapes, ``{"format": str, "seed?": int | None}``: an object with
  those fields, where a name ending in ``?`` may be absent (``seed`` may be absent, null
  or a whole number); fields not named are ignored (a file may carry more than this
  reader needs).

Written here rather than with a schema library (jsonschema, pydantic): each shape is a
few lines of ordinary type notation, the check needs nothing installed, and its messages
are tokkit's one-line errors. A shape is compiled once into nodes that check a whole
column of values at a time (all first items of a list of rows, then all second ones),
with ``set(map(type, column))`` and set inclusion, which run in C, so a hybrid
tokenizer's lexicon of ~10^5 rows costs little next to building its analyzer. Only when
a column fails is it walked value by value, to name the first wrong one.
"""

from __future__ import annotations

import json
import types
import typing
from itertools import chain
from typing import Any, Literal

from tokkit.errors import TokkitError

#: a problem found: the path to it (keys and indexes, outermost first) and what is wrong
Problem = tuple[tuple, str]


class Shape:
    """A compiled shape (see the module docstring); :meth:`check` raises on a mismatch."""

    def __init__(self, spec: Any):
        self._node = _compile(spec)

    def check(self, value: Any, source: str) -> Any:
        """``value`` itself when it has this shape; else a TokkitError naming ``source``
        (the file), the place in it and what was expected."""
        if self._node.all_fit([value]):
            return value
        path, text = self._node.problem(value)
        raise TokkitError(f"{source}: {_path(path)} {text}" if path else f"{source} {text}")


def _path(parts: tuple) -> str:
    """``("roots", 3, 1)`` -> ``roots[3][1]``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _shown(value: Any) -> str:
    """A value as JSON, cut short."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _types_of(values: list) -> set[type]:
    return set(map(type, values))


class _Node:
    """One part of a shape. ``all_fit`` checks a column of values at once (fast, no
    message); ``problem`` walks one value to its first problem (only after a failure)."""

    expected = "anything"

    def all_fit(self, values: list) -> bool:
        raise NotImplementedError

    def problem(self, value: Any) -> Problem | None:
        return None if self.all_fit([value]) else ((), f"must be {self.expected}, not {_shown(value)}")


class _Any(_Node):
    def all_fit(self, values):
        return True


class _Types(_Node):
    """Values of these exact JSON types (``int`` never admits ``bool``)."""

    def __init__(self, allowed: set[type], expected: str):
        self.allowed, self.expected = allowed, expected

    def all_fit(self, values):
        return _types_of(values) <= self.allowed


class _Literal(_Node):
    def __init__(self, options: tuple):
        self.options = {(type(o), o) for o in options}
        self.allowed = {type(o) for o in options}
        self.expected = "one of " + ", ".join(_shown(o) for o in options)

    def all_fit(self, values):
        return _types_of(values) <= self.allowed and {(type(v), v) for v in values} <= self.options


class _Union(_Node):
    """Either shape. Where the value's own kind matches one branch (an object where one
    branch is an object), that branch's deeper problem is the one reported."""

    def __init__(self, branches: list[_Node]):
        self.branches = branches
        self.expected = " or ".join(b.expected for b in branches)

    def all_fit(self, values):
        return all(any(b.all_fit([v]) for b in self.branches) for v in values)

    def problem(self, value):
        if self.all_fit([value]):
            return None
        deeper = [p for p in (b.problem(value) for b in self.branches) if p is not None and p[0]]
        return deeper[0] if len(deeper) == 1 else ((), f"must be {self.expected}, not {_shown(value)}")


class _List(_Node):
    expected = "a list"

    def __init__(self, item: _Node):
        self.item = item

    def all_fit(self, values):
        return _types_of(values) <= {list} and self.item.all_fit(list(chain.from_iterable(values)))

    def problem(self, value):
        if not isinstance(value, list):
            return (), f"must be a list, not {_shown(value)}"
        for i, element in enumerate(value):
            found = self.item.problem(element)
            if found is not None:
                return (i, *found[0]), found[1]
        return None


class _Tuple(_Node):
    """A list of exactly these items (a row of a table)."""

    def __init__(self, items: list[_Node]):
        self.items = items
        self.expected = f"a list of {len(items)} items"

    def all_fit(self, values):
        if not (_types_of(values) <= {list} and set(map(len, values)) <= {len(self.items)}):
            return False
        return all(item.all_fit([v[j] for v in values]) for j, item in enumerate(self.items))

    def problem(self, value):
        if not isinstance(value, list) or len(value) != len(self.items):
            return (), f"must be {self.expected}, not {_shown(value)}"
        for i, (element, item) in enumerate(zip(value, self.items)):
            found = item.problem(element)
            if found is not None:
                return (i, *found[0]), found[1]
        return None


class _Mapping(_Node):
    """An object with any keys (or those of a Literal), each value of one shape."""

    expected = "an object"

    def __init__(self, keys: tuple | None, item: _Node):
        self.keys, self.item = (set(keys) if keys is not None else None), item
        self.known = ", ".join(sorted(map(str, keys))) if keys is not None else ""

    def all_fit(self, values):
        if not _types_of(values) <= {dict}:
            return False
        if self.keys is not None and not set(chain.from_iterable(values)) <= self.keys:
            return False
        return self.item.all_fit(list(chain.from_iterable(v.values() for v in values)))

    def problem(self, value):
        if not isinstance(value, dict):
            return (), f"must be an object, not {_shown(value)}"
        for key, element in value.items():
            if self.keys is not None and key not in self.keys:
                return (key,), f"is not one of the keys {self.known}"
            found = self.item.problem(element)
            if found is not None:
                return (key, *found[0]), found[1]
        return None


class _Record(_Node):
    """An object with these fields (those in ``optional`` may be absent)."""

    expected = "an object"

    def __init__(self, fields: dict[str, _Node], optional: set[str]):
        self.fields, self.optional = fields, optional

    def all_fit(self, values):
        if not _types_of(values) <= {dict}:
            return False
        for key, node in self.fields.items():
            present = [v[key] for v in values if key in v]
            if len(present) < len(values) and key not in self.optional or not node.all_fit(present):
                return False
        return True

    def problem(self, value):
        if not isinstance(value, dict):
            return (), f"must be an object, not {_shown(value)}"
        for key, node in self.fields.items():
            if key not in value:
                if key in self.optional:
                    continue
                return (key,), "is missing"
            found = node.problem(value[key])
            if found is not None:
                return (key, *found[0]), found[1]
        return None


_PLAIN = {str: ({str}, "a string"), bool: ({bool}, "true or false"), int: ({int}, "a whole number"),
          float: ({int, float}, "a number"), list: ({list}, "a list"), dict: ({dict}, "an object"),
          None: ({type(None)}, "null"), type(None): ({type(None)}, "null")}


def _compile(spec: Any) -> _Node:
    """The node that checks values against ``spec`` (see the module docstring)."""
    if spec is Any:
        return _Any()
    if isinstance(spec, dict):
        fields = {key.removesuffix("?"): _compile(sub) for key, sub in spec.items()}
        return _Record(fields, {key.removesuffix("?") for key in spec if key.endswith("?")})
    origin, args = typing.get_origin(spec), typing.get_args(spec)
    if origin is None and spec in _PLAIN:
        return _Types(*_PLAIN[spec])
    if origin is Literal:
        return _Literal(args)
    if origin in (typing.Union, types.UnionType):
        return _Union([_compile(a) for a in args])
    if origin is list:
        return _List(_compile(args[0]))
    if origin is tuple:
        return _Tuple([_compile(a) for a in args])
    if origin is dict:
        return _Mapping(typing.get_args(args[0]) if typing.get_origin(args[0]) is Literal else None, _compile(args[1]))
    raise TypeError(f"not a JSON shape: {spec!r}")
