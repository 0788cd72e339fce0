"""Staff access works inside units of work: every grant, session and token is audited,
on the ledger's clock, and no audit entry carries a password, token or email."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from keepfaith.exceptions import InvalidSubmission, NotFound, NotSignedIn
from keepfaith.ledger import Ledger, staff
from keepfaith.ledger.crypto import passwords
from tests.ledger.support import Clock, read, write

PASSWORD = "correct horse battery"


def test_grants_sessions_and_tokens_are_audited_without_secrets(
    ledger: Ledger, clock: Clock
) -> None:
    before = len(ledger.audit_entries())
    with ledger.transaction(actor="cli") as tx:
        user = staff.create_user(tx, "Owner@Example.com", PASSWORD, "owner", tenant="acme")
    with ledger.transaction(actor="web") as tx:
        session = staff.start_session(tx, staff.authenticate(tx, "owner@example.com", PASSWORD),
                                      dt.timedelta(hours=1))  # fmt: skip
    token = write(ledger, staff.create_token, "crm", "auditor")
    token_id = read(ledger, staff.token_principal, token)
    assert token_id is not None
    write(ledger, staff.revoke_token, token_id.id)
    write(ledger, staff.end_session, session)
    trail = ledger.audit_entries()[before:]
    assert [(e.action, e.object) for e in trail] == [
        ("add", "staff_user"),
        ("start", "staff_session"),
        ("add", "api_token"),
        ("revoke", "api_token"),
        ("end", "staff_session"),
    ]
    assert trail[0].object_id == str(user.id) and trail[0].tenant == "acme"
    assert {e.at for e in trail} == {clock.now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    for entry in trail:
        for secret in (PASSWORD, "owner@example.com", session, token):
            assert secret not in entry.details and secret != entry.object_id


def test_a_session_ends_by_the_ledger_clock(ledger: Ledger, clock: Clock) -> None:
    user = write(ledger, staff.create_user, "a@example.com", PASSWORD, "auditor")
    session = write(ledger, staff.start_session, user, dt.timedelta(minutes=10))
    assert read(ledger, staff.session_user, session) == user
    clock.advance(minutes=10)
    assert read(ledger, staff.session_user, session) is None


def test_wrong_credentials_are_one_answer(ledger: Ledger) -> None:
    write(ledger, staff.create_user, "a@example.com", PASSWORD, "auditor")
    for email, password in [("a@example.com", "wrong password!"), ("b@example.com", PASSWORD)]:
        with pytest.raises(NotSignedIn, match=r"^wrong email or password$"):
            read(ledger, staff.authenticate, email, password)


def test_bad_grants_are_refused_by_field(ledger: Ledger) -> None:
    with pytest.raises(InvalidSubmission) as refused:
        write(ledger, staff.create_user, "nobody", "short", "owner", tenant="Not A Tenant")
    assert set(refused.value.errors) == {"tenant"}
    with pytest.raises(InvalidSubmission) as refused:
        write(ledger, staff.create_user, "nobody", "short", "owner")
    assert set(refused.value.errors) == {"email", "password"}
    with pytest.raises(NotFound):
        write(ledger, staff.revoke_token, 12345)


def test_one_hasher_for_staff_and_people_and_the_stand_in_is_lazy() -> None:
    # Importing everything computes no hash: the stand-in for unknown logins is made on
    # first use (argon2 takes tens of milliseconds, which every CLI command would pay).
    probe = (
        "import keepfaith.cli, keepfaith.web.app, keepfaith.collect.accounts;"
        "from keepfaith.ledger.crypto import passwords;"
        "print(passwords._stand_in.cache_info().currsize)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "0", done.stderr
    stored = passwords.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, PASSWORD)
    assert not passwords.verify(stored, "something else")
    assert not passwords.verify(None, PASSWORD)
