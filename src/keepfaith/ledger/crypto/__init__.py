"""The ledger's cryptography, one home each: ``keys`` (encryption at rest of sensitive
values), ``tokens`` (signed and random tokens, keyed digests) and ``passwords``
(argon2id hashing)."""

from keepfaith.ledger.crypto.keys import Keyring, generate_key

__all__ = ["Keyring", "generate_key"]
