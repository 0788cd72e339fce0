"""Statements that change without a choice: existing people move as the statement says.

Star-Clicks changes without prior notice (SC-10); Digium and eztalks post the change and
take continued use as acceptance (DG-15, EZ-20). Tried as a new user would be, an
existing customer used to stay under the old version forever, and a recipient the new
version adds was refused as "not declared"; now they move at publication.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

import keepfaith
from keepfaith.changes import publish
from keepfaith.ledger import Status, allowances, records, subjects
from keepfaith.ledger import changes as pending
from tests.changes.conftest import loaded, new_version
from tests.conftest import EXAMPLES
from tests.messaging.conftest import World

Mail = Callable[..., World]
EMAIL = "user.contact.email"
SEEDS = {"starclicks": "customer", "digium": "registered_user", "eztalks": "user"}


def recipient(purpose: str) -> str:
    return (
        "recipients:\n"
        "  - id: mailing_house\n"
        "    name: Our mailing house\n"
        "    kind: processor\n"
        "    categories: [user.contact.email]\n"
        f"    purposes: [{purpose}]\n"
        "    basis: required\n"
        "    under_contract: true\n"
    )


def email_purpose(name: str) -> str:
    """A purpose the registration form states for the address it collects."""
    statement = keepfaith.load(EXAMPLES / name / "statement.yaml")
    point = next(p for p in statement.collection_points if p.id == "registration")
    by_id = {p.id: p for p in statement.purposes}
    return next(p for p in point.purposes if EMAIL in by_id[p].categories)


def with_recipient(name: str, version: str, purpose: str) -> str:
    text = new_version(name, version)
    assert text.count("\nrecipients:\n") == 1
    return text.replace("\nrecipients:\n", "\n" + recipient(purpose), 1)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_existing_people_move_at_publication_and_a_new_recipient_is_allowed_for_them(
    mail: Mail, name: str
) -> None:
    world = mail(name)
    purpose = email_purpose(name)
    with world.ledger.transaction() as tx:
        ann = subjects.add(tx, name, SEEDS[name])
        records.add(tx, ann, EMAIL, "ann@example.org", collection_point="registration")
        gone = subjects.add(tx, name, SEEDS[name])
        subjects.set_status(tx, gone, Status.DELETED)
    before = world.engine.may(ann, purpose, EMAIL, "mailing_house")
    assert not before.allowed and "not declared" in before.reason
    text = with_recipient(name, "2099-01", purpose)
    with world.ledger.transaction(actor="dpo") as tx:
        done = publish.publish(tx, loaded(text), text)
    after = world.engine.may(ann, purpose, EMAIL, "mailing_house")
    assert after.allowed, after.reason
    with world.ledger.reading() as tx:
        assert subjects.get(tx, name, ann.id).statement_version == "2099-01"
        assert subjects.get(tx, name, gone.id).statement_version != "2099-01"
        assert pending.counts(tx, done.id) == {}, "nobody waits: nobody is asked"
    world.work()
    assert world.sink.received == []


def test_a_non_material_change_moves_everyone_even_under_an_email_rule(mail: Mail) -> None:
    world = mail("parature")
    with world.ledger.transaction() as tx:
        ann = subjects.add(tx, "parature", "customer")
    text = new_version("parature", "2010-b", new_use=False)
    with world.ledger.transaction(actor="dpo") as tx:
        done = publish.publish(tx, loaded(text), text)
        assert done.material == 0
        assert subjects.get(tx, "parature", ann.id).statement_version == "2010-b"


def test_the_move_keeps_the_allowances_as_a_rebuild_makes_them(mail: Mail) -> None:
    """``move`` re-points the allowances a profile at a time, reading nobody's snapshot:
    the rows must be those a rebuild from the records gives, and the new recipient's
    audience what ``may()`` says, person by person."""
    name = "starclicks"
    world = mail(name)
    purpose = email_purpose(name)
    people = []
    with world.ledger.transaction() as tx:
        for n in range(6):
            someone = subjects.add(tx, name, SEEDS[name])
            if n % 2:
                address = f"p{n}@example.org"
                records.add(tx, someone, EMAIL, address, collection_point="registration")
            if n == 5:
                subjects.set_status(tx, someone, Status.DEACTIVATED)
            people.append(someone)
    text = with_recipient(name, "2099-01", purpose)
    with world.ledger.transaction(actor="dpo") as tx:
        publish.publish(tx, loaded(text), text)

    def rows() -> dict[int, str]:
        with world.ledger.reading() as tx:
            a, p = allowances.allowances, allowances.allowance_profiles
            query = sa.select(a.c.subject_id, p.c.facts).join(p, p.c.id == a.c.profile_id)
            return {int(i): facts for i, facts in tx.connection.execute(query)}

    moved = rows()
    assert all('"version":"2099-01"' in facts for facts in moved.values())
    with world.ledger.reading() as tx:
        query = world.engine.audience(name, purpose, EMAIL, "mailing_house")
        chosen = {int(i) for i in tx.connection.execute(query).scalars()}
    for someone in people:
        allowed = world.engine.may(someone, purpose, EMAIL, "mailing_house").allowed
        assert (someone.id in chosen) == allowed, someone.id
    assert chosen, "the new recipient's audience is not empty"
    allowances.rebuild(world.ledger, name)
    assert rows() == moved
