"""Disclosures to declared recipients: the engine decides, this module projects and records.

What goes out is projected to the categories the recipient may receive (minimum
necessary): a category asked for that the recipient is not declared to receive is
dropped, never sent, and the drop is written in the disclosure's record. The record
names the recipient, categories, purpose, basis, the clauses that decided, the statement
version, the country and the mechanism of a transfer, all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from keepfaith.engine import Decision, Engine
from keepfaith.exceptions import InvalidSubmission
from keepfaith.ledger import Disclosure, Subject, Transaction, disclosures, statements, subjects


@dataclass(frozen=True)
class Disclosed:
    """What a disclosure did: the decision, the record (None if refused), what may be sent
    (``payload``, only the recipient's categories) and the categories ``dropped``."""

    decision: Decision
    record: Disclosure | None
    payload: dict[str, Any] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


def disclose(
    tx: Transaction,
    engine: Engine,
    subject: Subject,
    recipient: str,
    purpose: str,
    data: Mapping[str, Any] | Iterable[str],
    *,
    country: str | None = None,
    reference: str | None = None,
) -> Disclosed:
    """Disclose ``data`` (category to value, or categories) of ``subject`` to ``recipient``.

    Categories the recipient may not receive are dropped before the engine is asked;
    the rest go only if the engine allows them (and the transfer to ``country``). The
    answer says what may be sent; nothing is recorded when refused.
    """
    subject = subjects.get(tx, subject.tenant, subject.id)
    if isinstance(data, str | bytes):
        raise InvalidSubmission({"categories": "a list of data categories, not one string"})
    values = dict(data) if isinstance(data, Mapping) else dict.fromkeys(data)
    if not values or not all(isinstance(k, str) and 0 < len(k) <= 128 for k in values):
        raise InvalidSubmission({"categories": "name at least one data category"})
    compiled = engine.compiled(subject.tenant, subject.statement_version)
    declared = compiled.recipients.get(recipient)
    if declared is None:  # the engine refuses an undeclared recipient, naming its clauses
        decision = engine.may_disclose(subject, recipient, purpose, list(values), tx=tx)
        return Disclosed(_refused(decision), None, dropped=tuple(values))
    kept = [c for c in values if c in declared.categories]
    dropped = tuple(c for c in values if c not in declared.categories)
    if not kept:
        decision = Decision(
            False, f"{recipient} may receive none of these categories", declared.clauses
        )
        return Disclosed(decision, None, dropped=dropped)
    where = checked_country(country)
    decision = engine.may_disclose(subject, recipient, purpose, kept, country=where, tx=tx)
    if not decision.allowed:
        return Disclosed(decision, None, dropped=dropped)
    mechanism = (
        engine.transfer_mechanism(subject, where, recipient, tx=tx) if where is not None else None
    )
    record = disclosures.record(
        tx,
        subject.tenant,
        subject,
        recipient,
        kept,
        declared.basis.value,
        purpose=purpose,
        country=where,
        reference=reference,
        clauses=decision.clauses,
        statement_version=subject.statement_version,
        dropped=dropped,
        mechanism=mechanism,
    )
    return Disclosed(decision, record, {c: values[c] for c in kept}, dropped)


def _refused(decision: Decision) -> Decision:
    if decision.allowed:  # never: an undeclared recipient receives nothing
        return Decision(False, "the recipient is not declared", decision.clauses)
    return decision


def checked_country(country: object) -> str | None:
    """An ISO country code (``US``, ``US-CA``), upper case; ``InvalidSubmission`` if not."""
    if country is None:
        return None
    text = country.strip().upper() if isinstance(country, str) else ""
    head, _, region = text.partition("-")
    if not (len(head) == 2 and head.isascii() and head.isalpha()) or len(region) > 3:
        raise InvalidSubmission({"country": "must be an ISO country code, such as US or DE"})
    if region and not (region.isascii() and region.isalnum()):
        raise InvalidSubmission({"country": "must be an ISO country code, such as US or DE"})
    return text


def disclose_anonymous(
    tx: Transaction,
    engine: Engine,
    tenant: str,
    recipient: str,
    categories: Iterable[str],
    *,
    reference: str | None = None,
) -> Decision:
    """Disclose anonymous data (PA-20) where the statement allows it; logged with no subject."""
    decision = engine.may_disclose_anonymous(tenant)
    if decision.allowed:
        disclosures.record(
            tx,
            tenant,
            None,
            recipient,
            list(categories),
            "anonymous",
            reference=reference,
            anonymous=True,
            clauses=decision.clauses,
            statement_version=statements.current_version(tx, tenant),
        )
    return decision
