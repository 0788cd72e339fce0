"""docs/statement.md documents every key of the statement, and its examples run.

The reference has one heading per section whose first code span is the section's YAML
path (``organisation.contacts[]``), followed by a table of its keys: key, type, default,
meaning. Every model reachable from ``Statement`` must have its heading, its table must
list exactly that model's fields, required fields must say ``required``, defaults must
match the schema, and choices must list every allowed value. Every ``yaml`` block must
load: the first whole statement as it is, every other block added to it.
"""

from __future__ import annotations

import io
import re
import typing
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from ruamel.yaml import YAML

from keepfaith.statement import Statement, loads
from keepfaith.statement.check import check

DOC = Path(__file__).resolve().parents[1] / "docs" / "statement.md"
ROOT_PATH = "statement.yaml"
"""The heading path of the top level."""

HEADING = re.compile(r"^#{1,6} .*?`([^`]+)`", re.MULTILINE)


@dataclass
class Section:
    path: str
    rows: dict[str, list[str]] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)


def sections(text: str) -> dict[str, Section]:
    """Each heading with a code span, with the table rows and yaml blocks under it."""
    found: dict[str, Section] = {}
    current: Section | None = None
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("#"):
            match = HEADING.match(line)
            current = Section(match.group(1)) if match else None
            if current is not None:
                assert current.path not in found, f"two headings for {current.path}"
                found[current.path] = current
        elif line.startswith("```"):
            block = _fence(lines)
            if current is not None and line.strip() == "```yaml":
                current.examples.append(block)
        elif current is not None and line.startswith("| `"):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            key = cells[0].strip("`")
            assert key not in current.rows, f"{current.path}: {key} twice"
            current.rows[key] = cells
    return found


def _fence(lines: typing.Iterator[str]) -> str:
    body = []
    for line in lines:
        if line.startswith("```"):
            break
        body.append(line)
    return "\n".join(body) + "\n"


def yaml_blocks(text: str) -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def models(model: type[BaseModel] = Statement, path: str = ROOT_PATH) -> list[tuple[str, Any]]:
    """Every model reachable from ``model``, with its YAML path (lists marked ``[]``)."""
    found: list[tuple[str, Any]] = [(path, model)]
    for name, info in model.model_fields.items():
        for inner, is_list in _models_in(info.annotation):
            prefix = "" if path == ROOT_PATH else f"{path}."
            found.extend(models(inner, f"{prefix}{name}{'[]' if is_list else ''}"))
    return found


def _models_in(annotation: Any, in_list: bool = False) -> list[tuple[Any, bool]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, in_list)]
    is_list = in_list or typing.get_origin(annotation) in (tuple, list)
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg, is_list)]


def _enums_in(annotation: Any) -> list[type[Enum]]:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [annotation]
    return [e for arg in typing.get_args(annotation) for e in _enums_in(arg)]


def expected_default(info: FieldInfo) -> str:
    """How the default reads in the table."""
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        return str(info.default_factory())  # a mapping: "{}"
    value = info.default
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Enum):
        return str(value.value)
    if value == ():
        return "[]"
    if isinstance(value, BaseModel):
        return "{}"
    return str(value)


TEXT = DOC.read_text(encoding="utf-8")
SECTIONS = sections(TEXT)
MODELS = models()


def test_every_model_has_its_section() -> None:
    missing = [path for path, _ in MODELS if path not in SECTIONS]
    assert missing == []


@pytest.mark.parametrize(("path", "model"), MODELS, ids=[path for path, _ in MODELS])
def test_every_key_is_documented(path: str, model: type[BaseModel]) -> None:
    rows = SECTIONS[path].rows
    assert sorted(rows) == sorted(model.model_fields), f"keys of {path}"
    for name, info in model.model_fields.items():
        _key, kind, default, meaning = rows[name]
        assert kind and meaning, f"{path}.{name} needs a type and a meaning"
        assert default.strip("`") == expected_default(info), f"default of {path}.{name}"
        for enum in _enums_in(info.annotation):
            listed = set(re.findall(r"`([^`]+)`", kind))
            missing = {member.value for member in enum} - listed
            assert not missing, f"{path}.{name} does not list {sorted(missing)}"


@pytest.mark.parametrize(("path", "model"), MODELS, ids=[path for path, _ in MODELS])
def test_every_section_has_an_example(path: str, model: type[BaseModel]) -> None:
    assert SECTIONS[path].examples, f"{path} has no yaml example"


def _parse(text: str) -> Any:
    return YAML(typ="safe").load(text)


def _merge(base: Any, addition: Any) -> Any:
    """``addition`` added to ``base``: lists appended, mappings merged, values replaced."""
    if isinstance(base, dict) and isinstance(addition, dict):
        merged = dict(base)
        for key, value in addition.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(addition, list):
        return base + addition
    return addition


def _dump(document: Any) -> str:
    out = io.StringIO()
    YAML(typ="safe").dump(document, out)
    return out.getvalue()


def _is_whole(block: str) -> bool:
    document = _parse(block)
    return isinstance(document, dict) and {"keepfaith", "organisation"} <= document.keys()


BLOCKS = yaml_blocks(TEXT)
WHOLE = next(block for block in BLOCKS if _is_whole(block))


def test_the_whole_statement_loads_and_checks_clean() -> None:
    assert check(loads(WHOLE, "docs/statement.md")) == []


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_every_example_runs(block: str) -> None:
    text = block if _is_whole(block) else _dump(_merge(_parse(WHOLE), _parse(block)))
    assert isinstance(loads(text, "docs/statement.md"), Statement)


def test_the_convention_is_not_vacuous() -> None:
    assert len(MODELS) > 20 and len(BLOCKS) >= len(MODELS)
    assert all(SECTIONS[path].rows for path, _ in MODELS)
