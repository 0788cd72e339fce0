"""Every Python example in docs/api-python.md runs, in order, in one namespace."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

DOC = ROOT / "docs" / "api-python.md"


def blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.M | re.S)


def test_the_python_api_guide_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    found = blocks()
    assert len(found) >= 10
    namespace: dict[str, object] = {}
    for number, code in enumerate(found, 1):
        exec(compile(code, f"{DOC.name} block {number}", "exec"), namespace)
