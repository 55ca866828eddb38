"""Turning pydantic's error records into one short, specific sentence per field.

Pure functions of the parsed data (no YAML): :mod:`fdsim.spec.load` maps the returned
``SpecFieldError`` to the file and line the field came from.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

from fdsim.errors import FieldPath, SpecFieldError

_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
    "dict_type": "a mapping",
    "tuple_type": "a list",
    "list_type": "a list",
}


_SHOWN_CHARS = 60


def shown(value: Any) -> str:
    """A value as an error message quotes it: containers by kind, not by content, and a long
    value (a 400-digit number) cut to its first characters."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else f"{text[:_SHOWN_CHARS]}… ({len(text)} characters)"


def _data_path(loc: tuple[str | int, ...], data: Any) -> FieldPath:
    """Drop the parts of pydantic's location that are not in the data (union tags, also last:
    a layer's own validator is located at its ``kind``)."""
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[int(part)]
        elif not last or (isinstance(node, dict) and node.get("kind") == part):
            continue
        path.append(part)
    return tuple(path)


def describe(detail: ErrorDetails, data: dict[str, Any]) -> SpecFieldError:
    """One pydantic error record as a ``SpecFieldError`` on the field of ``data`` it is about."""
    kind = detail["type"]
    path = _data_path(tuple(detail["loc"]), data)
    context: dict[str, Any] = dict(detail.get("ctx") or {})
    given = detail.get("input")
    if kind == "missing":
        return SpecFieldError("", path, "required field missing")
    if kind == "extra_forbidden":
        return SpecFieldError("", path, "unknown field")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        field = (*path, context.get("discriminator", "kind").strip("'"))
        expected = context.get("expected_tags", "")
        if kind == "union_tag_not_found":
            return SpecFieldError("", field, f"required field missing (one of {expected})")
        return SpecFieldError("", field, f"must be one of {expected}, got {context.get('tag')!r}")
    if kind in _EXPECTED:
        return SpecFieldError("", path, f"expected {_EXPECTED[kind]}, got {shown(given)}")
    if kind in ("enum", "literal_error"):
        return SpecFieldError("", path, f"must be {context.get('expected')}, got {shown(given)}")
    if kind == "value_error":
        message = str(detail["msg"]).removeprefix("Value error, ")
        return SpecFieldError("", path, message)
    if kind == "too_long":
        count = f"{context.get('actual_length')}" if "actual_length" in context else "more"
        return SpecFieldError(
            "", path, f"at most {context.get('max_length'):,} entries allowed, got {count}"
        )
    message = str(detail["msg"]).replace("Input should be", "must be")
    message = message[:1].lower() + message[1:]
    if not isinstance(given, dict | list):
        message += f", got {shown(given)}"
    return SpecFieldError("", path, message)
