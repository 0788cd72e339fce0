"""Consent receipts in the Kantara Consent Receipt v1.1 form."""

from __future__ import annotations

import uuid

from keepfaith.collect.consent import change
from keepfaith.collect.points import submit
from keepfaith.collect.receipts import VERSION, receipts
from keepfaith.ledger import Ledger, consents, subjects
from keepfaith.statement import Statement
from tests.collect.conftest import NOW
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
