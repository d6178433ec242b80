"""Pydantic's validation errors in the words of the error contract: which field, why, what
to do.

The request models (`models/inputs.py`) state the shape of what callers send: JSON types,
required fields, unknown fields, lengths, counts and ranges. When a request breaks one
of those rules Pydantic reports it as `{"type", "loc", "input", "ctx"}`; `problems()`
turns each report into a sentence naming the field in the `lines[0].amount` style, saying
why it was refused and what to send instead. What to send comes from the model itself:
the field's `description` (also shown in the OpenAPI document) and, where a field needs
more specific advice than "shorten it", an `Advice` in its `Annotated` metadata. So the
rule, its documentation and its message are stated once, on the model.

The HTTP error mapper (`api/http.py`) and the ops console (`invocations/`) both answer
with `invalid_input(...)`: 400 `invalid_input`, `field` the first problem's field,
`details.problems` every problem.
"""

from __future__ import annotations

import json
import types
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from qbo_connector.models.errors import InvalidInput

# Never echo more of a caller's value than this (a value may be a megabyte long).
_SHOWN_MAX = 24


@dataclass(frozen=True)
class Advice:
    """What to do when a field is refused, beyond its description: `Annotated` metadata
    on a request model field (e.g. "Split the invoice." for too many bill lines)."""

    text: str


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def invalid_input(found: Iterable[Problem], *, root_name: str = "body") -> InvalidInput:
    """One InvalidInput for a request's problems: the first one's message and field,
    every one (a field once) in `details.problems` when there are several."""
    unique: list[Problem] = []
    for problem in found:
        if all(problem.field != p.field for p in unique):
            unique.append(problem)
    if not unique:
        unique = [Problem(root_name, f"{root_name} is not valid; correct it and send it again.")]
    first = unique[0]
    more = f" ({len(unique) - 1} more problem(s) in details)" if len(unique) > 1 else ""
    return InvalidInput(
        f"{first.message}{more}",
        field=first.field,
        details={"problems": [p.to_dict() for p in unique]} if len(unique) > 1 else None,
    )


def validation_failed(
    errors: Iterable[Mapping[str, Any]], root: Any, *, root_name: str = "body"
) -> InvalidInput:
    """The InvalidInput for a ValidationError's `errors()` against `root`, the type that
    was validated (a request model, or a union of them); `root_name` names the whole
    input ("body", or "event" for a console event) when an error is about the input."""
    return invalid_input(
        (describe(error, root, root_name=root_name) for error in errors), root_name=root_name
    )


def describe(
    error: Mapping[str, Any],
    root: Any,
    *,
    root_name: str = "body",
    root_info: FieldInfo | None = None,
    within: str = "",
) -> Problem:
    """One Pydantic error as a field and a sentence.

    `error["loc"]` is relative to `root`; `root_info` is the FieldInfo `root` was
    declared with, if any (a route's body or query parameter); `within` prefixes the
    field path (a query parameter's name), and `root_name` names the input itself.
    """
    spot = _locate(root, list(error.get("loc") or ()), root_info)
    kind = str(error.get("type", ""))
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return _tag_problem(spot, kind, value, ctx, within)
    field = _join(within, spot.path) or root_name
    return Problem(field, _sentence(field, spot, kind, value, ctx, error))


def _join(within: str, path: str) -> str:
    if not within or not path or path.startswith("["):
        return f"{within}{path}"
    return f"{within}.{path}"


# -- where in the model an error is ------------------------------------------------------


@dataclass
class _Spot:
    path: str  # `lines[0].amount`; "" for the input itself
    info: FieldInfo | None  # the field the path ends at, if it ends at a model field
    type_: Any  # the type expected there
    owner: type[BaseModel] | None  # the model holding the last field (or the unknown one)
    advice: str | None = None


