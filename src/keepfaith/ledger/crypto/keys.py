"""Encryption at rest of sensitive values (payment cards and the like), with AES-GCM.

Keys come from settings (``encryption_keys``: key id -> base64 of 32 random bytes;
``active_key_id`` encrypts new values). Each stored value keeps the id of its key, so old
keys can still decrypt while ``keepfaith keys rotate`` re-encrypts everything under the
active one. The tenant and category are bound to the ciphertext as associated data: a
value copied into another row's category does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keepfaith.exceptions import ConfigurationError, IntegrityError

if TYPE_CHECKING:
    from keepfaith.settings import Settings

NONCE_BYTES = 12


def generate_key() -> str:
    """A new random key, base64 encoded, for ``Settings.encryption_keys``."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


class Keyring:
    """The keys a deployment encrypts sensitive values with."""

    def __init__(self, keys: Mapping[str, str | bytes], active_key_id: str | None = None) -> None:
        self._ciphers = {key_id: AESGCM(_key_bytes(key_id, key)) for key_id, key in keys.items()}
        if active_key_id is None and len(self._ciphers) == 1:
            active_key_id = next(iter(self._ciphers))
        if active_key_id is not None and active_key_id not in self._ciphers:
            raise ConfigurationError(f"active_key_id {active_key_id!r} is not in encryption_keys")
        self.active_key_id = active_key_id

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring | None:
        """The keyring the settings describe, or ``None`` when no key is configured."""
        if not settings.encryption_keys:
            return None
        return cls(settings.encryption_keys, settings.active_key_id)

    def encrypt(self, plaintext: str, context: str) -> tuple[str, str]:
        """Encrypt under the active key; return ``(key_id, token)``."""
        if self.active_key_id is None:
            raise ConfigurationError("no active_key_id: set it to one of encryption_keys")
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.active_key_id].encrypt(
            nonce, plaintext.encode("utf-8"), context.encode("utf-8")
        )
        return self.active_key_id, base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, key_id: str, token: str, context: str) -> str:
        """Decrypt a token written by ``encrypt`` with the same context."""
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise ConfigurationError(f"encryption key {key_id!r} is not configured")
        raw = base64.b64decode(token)
        try:
            plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode("utf-8"))
        except InvalidTag:
            raise IntegrityError("an encrypted value does not match its key or row") from None
        return plain.decode("utf-8")


def _key_bytes(key_id: str, key: str | bytes) -> bytes:
    if isinstance(key, str):
        try:
            key = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            raise ConfigurationError(f"encryption key {key_id!r} is not base64") from None
    if len(key) != 32:
        raise ConfigurationError(f"encryption key {key_id!r} must be 32 bytes (AES-256)")
    return key
