"""Reading a statement file into a ``Statement``, or saying exactly where it is wrong.

YAML is parsed with ruamel.yaml because it keeps the line and column of every key and
item; a schema error from pydantic, or a broken reference, is then reported at the
place in the file it concerns (``statement.yaml:42:7: purpose 'ads' is not declared``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from keepfaith.exceptions import Location, StatementError
from keepfaith.statement.references import problems
from keepfaith.statement.schema import Statement

YamlPath = tuple[str | int, ...]
_MISSING = object()


def load(path: Path | str) -> Statement:
    """Load and validate the statement in ``path``; raise ``StatementError`` if wrong."""
    return loads(read_text(path), source=path)


def read_text(path: Path | str) -> str:
    """The text of a statement file (UTF-8); ``StatementError`` if it cannot be read.

    The one place a statement file is read: loading, checking, diffing and publishing
    all come through here.
    """
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StatementError(Location(path, 1, 1), f"cannot read file: {error}") from None


def loads(text: str, source: Path | str = "<statement>") -> Statement:
    """Load a statement from YAML text; ``source`` names it in error locations."""
    return loads_with_document(text, source)[0]


@functools.lru_cache(maxsize=64)
def declared_identity(text: str) -> tuple[str, str]:
    """The ``(id, version)`` a statement text declares.

    Cached, because publishing checks every stored text with it and parsing a whole
    statement takes a noticeable fraction of a second.
    """
    statement = loads(text)
    return statement.id, statement.version


def loads_with_document(
    text: str, source: Path | str = "<statement>"
) -> tuple[Statement, CommentedMap]:
    """``loads``, also returning the parsed YAML document so callers can ``locate`` paths."""
    document = _parse_yaml(text, source)
    if not isinstance(document, CommentedMap):
        raise StatementError(Location(source, 1, 1), "a statement must be a YAML mapping")
    try:
        statement = Statement.model_validate(_plain(document))
    except ValidationError as error:
        raise _located_validation_error(error, document, source) from None
    found = sorted((locate(document, p.path, source), p.reason) for p in problems(statement))
    if found:
        raise _first_of(found)
    return statement, document


class _Constructor(RoundTripConstructor):
    """ruamel's constructor, but a scalar it cannot read (``!!int abc``, the date
    ``2024-13-45``) and a key that is itself a mapping or a list (``?`` on a line of its
    own) are located YAML errors rather than a bare ``ValueError`` or ``TypeError``."""

    def check_mapping_key(
        self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any
    ) -> bool:
        try:
            hash(key)
        except TypeError:
            problem = "a key must be a plain name, not a mapping or a list"
            raise ConstructorError(None, None, problem, key_node.start_mark) from None
        return bool(super().check_mapping_key(node, key_node, mapping, key, value))

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, TypeError, OverflowError) as error:
            kind = str(node.tag).rsplit(":", 1)[-1].replace("timestamp", "date")
            problem = f"invalid {kind} {node.value!r}"
            if isinstance(error, ValueError):
                problem += f": {error}"
            raise ConstructorError(None, None, problem, node.start_mark) from None


def _parse_yaml(text: str, source: Path | str) -> Any:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except ReaderError as error:
        # A character YAML forbids (NUL, other controls): placed by its offset in the text.
        before = text[: error.position]
        line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        reason = f"YAML: unacceptable character #x{error.character:04x}"
        raise StatementError(Location(source, line, column), reason) from None
    except RecursionError:
        raise StatementError(Location(source, 1, 1), "YAML: nested too deeply") from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = " ".join(str(part) for part in (error.problem or error.context,) if part)
        raise StatementError(Location(source, line, column), f"YAML: {reason}") from None
    except YAMLError as error:
        raise StatementError(Location(source, 1, 1), f"YAML: {error}") from None


def _plain(node: Any) -> Any:
    """ruamel's round-trip nodes as plain Python values, for pydantic."""
    if isinstance(node, Mapping):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [_plain(item) for item in node]
    if isinstance(node, bool | dt.date | None):
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def locate(document: Any, path: Iterable[str | int], source: Path | str) -> Location:
    """The line and column of the deepest node of ``path`` that exists in ``document``."""
    line, column = 0, 0
    node = document
    if isinstance(node, CommentedMap | CommentedSeq):
        line, column = node.lc.line, node.lc.col
    for step in path:
        if isinstance(node, CommentedMap) and isinstance(step, str):
            # Keys reach pydantic as strings (``_plain``): ``1:`` is found as "1".
            key = next((k for k in node if str(k) == step), _MISSING)
            if key is _MISSING or key not in node.lc.data:  # merged in by ``<<``: no place
                break
            line, column = node.lc.key(key)
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(step, int) and step < len(node):
            line, column = node.lc.item(step)
            node = node[step]
        else:
            break
    return Location(source, line + 1, column + 1)


def _located_validation_error(
    error: ValidationError, document: CommentedMap, source: Path | str
) -> StatementError:
    found = []
    for detail in error.errors():
        path = tuple(detail["loc"])
        reason = _reason(path, detail) + _comma_hint(document, path, detail)
        found.append((locate(document, path, source), reason))
    return _first_of(sorted(found))


def _comma_hint(document: Any, path: Sequence[str | int], detail: Mapping[str, Any]) -> str:
    """An unknown key with no value inside a ``{...}`` flow mapping is almost always text
    cut at an unquoted comma (``{label: Name, first and last}``): say so."""
    if detail["type"] != "extra_forbidden":
        return ""
    node = document
    for step in path[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return ""
    if not isinstance(node, CommentedMap) or not node.fa.flow_style():
        return ""
    if node.get(path[-1], "") is not None:
        return ""
    return (
        " (an unquoted comma in a {...} mapping ends the value before it and turns the rest"
        ' into a key: quote the whole value, "like, this")'
    )


def _reason(path: Sequence[str | int], detail: Mapping[str, Any]) -> str:
    dotted = _dotted(path)
    kind = detail["type"]
    if kind == "extra_forbidden":
        parent = _dotted(path[:-1]) or "the statement"
        return f"unknown key {path[-1]!r} in {parent}"
    if kind == "missing":
        return f"missing required key {dotted!r}"
    return f"{dotted}: {detail['msg']}"


def _dotted(path: Sequence[str | int]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def _first_of(found: Sequence[tuple[Location, str]]) -> StatementError:
    location, reason = found[0]
    error = StatementError(location, reason)
    error.problems = list(found)
    return error
