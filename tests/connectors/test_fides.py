"""Fides dataset YAML in and out: a team with a Fides map brings it along."""

from __future__ import annotations

import pytest
from fideslang.models import Dataset
from ruamel.yaml import YAML

from keepfaith.connectors import Erasure, edges, fides, scan
from keepfaith.exceptions import InvalidSubmission

FIDES = """
dataset:
  - fides_key: shop_db
    name: Shop database
    collections:
      - name: customer
        fields:
          - name: id
            data_categories: [user.unique_id]
            fides_meta:
              primary_key: True
          - name: email
            data_categories: [user.contact.email]
            fides_meta:
              identity: email
              data_type: string
          - name: name
            data_categories: [user.name]
            fides_meta:
              masking_strategy_override:
                strategy: string_rewrite
                configuration: {rewrite_value: redacted}
          - name: created
            data_categories: [system.operations]
      - name: orders
        fields:
          - name: customer_id
            data_categories: [user.unique_id]
            fides_meta:
              references:
                - dataset: shop_db
                  field: customer.id
                  direction: from
          - name: id
            data_categories: [system.operations]
      - name: login
        fides_meta:
          masking_strategy_override: {strategy: delete}
        fields:
          - name: customer_id
            data_categories: [user.unique_id]
          - name: ip
            data_categories: [user.device.ip_address]
"""


def test_a_fides_dataset_becomes_a_map() -> None:
    (dataset_map,) = fides.loads(FIDES)
    assert dataset_map.key == "shop_db" and dataset_map.name == "Shop database"
    customer = dataset_map.table("customer")
    assert customer is not None
    assert customer.column("email").identity == "email"  # type: ignore[union-attr]
    assert customer.column("email").erasure is Erasure.NULL  # Fides' default  # type: ignore[union-attr]
    assert customer.column("name").erasure is Erasure.MASK  # type: ignore[union-attr]
    assert customer.column("created").categories == ()  # type: ignore[union-attr]
    assert dataset_map.table("login").column("ip").erasure is Erasure.DELETE_ROW  # type: ignore[union-attr]
    joins = {str(edge) for edge in edges(dataset_map)}
    assert joins == {"orders.customer_id -> customer.id"}
    assert all(column.reviewed for _, column in dataset_map.columns())


def test_export_is_fides_and_imports_back_the_same() -> None:
    (dataset_map,) = fides.loads(FIDES)
    text = fides.dumps([dataset_map], {dataset_map.key: edges(dataset_map)})
    document = YAML(typ="safe").load(text)
    Dataset.model_validate(document["dataset"][0])
    orders = next(c for c in document["dataset"][0]["collections"] if c["name"] == "orders")
    reference = orders["fields"][0]["fides_meta"]["references"][0]
    assert reference == {"dataset": "shop_db", "field": "customer.id", "direction": "from"}
    (again,) = fides.loads(text)
    assert again == dataset_map


def test_a_scanned_map_exports_with_its_foreign_keys(pagila_url: str) -> None:
    result = scan(pagila_url, "pagila")
    text = fides.dumps([result.map], {"pagila": edges(result.map, result.schema)})
    dataset = Dataset.model_validate(YAML(typ="safe").load(text)["dataset"][0])
    rental = next(c for c in dataset.collections if c.name == "rental")
    customer_id = next(f for f in rental.fields if f.name == "customer_id")
    assert customer_id.fides_meta is not None and customer_id.fides_meta.references is not None
    (reference,) = customer_id.fides_meta.references
    assert reference.field == "customer.customer_id" and reference.direction.value == "from"  # type: ignore[union-attr]
    address = next(c for c in dataset.collections if c.name == "customer")
    address_id = next(f for f in address.fields if f.name == "address_id")
    assert address_id.fides_meta.references[0].direction.value == "to"  # type: ignore[union-attr,index]


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        (
            "dataset: [{fides_key: x, collections: [{name: t, fields: "
            "[{name: c, data_categories: [user.nope]}]}]}]",
            "<fides>",
            "not a fideslang data category",
        ),
        ("dataset: [{collections: []}]", "<fides>: dataset[0].fides_key", "Field required"),
        (
            "dataset: [{fides_key: x, collections: [{name: t, fields: "
            "[{name: c, fields: [{name: d}]}]}]}]",
            "<fides>: t.c",
            "nested fields",
        ),
        ("collections: []", "<fides>", "top-level 'dataset'"),
        ("dataset: [\n  {", "<fides>:", "not valid YAML"),
    ],
)
def test_bad_fides_files_are_refused_with_the_place(text: str, where: str, reason: str) -> None:
    with pytest.raises(InvalidSubmission) as refused:
        fides.loads(text)
    ((found, why),) = refused.value.errors.items()
    assert found.startswith(where) and reason in why
