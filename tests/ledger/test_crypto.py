"""Sensitive values are encrypted at rest with AES-GCM, under a key id, and rotate."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from keepfaith.cli import app
from keepfaith.exceptions import ConfigurationError, IntegrityError
from keepfaith.ledger import Keyring, Ledger, generate_key, records, subjects
from keepfaith.ledger.records import records as stored
from keepfaith.settings import Settings
from tests.ledger.support import AUDIT_KEY, KEY, open_ledger, read, stored_bytes

CARD = "4111111111111111"


def test_no_plaintext_of_a_sensitive_value_is_stored(ledger: Ledger, database_kind: str) -> None:
    with ledger.transaction() as tx:
        subject = subjects.add(tx, "acme", "customer")
        records.add(tx, subject, "user.financial.credit_card", CARD, collection_point="signup")
        records.add(tx, subject, "user.name", "Plain Name", collection_point="signup")
    [card] = read(ledger, records.of, subject, ["user.financial.credit_card"])
    assert card.value == CARD
    raw = stored_bytes(ledger, database_kind)
    assert CARD.encode() not in raw
    assert b"Plain Name" in raw  # the check would see a plaintext value


def test_sensitive_value_refused_without_a_key(database_url: str) -> None:
    ledger, _ = open_ledger(database_url)
    with ledger.transaction() as tx:
        subject = subjects.add(tx, "acme", "customer")
        records.add(tx, subject, "user.name", "Ann", collection_point="signup")
        with pytest.raises(ConfigurationError, match="encryption keys"):
            records.add(tx, subject, "user.financial.credit_card", CARD, collection_point="signup")
    ledger.close()


def test_a_value_moved_to_another_row_does_not_decrypt(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        subject = subjects.add(tx, "acme", "customer")
        card = records.add(
            tx, subject, "user.financial.credit_card", CARD, collection_point="signup"
        )
        name = records.add(tx, subject, "user.name", "Ann", collection_point="signup")
        sealed = tx.connection.execute(
            sa.select(stored.c.value, stored.c.key_id).where(stored.c.id == card.id)
        ).one()
        tx.connection.execute(
            stored.update()
            .where(stored.c.id == name.id)
            .values(value=sealed.value, key_id=sealed.key_id)
        )
    with pytest.raises(IntegrityError):
        read(ledger, records.of, subject, ["user.name"])


def test_rotation_reencrypts_under_the_active_key(database_url: str, tmp_path: Path) -> None:
    ledger, _ = open_ledger(database_url, keys=Keyring({"old": KEY}))
    with ledger.transaction() as tx:
        subject = subjects.add(tx, "acme", "customer")
        records.add(tx, subject, "user.financial.credit_card", CARD, collection_point="signup")
    ledger.close()
    new = generate_key()
    settings = {"old": KEY, "new": new}
    env = {
        "KEEPFAITH_ENCRYPTION_KEYS": __import__("json").dumps(settings),
        "KEEPFAITH_ACTIVE_KEY_ID": "new",
        "KEEPFAITH_DATABASE_URL": database_url,
        "KEEPFAITH_AUDIT_KEY": AUDIT_KEY,
    }
    result = CliRunner().invoke(app, ["keys", "rotate"], env=env)
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 values" in result.output
    rotated = Ledger.from_settings(
        Settings(
            encryption_keys={"new": new},
            active_key_id="new",
            database_url=database_url,
            audit_key=AUDIT_KEY,
        )
    )
    with rotated.engine.connect() as connection:
        assert connection.execute(sa.select(stored.c.key_id)).scalars().all() == ["new"]
    assert [r.value for r in read(rotated, records.of, subject)] == [CARD]
    assert rotated.verify_audit() > 0
    rotated.close()


@pytest.mark.parametrize(
    ("keys", "active", "message"),
    [
        ({"a": "not base64!"}, None, "not base64"),
        ({"a": base64.b64encode(b"short").decode()}, None, "32 bytes"),
        ({"a": KEY}, "b", "not in encryption_keys"),
    ],
)
def test_bad_keys_are_configuration_errors(
    keys: dict[str, str], active: str | None, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Keyring(keys, active)


def test_no_keys_in_settings_means_no_keyring() -> None:
    assert Keyring.from_settings(Settings()) is None
    assert Keyring.from_settings(Settings(encryption_keys={"a": KEY})) is not None
