"""The scanner's proposals against hand labels of every column (a regression guard).

Each database's F1 over (column, category) pairs must stay at least what it was when the
scanner was written; raise a floor when the scanner gets better, never lower one.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from keepfaith.connectors import Erasure, scan
from keepfaith.connectors.datamap import DatasetMap, parse
from tests.connectors import labels
from tests.connectors.score import proposed, score

FLOORS = {
    "pagila": 1.0,
    "chinook-sqlite": 1.0,
    "chinook-mariadb": 1.0,
    "awkward-sqlite": 0.98,  # SQLite keeps no comments: kd.f7 is explained only by one
    "awkward-postgresql": 1.0,
}


def _check(name: str, url: str, truth: labels.Labels, schema: str | None = None) -> None:
    result = scan(url, name, schema=schema)
    assert {t.name for t in result.map.tables} == set(truth), "every table is mapped"
    for table in result.map.tables:
        assert {c.name for c in table.columns} == set(truth[table.name]), table.name
    found = score(proposed(result.map), truth)
    assert found.f1 >= FLOORS[name], "\n".join(found.wrong)
    # The proposal is built without pydantic's validation: it must pass it all the same.
    assert DatasetMap.model_validate(result.map.model_dump()) == result.map
    assert parse(result.map.to_dict()) == result.map


def test_pagila_on_postgresql(pagila_url: str) -> None:
    _check("pagila", pagila_url, labels.PAGILA)


def test_chinook_on_sqlite(chinook_sqlite_url: str) -> None:
    _check("chinook-sqlite", chinook_sqlite_url, labels.CHINOOK)


def test_chinook_on_mariadb(chinook_mariadb_url: str) -> None:
    _check("chinook-mariadb", chinook_mariadb_url, labels.CHINOOK)


def test_awkward_names_on_sqlite(awkward_sqlite_url: str) -> None:
    _check("awkward-sqlite", awkward_sqlite_url, labels.AWKWARD)


def test_awkward_names_and_a_comment_on_postgresql(awkward_postgres: tuple[str, str]) -> None:
    url, schema = awkward_postgres
    _check("awkward-postgresql", url, labels.AWKWARD, schema)


def test_the_score_can_fail() -> None:
    """The guard is not vacuous: proposing nothing, or everything, scores low."""
    nothing = score({}, labels.PAGILA)
    assert nothing.f1 == 0.0 and nothing.false_negatives > 20
    everything = {
        (t, c): frozenset({"user.contact.email"}) for t, cs in labels.PAGILA.items() for c in cs
    }
    assert score(everything, labels.PAGILA).f1 < 0.2


def test_identities_edges_and_erasure_of_pagila(pagila_url: str) -> None:
    from keepfaith.connectors import edges, reach

    result = scan(pagila_url, "pagila")
    dataset_map = result.map
    assert ("customer", "email", "email") in dataset_map.identities()
    assert ("customer", "customer_id", "customer_id") in dataset_map.identities()
    customer = dataset_map.table("customer")
    assert customer is not None
    assert customer.column("email").erasure is Erasure.NULL  # type: ignore[union-attr]
    assert customer.column("first_name").erasure is Erasure.MASK  # NOT NULL  # type: ignore[union-attr]
    assert customer.column("customer_id").erasure is Erasure.KEEP  # type: ignore[union-attr]
    city = dataset_map.table("city")
    assert city is not None and city.column("city").erasure is Erasure.KEEP  # type: ignore[union-attr]
    joins = {str(edge) for edge in edges(dataset_map, result.schema)}
    # payment's foreign keys are declared on its monthly partitions only
    assert "payment.customer_id -> customer.customer_id" in joins
    assert "rental.customer_id -> customer.customer_id" in joins
    steps = {step.table: step for step in reach(dataset_map, edges(dataset_map, result.schema))}
    assert steps["payment"].owned and steps["rental"].owned
    assert not steps["address"].owned and not steps["country"].owned
    assert "payment_p2022_01" not in steps, "partitions are read through their parent"


def test_sensitive_categories_are_flagged(awkward_postgres: tuple[str, str]) -> None:
    url, schema = awkward_postgres
    dataset_map = scan(url, "awkward", schema=schema).map
    sensitive = {(t.name, c.name) for t, c in dataset_map.columns() if c.sensitive}
    assert sensitive == {("kd", "iban"), ("kd", "f7"), ("zahlung", "zahlungsmittel")}


def test_evidence_explains_in_counts(pagila_url: str) -> None:
    dataset_map = scan(pagila_url, "pagila").map
    email = dataset_map.table("customer").column("email")  # type: ignore[union-attr]
    assert email is not None and email.confidence is not None and email.confidence >= 0.9
    assert "50 of 50 sampled values are valid email addresses" in email.evidence


def test_postgresql_samples_large_tables_with_tablesample(pagila_url: str) -> None:
    from keepfaith.connectors.reflect import open_database

    engine = open_database(pagila_url)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    scan(engine, "pagila", sample_size=5)  # tables of more than 200 rows are sampled
    engine.dispose()
    assert len(statements) == 2, "one catalog query, one query of every table's sample"
    branches = statements[1].split("UNION ALL")
    assert len(branches) > 5
    sampled = [s for s in branches if "TABLESAMPLE" in s]
    assert any("FROM customer AS sampled TABLESAMPLE" in s for s in sampled), "599 rows: by pages"
    assert any("FROM country" in s and "TABLESAMPLE" not in s for s in branches)
    assert all("LIMIT" in s for s in branches)
    assert not any("rental" in s for s in branches), "no sample where names say it all"


def test_a_zero_sample_judges_by_names_alone(chinook_sqlite_url: str) -> None:
    dataset_map = scan(chinook_sqlite_url, "chinook", sample_size=0).map
    email = dataset_map.table("Customer").column("Email")  # type: ignore[union-attr]
    assert email is not None and email.categories == ("user.contact.email",)
    assert not any("sampled" in line for _, c in dataset_map.columns() for line in c.evidence)


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("BillingPostalCode", "user.contact.address.postal_code"),
        ("kd_eml", "user.contact.email"),
        ("geburtsdatum", "user.demographic.date_of_birth"),
        ("Straße", "user.contact.address.street"),
        ("festnetzTelefon", "user.contact.phone_number"),
        ("courriel", "user.contact.email"),
        ("fecha_de_nacimiento", "user.demographic.date_of_birth"),
        ("last_update", ""),
        ("HireDate", ""),
    ],
)
def test_names_in_abbreviations_and_other_languages(name: str, category: str) -> None:
    from keepfaith.connectors.lexicon import meanings

    assert meanings(name)[0].category == category