def _locate(root: Any, loc: Sequence[Any], info: FieldInfo | None = None) -> _Spot:
    """Walk a Pydantic `loc` down the model: field names, list indexes and the tags
    Pydantic inserts for union members (a discriminated union's "weekly"), which name
    no field and are left out of the path."""
    spot = _Spot("", info, root, None, _advice(info.metadata) if info is not None else None)
    current = root
    for part in loc:
        current, advice = _unwrap(current)
        spot.advice = advice or spot.advice
        member = _union_member(current, part)
        if member is not None:
            current = member
            continue
        if isinstance(part, int):
            spot.path += f"[{part}]"
            args = get_args(current)
            current = args[0] if args else Any
            spot.info = None
            spot.advice = None
            continue
        name = str(part)
        spot.path = f"{spot.path}.{name}" if spot.path else name
        if _is_model(current):
            spot.owner = current
            field = current.model_fields.get(name)
            spot.info = field
            current = field.annotation if field is not None else None
            spot.advice = _advice(field.metadata) if field is not None else None
        else:
            spot.info, spot.owner, spot.advice = None, None, None
            args = get_args(current)
            current = args[-1] if get_origin(current) in (dict, Mapping) and args else None
    spot.type_, advice = _unwrap(current)
    spot.advice = advice or spot.advice
    return spot


def _unwrap(annotation: Any) -> tuple[Any, str | None]:
    """`Annotated[X, ...]` and `X | None` as X, with any Advice found on the way."""
    advice = None
    while True:
        if get_origin(annotation) is Annotated:
            args = get_args(annotation)
            advice = _advice(args[1:]) or advice
            annotation = args[0]
            continue
        if _is_union(annotation):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation, advice


def _advice(metadata: Iterable[Any]) -> str | None:
    return next((m.text for m in metadata if isinstance(m, Advice)), None)


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _union_member(annotation: Any, part: Any) -> Any:
    """The member of a union of models that Pydantic names `part` in a loc, if any."""
    if not _is_union(annotation) or not isinstance(part, str):
        return None
    for member in get_args(annotation):
        member, _ = _unwrap(member)
        if not _is_model(member):
            continue
        if part == member.__name__ or part in _tags(member):
            return member
    return None


def _tags(model: type[BaseModel]) -> set[str]:
    """The Literal values of a model's fields: its tags in a discriminated union."""
    tags: set[str] = set()
    for field in model.model_fields.values():
        if get_origin(field.annotation) is Literal:
            tags.update(str(v) for v in get_args(field.annotation))
    return tags


# -- the sentences ------------------------------------------------------------------------

_EXPECTED = {
    "string_type": "text (a JSON string)",
    "str_type": "text (a JSON string)",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "float_parsing": "a number",
    "bool_parsing": "true or false",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list (a JSON array)",
    "tuple_type": "a list (a JSON array)",
    "dict_type": "a JSON object",
    "model_type": "a JSON object",
    "model_attributes_type": "a JSON object",
    "dataclass_type": "a JSON object",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}


def _sentence(
    field: str,
    spot: _Spot,
    kind: str,
    value: Any,
    ctx: Mapping[str, Any],
    error: Mapping[str, Any],
) -> str:
    what = _what(spot)
    send = f"; send {what}" if what else ""
    advice = f" {spot.advice}" if spot.advice else ""
    required = spot.info is not None and spot.info.is_required()
    typed = kind in _EXPECTED or kind == "json_type"
    empty = kind == "string_too_short" and ctx.get("min_length") == 1
    if kind == "missing" or (required and ((value is None and typed) or empty)):
        return f"{field} is required{_colon(what)}."
    if kind == "extra_forbidden":
        if spot.owner is None:
            return f"{field} is not a field here; remove it."
        title = _title(spot.owner)
        known = ", ".join(spot.owner.model_fields)
        return f"{field} is not a field of {title}; remove it ({title} takes: {known})."
    if typed:
        expected = ctx.get("expected") or _EXPECTED.get(kind, "something else")
        return f"{field} must be {expected}, not {_shown(value)}{send}."
    if kind == "literal_error":
        return f"{field} must be {_literals(spot.type_, ctx)}, not {_shown(value)}{send}."
    if kind == "string_too_long":
        size = f"{len(value)} characters" if isinstance(value, str) else "too long"
        limit = ctx.get("max_length")
        return f"{field} is {size}; at most {limit} are accepted.{advice or ' Shorten it.'}"
    if empty:
        return f"{field} is empty; leave it out or send {what or 'a value'}."
    if kind == "string_too_short":
        return f"{field} must be at least {ctx.get('min_length')} characters{send}."
    if kind == "too_long":
        count = ctx.get("actual_length")
        has = f"has {count} items" if count is not None else "has too many items"
        limit = ctx.get("max_length")
        return f"{field} {has}; at most {limit} are accepted.{advice or ' Send fewer.'}"
    if kind == "too_short":
        least = ctx.get("min_length")
        noun = "item" if least == 1 else "items"
        return f"{field} must list at least {least} {noun}{_colon(what)}."
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"{field} must be {words} {ctx.get(key)}, not {_shown(value)}{send}."
    if kind == "string_unicode":
        return f"{field} {_invalid_character(value)}; remove it."
    if kind == "string_pattern_mismatch":
        return f"{field} is not written as expected{send}.{advice}"
    message = str(error.get("msg") or "is not valid")
    return f"{field}: {message}. Correct it and send it again."


