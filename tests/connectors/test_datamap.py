"""The dataset map refuses what the connectors could not act on, field by field."""

from __future__ import annotations

import pytest

from keepfaith.connectors import DatasetMap, Erasure, parse
from keepfaith.connectors.datamap import dump, read
from keepfaith.exceptions import InvalidSubmission

GOOD = {
    "key": "shop",
    "tables": [
        {
            "name": "customer",
            "columns": [
                {"name": "id", "categories": ["user.unique_id"], "primary_key": True},
                {
                    "name": "email",
                    "categories": ["user.contact.email"],
                    "identity": "email",
                    "erasure": "null",
                },
                {"name": "created", "categories": []},
            ],
        },
        {
            "name": "orders",
            "columns": [
                {
                    "name": "buyer",
                    "categories": ["user.unique_id"],
                    "references": [{"table": "customer", "column": "id"}],
                },
            ],
        },
    ],
}


def test_a_good_map_round_trips_through_yaml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    dataset_map = parse(GOOD)
    assert dataset_map.identities() == [("customer", "email", "email")]
    assert dataset_map.categories() == {"user.unique_id", "user.contact.email"}
    path = tmp_path / "shop.yaml"
    path.write_text(dump(dataset_map), encoding="utf-8")
    assert read(path) == dataset_map


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (
            {"categories": ["user.contact.emial"]},
            "tables[customer].columns[email]",
            "not a fideslang data category",
        ),
        (
            {"categories": [], "identity": "email"},
            "tables[customer].columns[email]",
            "identity column must hold a personal",
        ),
        ({"erasure": "shred"}, "tables[customer].columns[email].erasure", "Input should be"),
        ({"identity": "Email Address"}, "tables[customer].columns[email].identity", "pattern"),
    ],
)
def test_a_bad_column_is_refused_by_name_not_by_position(
    change: dict[str, object], field: str, reason: str
) -> None:
    document = {**GOOD, "tables": [dict(GOOD["tables"][0]), GOOD["tables"][1]]}  # type: ignore[index]
    columns = [dict(c) for c in document["tables"][0]["columns"]]  # type: ignore[index]
    columns[1].update(change)
    document["tables"][0]["columns"] = columns  # type: ignore[index]
    with pytest.raises(InvalidSubmission) as refused:
        parse(document, "shop.yaml")
    (where, why), *_ = refused.value.errors.items()
    assert where.startswith(f"shop.yaml: {field}") and reason in why


def test_the_same_table_twice_is_refused() -> None:
    with pytest.raises(InvalidSubmission, match="table listed twice: customer"):
        parse({**GOOD, "tables": [GOOD["tables"][0], GOOD["tables"][0]]})  # type: ignore[index]


def test_a_map_holds_no_connection_url() -> None:
    assert "url" not in DatasetMap.model_fields and "password" not in str(
        DatasetMap.model_json_schema()
    )
    with pytest.raises(InvalidSubmission, match="Extra inputs"):
        parse({**GOOD, "url": "postgresql://app:secret@db/shop"})


def test_bad_files_name_the_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.yaml"
    path.write_text("key: shop\ntables: [\n  {name: x\n", encoding="utf-8")
    with pytest.raises(InvalidSubmission) as refused:
        read(path)
    assert any(where.startswith(f"{path}:") for where in refused.value.errors)
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InvalidSubmission, match="cannot be read"):
        read(path)


def test_erasure_strategies_are_the_five_declared() -> None:
    assert {e.value for e in Erasure} == {"delete_row", "null", "mask", "hash", "keep"}


def test_a_table_names_its_retention_column_among_its_columns(tmp_path) -> None:  # type: ignore[no-untyped-def]
    customer = {**GOOD["tables"][0], "retention_column": "created"}  # type: ignore[index]
    dataset_map = parse({**GOOD, "tables": [customer]})
    path = tmp_path / "shop.yaml"
    path.write_text(dump(dataset_map))
    assert read(path).tables[0].retention_column == "created"
    with pytest.raises(InvalidSubmission, match="retention_column is not a column"):
        parse({**GOOD, "tables": [{**customer, "retention_column": "nowhere"}]})


def test_fides_export_leaves_the_retention_column_out_and_still_imports() -> None:
    from keepfaith.connectors import fides

    customer = {**GOOD["tables"][0], "retention_column": "created"}  # type: ignore[index]
    dataset_map = parse({**GOOD, "tables": [customer]})
    text = fides.dumps([dataset_map])
    assert "retention_column" not in text
    (again,) = fides.loads(text)
    assert again.tables[0].retention_column is None
    assert sorted(c.name for c in again.tables[0].columns) == ["created", "email", "id"]
