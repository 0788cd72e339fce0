"""The outbox: every message leaves through it, and only after the engine allowed it.

Two functions queue a message, each inside the caller's unit of work:

- ``queue(tx, subject, purpose, template, context=...)``: a message to a person the
  ledger knows. The engine decides now, for that person, whether their email address
  may serve ``purpose``; the outbox row, with the decision and its clauses, and the job
  that sends it are written in ``tx``, so they commit together or not at all.
- ``send_to_address(tx, tenant, address, purpose, template, context=...)``: a
  transactional message to an address given in a request (a verification code for an
  address not yet tied to anyone). The engine decides for a person known only by that
  address and purpose: a purpose that needs consent (``opt_in``) or is marketing cannot
  reach an address this way.

Just before a message is sent the decision is taken again (``keepfaith.messaging.delivery``):
a withdrawal, an unsubscribe or a bounce in between wins. ``context`` holds the values
the template needs besides keepfaith's own (a code, a link): JSON, kept until the message
is sent and then cleared.

A message is written in the person's language: the template's variant in it
(``notice_de``, see ``templates.localised``) is chosen when the message is sent, from the
language stored on the subject (the page they last used), else the ``language`` given
here (a message to an address: the page or request it answers), else the tenant's first
language; English where there is no variant.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Mapping
from typing import Any

from keepfaith import jobs
from keepfaith.engine import Decision, Engine, SubjectState
from keepfaith.exceptions import NotFound, Refused
from keepfaith.ledger import Ledger, Subject, Transaction, statements, subjects
from keepfaith.ledger import messages as rows
from keepfaith.ledger.messages import Message
from keepfaith.messaging.addresses import checked
from keepfaith.messaging.templates import RESERVED
from keepfaith.statement import Statement
from keepfaith.statement.schema import Purpose

EMAIL = "user.contact.email"
"""The category a message uses: the address it is sent to."""
NAME = "user.name"
"""The category of the name a template may greet the person by."""
SEND = "messaging.send"
"""The task that sends queued messages (``keepfaith.messaging.delivery``)."""

_engines: weakref.WeakKeyDictionary[Ledger, Engine] = weakref.WeakKeyDictionary()


def engine_for(ledger: Ledger) -> Engine:
    """The engine the outbox asks for this ledger (compiling statements from it, once)."""
    engine = _engines.get(ledger)
    if engine is None:
        engine = _engines[ledger] = Engine(ledger)
    return engine


def queue(
    tx: Transaction,
    subject: Subject,
    purpose: str,
    template: str,
    *,
    context: Mapping[str, Any] | None = None,
    engine: Engine | None = None,
    language: str | None = None,
) -> Message:
    """Queue a message of ``purpose`` to ``subject``, if the engine allows it now.

    Raises ``NotAllowed`` (with the clauses) when it does not, ``NotFound`` for a subject
    of another tenant, ``Refused`` for context that is not JSON. Returns the outbox row;
    the message is sent by a job that commits with ``tx``.
    """
    engine = engine or engine_for(tx.ledger)
    state = engine.state(subject.id, tx, tenant=subject.tenant)
    statement = statements.get(tx, state.tenant, state.version)
    declared = _purpose(statement, purpose)
    decision = engine.decide(state, purpose, EMAIL).require()
    message = rows.add(
        tx,
        tenant=state.tenant,
        subject_id=subject.id,
        purpose=purpose,
        template=_template(template),
        statement_version=state.version,
        promotional=declared.marketing,
        context=_context(context),
        reason=decision.reason,
        clauses=list(decision.clauses),
        language=_language(statement, language),
    )
    jobs.defer(tx, SEND, messages=[message.id])
    return message


def send_to_address(
    tx: Transaction,
    tenant: str,
    address: str,
    purpose: str,
    template: str,
    *,
    context: Mapping[str, Any] | None = None,
    engine: Engine | None = None,
    language: str | None = None,
) -> Message:
    """Queue a transactional message of ``purpose`` to ``address`` (no subject needed),
    written in ``language`` where it is one the statement declares.

    ``InvalidSubmission`` (field ``to``) for an address that is not one; ``NotAllowed``
    when the engine refuses the purpose for someone known only by an address they gave;
    ``Refused`` for a marketing purpose, which reaches only people who chose it.
    """
    engine = engine or engine_for(tx.ledger)
    to = checked(address)
    statement = statements.get(tx, tenant)
    declared = _purpose(statement, purpose)
    decision = decide_for_address(engine, statement, declared).require()
    message = rows.add(
        tx,
        tenant=tenant,
        subject_id=None,
        purpose=purpose,
        template=_template(template),
        statement_version=statement.version,
        promotional=False,
        to_address=to,
        context=_context(context),
        reason=decision.reason,
        clauses=list(decision.clauses),
        language=_language(statement, language),
    )
    jobs.defer(tx, SEND, messages=[message.id])
    return message


def decide_for_address(engine: Engine, statement: Statement, purpose: Purpose) -> Decision:
    """The engine's answer for an address given for ``purpose`` by someone it does not
    know: as for a new person with no records, no consent and no signal."""
    if purpose.marketing:
        raise Refused(
            f"{purpose.id} is marketing: it reaches only people who chose it (queue it to "
            "a subject)"
        )
    stranger = SubjectState(tenant=statement.id, version=statement.version, kind="")
    return engine.decide(stranger, purpose.id, EMAIL)


def _purpose(statement: Statement, purpose: str) -> Purpose:
    for declared in statement.purposes:
        if declared.id == purpose:
            return declared
    raise NotFound(f"{statement.id} {statement.version} declares no purpose {purpose!r}")


def _language(statement: Statement, language: str | None) -> str | None:
    """The statement's language ``language`` names; ``None`` for none or any other."""
    return None if language is None else subjects.spoken(statement, language)


def _template(name: str) -> str:
    if not isinstance(name, str) or not name or len(name) > 128 or "/" in name or "\\" in name:
        raise Refused("a template is named by a plain name (newsletter, verification)")
    if name.startswith(("_", ".")):
        raise Refused(f"{name!r} is not a message template")
    return name


def _context(context: Mapping[str, Any] | None) -> dict[str, Any]:
    values = dict(context or {})
    clash = sorted(RESERVED & values.keys())
    if clash:
        raise Refused(f"the context may not set {', '.join(clash)}: keepfaith sets them")
    try:
        json.dumps(values, allow_nan=False)
    except (TypeError, ValueError):
        raise Refused("the context of a message must be JSON values") from None
    return values