def _literals(annotation: Any, ctx: Mapping[str, Any]) -> str:
    if get_origin(annotation) is Literal:
        return " or ".join(json.dumps(v) for v in get_args(annotation))
    return str(ctx.get("expected") or "one of the listed values")


def _tag_problem(
    spot: _Spot, kind: str, value: Any, ctx: Mapping[str, Any], within: str
) -> Problem:
    """A discriminated union's tag (`kind` of a schedule, `action` of an ops event)."""
    tag = str(ctx.get("discriminator", "")).strip("'\"") or "kind"
    field = _join(_join(within, spot.path), tag)
    members = [m for m in get_args(spot.type_) if _is_model(_unwrap(m)[0])]
    tags = [t for m in members for t in sorted(_tags(_unwrap(m)[0]))]
    choices = ", ".join(json.dumps(t) for t in tags) or str(ctx.get("expected_tags", ""))
    info = next(
        (
            _unwrap(m)[0].model_fields.get(tag)
            for m in members
            if _unwrap(m)[0].model_fields.get(tag) is not None
        ),
        None,
    )
    what = _clause(info.description) if info is not None and info.description else ""
    what = what or f"one of {choices}"
    if kind == "union_tag_not_found" or not isinstance(value, Mapping):
        return Problem(field, f"{field} is required: {what}.")
    return Problem(field, f"{field} must be {what}, not {_shown(value.get(tag))}.")


def _what(spot: _Spot) -> str:
    """What belongs at the spot, in words: the field's description, else its model's."""
    if spot.info is not None and spot.info.description:
        return _clause(spot.info.description)
    if _is_model(spot.type_) and spot.type_.__doc__:
        return _clause(spot.type_.__doc__)
    return ""


def _title(model: type[BaseModel]) -> str:
    return str(getattr(model, "in_words", None) or model.__name__)


def _colon(what: str) -> str:
    return f": {what}" if what else ""


def _clause(text: str) -> str:
    """A description as the end of a sentence: first line, no final period, and a
    leading capital lowered when it only starts the sentence ("The vendor's ..."; not
    "QuickBooks ...")."""
    line = " ".join(text.strip().split("\n\n")[0].split())
    line = line[:-1] if line.endswith(".") else line
    first = line.split(" ", 1)[0]
    if first.isalpha() and first[:1].isupper() and (len(first) == 1 or first[1:].islower()):
        line = line[0].lower() + line[1:]
    return line


def _shown(value: Any) -> str:
    """A caller's value in a few words, never more than a short excerpt of it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**_SHOWN_MAX else "a number"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "NaN or Infinity (not JSON numbers)"
        text = repr(value)
        return text if len(text) <= _SHOWN_MAX else "a number"
    if isinstance(value, str):
        if len(value) <= _SHOWN_MAX and value.isprintable():
            return json.dumps(value)
        return "a string" if value else '""'
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return "a value of another type"


def _invalid_character(value: Any) -> str:
    if isinstance(value, str):
        for i, ch in enumerate(value):
            if unicodedata.category(ch) == "Cs":
                return (
                    f"contains the invalid character U+{ord(ch):04X} (half of a surrogate "
                    f"pair, not a character) at position {i + 1}"
                )
    return "is not valid Unicode text"
