"""Decisions that are not "may we use this data?" but still the statement's to make.

Which rights a person has where they are, and how long answering may take; whether
their data may go to a country abroad, and on which safeguard; whether a record may
still be held, from the real start of its retention period. Each is a pure function of
the compiled statement and what the caller knows, and answers with a ``Decision``
naming the clauses that decided it, like every other answer of the engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from keepfaith.engine.compile import CompiledStatement, merge
from keepfaith.engine.decision import Decision
from keepfaith.engine.rules import refuse
from keepfaith.statement.schema import (
    RetentionRule,
    RetentionStart,
    RightKind,
    TransferFlow,
    TransferMechanism,
)


def request(
    compiled: CompiledStatement,
    kind: RightKind | str,
    jurisdiction: str | None,
    *,
    made_before: int = 0,
) -> Decision:
    """May a person in ``jurisdiction`` make a request of ``kind``, and on which terms?

    ``made_before`` is how many requests the person made within the quota window; past
    the free quota the request is still allowed, with a fee the statement permits.
    """
    kind = RightKind(kind)
    s = compiled.statement
    rights = s.rights
    found = [r for r in rights.requests if r.kind is kind]
    applies = [r for r in found if not r.jurisdictions or jurisdiction in r.jurisdictions]
    if not applies:
        where = f" for people in {jurisdiction}" if jurisdiction and found else ""
        return refuse(f"the statement gives no right to {kind.value}{where}", rights.clauses)
    right = applies[0]
    place = next((j for j in s.jurisdictions if j.id == jurisdiction), None)
    days = right.response_days or (place.response_days if place else None) or rights.response_days
    terms = [f"answered within {days} days" if days else "no deadline is promised"]
    if days and rights.extension_days:
        terms.append(f"extendable by {rights.extension_days} days, with the reason")
    if rights.free_requests is not None and made_before >= rights.free_requests:
        terms.append(f"beyond {rights.free_requests} free requests in {rights.quota_days} days")
    if rights.agents:
        terms.append("an authorised agent may make it")
    obligations: tuple[str, ...] = ()
    if kind is RightKind.DELETE and rights.deletion_reaches_recipients:
        obligations = ("pass the deletion on to every recipient that received the data",)
    clauses = merge(rights.clauses, right.clauses, place.clauses if place else ())
    return Decision(True, f"right to {kind.value}: " + "; ".join(terms), clauses, obligations)


def transfer(
    compiled: CompiledStatement, recipient: str | None, country: str, jurisdiction: str | None
) -> Decision:
    """May data of a person in ``jurisdiction`` go to ``country`` (for ``recipient``)?

    Where the person's jurisdiction needs a safeguard for transfers (the EEA, the UK),
    only a declared ``transfers.flows`` entry covering the recipient, the country and
    the person's jurisdiction allows it, and the answer names its mechanism. Elsewhere a
    country the statement declares (in ``transfers`` or on the recipient) is enough.
    """
    s = compiled.statement
    country = country.strip().upper()
    place = next((j for j in s.jurisdictions if j.id == jurisdiction), None)
    transfers = s.transfers
    home = set(place.regions) if place else set()
    if country in home or country.split("-")[0] in home:
        return Decision(True, f"{country} is within {place.name if place else ''}", ())
    for flow in transfers.flows if transfers else ():
        if (
            country in flow.to
            and (not flow.recipients or recipient in flow.recipients)
            and (not flow.jurisdictions or jurisdiction in flow.jurisdictions)
        ):
            return Decision(True, f"transfer to {country} under {_mechanism(flow)}", flow.clauses)
    clauses = transfers.clauses if transfers else ()
    if place is not None and place.transfers_need_safeguard:
        return refuse(
            f"no declared safeguard for transfers from {place.name} to {country}",
            clauses,
            place.clauses,
        )
    if transfers is None or not (transfers.countries or transfers.flows):
        return Decision(True, "the statement restricts no transfers abroad", ())
    declared = set(transfers.countries)
    r = (
        s.recipient(recipient)
        if recipient is not None and recipient in compiled.recipients
        else None
    )
    if r is not None:
        declared |= set(r.countries)
    if country in declared:
        return Decision(True, f"{country} is a declared destination", clauses)
    return refuse(f"no transfer to {country} is declared", clauses)


def mechanism(
    compiled: CompiledStatement, recipient: str | None, country: str, jurisdiction: str | None
) -> str | None:
    """The safeguard an allowed transfer to ``country`` rests on, in words (None at home):
    the ``transfers.flows`` entry that covers it, else the recipient's own mechanism, else
    the statement's ``transfers.mechanism``."""
    s = compiled.statement
    country = country.strip().upper()
    place = next((j for j in s.jurisdictions if j.id == jurisdiction), None)
    home = set(place.regions) if place else set()
    if country in home or country.split("-")[0] in home:
        return None
    transfers = s.transfers
    for flow in transfers.flows if transfers else ():
        if (
            country in flow.to
            and (not flow.recipients or recipient in flow.recipients)
            and (not flow.jurisdictions or jurisdiction in flow.jurisdictions)
        ):
            return _mechanism(flow)
    r = (
        s.recipient(recipient)
        if recipient is not None and recipient in compiled.recipients
        else None
    )
    if r is not None and r.mechanism is not None:
        return _words(r.mechanism, r.framework)
    return transfers.mechanism if transfers else None


