"""``keepfaith.__all__`` names exactly the public members of the package (as httpx does)."""

from __future__ import annotations

import types

import keepfaith


def test_all_names_exist() -> None:
    missing = [name for name in keepfaith.__all__ if not hasattr(keepfaith, name)]
    assert missing == []


def test_every_public_member_is_exported() -> None:
    public = {
        name
        for name, value in vars(keepfaith).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(keepfaith.__all__) - {"__version__"}
