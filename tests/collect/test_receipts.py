"""Consent receipts in the Kantara Consent Receipt v1.1 form."""

from __future__ import annotations

import uuid

import pytest

from keepfaith.collect.consent import change
from keepfaith.collect.points import submit
from keepfaith.collect.receipts import VERSION, receipts
from keepfaith.engine import compile_statement
from keepfaith.ledger import ConsentEvent, ConsentKind, ConsentMethod, Ledger, consents, subjects
from keepfaith.statement import Statement, loads
from tests.collect.conftest import NOW
from tests.conftest import EXAMPLES
from tests.ledger.support import read

POLICY = "https://privacy.acme.example/t/acme/"
REQUIRED = {
    "version",
    "jurisdiction",
    "consentTimestamp",
    "collectionMethod",
    "consentReceiptID",
    "language",
    "piiPrincipalId",
    "piiControllers",
    "policyUrl",
    "services",
    "sensitive",
    "spiCat",
}


def test_a_ticked_box_gets_a_v1_1_receipt_naming_no_personal_data(
    ledger: Ledger, statement: Statement
) -> None:
    sent = {"name": "Ann", "email": "ann@example.com", "card": "4111111111111111"}
    done = submit(ledger, statement, "signup", sent, consents={"newsletter": True}, at=NOW)
    subject = read(ledger, subjects.get, "acme", done.subject_id or 0)
    (receipt,) = receipts(statement, read(ledger, consents.history, subject), policy_url=POLICY)
    assert set(receipt) == REQUIRED
    assert receipt["version"] == VERSION == "KI-CR-v1.1.0"
    assert receipt["consentTimestamp"] == int(NOW.timestamp())
    assert receipt["piiPrincipalId"] == str(subject.id)
    uuid.UUID(receipt["consentReceiptID"])
    (controller,) = receipt["piiControllers"]
    assert controller["piiController"] == "Acme, Inc."
    assert controller["email"] == "privacy@acme.example"
    ((purpose,),) = [service["purposes"] for service in receipt["services"]]
    assert purpose["purpose"] == "Send the newsletter"
    assert purpose["consentType"] == "EXPLICIT"
    assert purpose["purposeCategory"] == ["Marketing"]
    assert purpose["piiCategory"] == ["user.contact.email", "user.name"]
    assert purpose["thirdPartyDisclosure"] is False  # the mailer is a processor
    assert receipt["sensitive"] is False and receipt["spiCat"] == []
    assert "ann@example.com" not in str(receipt)


def test_receipts_are_stable_and_withdrawals_say_so(ledger: Ledger, statement: Statement) -> None:
    sent = {"name": "Ann", "email": "ann@example.com", "card": "4111111111111111"}
    done = submit(ledger, statement, "signup", sent, consents={"newsletter": "default"})
    subject = read(ledger, subjects.get, "acme", done.subject_id or 0)
    assert receipts(statement, read(ledger, consents.history, subject), policy_url=POLICY) == []
    change(ledger, statement, subject, {"newsletter": True})
    change(ledger, statement, subject, {"newsletter": False})
    first = receipts(statement, read(ledger, consents.history, subject), policy_url=POLICY)
    again = receipts(statement, read(ledger, consents.history, subject), policy_url=POLICY)
    assert [r["consentReceiptID"] for r in first] == [r["consentReceiptID"] for r in again]
    terminations = [r["services"][0]["purposes"][0]["termination"] for r in first]
    assert terminations[0].startswith("until withdrawn")
    assert terminations[1].startswith("withdrawn on ")


AUTHORITY_WITH_A_PURPOSE = (
    "    kind: authority\n",
    "    kind: authority\n    purposes: [administer_account]\n",
)
"""Parature's authorities, also receiving data for a purpose: receipts once counted
them as a third party where the engine did not."""


@pytest.mark.parametrize(
    ("seed", "edit"),
    [(seed, None) for seed in ["digium", "estara", "eztalks", "parature", "starclicks"]]
    + [("parature", AUTHORITY_WITH_A_PURPOSE)],
)
def test_receipts_and_the_engine_agree_on_who_is_a_third_party(
    seed: str, edit: tuple[str, str] | None
) -> None:
    """A receipt says a purpose is shared with third parties exactly when the engine
    counts one of that purpose's recipients as a third party (one definition)."""
    text = (EXAMPLES / seed / "statement.yaml").read_text(encoding="utf-8")
    statement = loads(text.replace(*edit) if edit else text)
    compiled = compile_statement(statement)
    for purpose in statement.purposes:
        event = ConsentEvent(
            1, statement.id, 1, purpose.id, ConsentKind.GIVEN, ConsentMethod.EXPLICIT,
            True, {}, statement.version, NOW,
        )  # fmt: skip
        (issued,) = receipts(statement, [event], policy_url=POLICY)
        said = issued["services"][0]["purposes"][0]["thirdPartyDisclosure"]
        engine = any(
            r.third_party for r in compiled.recipients.values() if purpose.id in r.purposes
        )
        assert said == engine, (seed, purpose.id)