def _mechanism(flow: TransferFlow) -> str:
    return _words(flow.mechanism, flow.framework)


def _words(mechanism: TransferMechanism, framework: str | None) -> str:
    words = {
        TransferMechanism.ADEQUACY: "an adequacy decision",
        TransferMechanism.SCCS: "standard contractual clauses",
        TransferMechanism.BCRS: "binding corporate rules",
        TransferMechanism.FRAMEWORK: framework or "a certification framework",
        TransferMechanism.DEROGATION: "a derogation for a specific situation",
    }
    return words[mechanism]


def retention(
    compiled: CompiledStatement,
    category: str,
    collected_at: dt.datetime,
    at: dt.datetime,
    started: Mapping[RetentionStart, dt.datetime] | None = None,
    recipient: str | None = None,
) -> Decision:
    """May a record of ``category`` still be held (in live systems) at ``at``?

    The period runs from its declared start: collection (``collected_at``), or the
    account's closing, the last activity, the move to the trash, as ``started`` says
    (a start that has not happened keeps the period from running). After the period the
    data is refused for live use; the answer says which stage (trash, backups) holds it
    until when, so the caller knows when it is gone for good.
    """
    rule = _rule(compiled, category, recipient)
    if rule is None:
        return Decision(True, f"no retention period is declared for {category}", ())
    start = collected_at if rule.after is RetentionStart.COLLECTION else None
    if start is None and started:
        start = started.get(rule.after)
    if start is None or (rule.days is None and rule.hours is None):
        return Decision(True, f"kept until {rule.after.value.replace('_', ' ')}", rule.clauses)
    end = start + dt.timedelta(days=rule.days or 0, hours=rule.hours or 0)
    if at < end:
        return Decision(True, f"kept until {end.isoformat(timespec='minutes')}", rule.clauses)
    for stage in rule.stages:
        end += dt.timedelta(days=stage.days or 0, hours=stage.hours or 0)
        if at < end:
            until = end.isoformat(timespec="minutes")
            reason = f"retention ended; held only in {stage.name} until {until}"
            return Decision(False, reason, merge(rule.clauses, stage.clauses))
    return refuse(
        f"retention ended on {end.isoformat(timespec='minutes')}: delete it", rule.clauses
    )


def _rule(
    compiled: CompiledStatement, category: str, recipient: str | None
) -> RetentionRule | None:
    for rule in compiled.statement.retention:
        if category in rule.categories and rule.recipient == recipient:
            return rule
    return None
