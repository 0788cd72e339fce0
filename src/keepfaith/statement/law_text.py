"""The sentences for what today's privacy law asks a statement to say, from the declaration.

``additions(statement)`` gives, per page section, the paragraphs (and their lists) that
the newer elements add: jurisdictions, legal bases and objection, the facts of selling
and sharing with their opt-outs, signals, trackers beyond cookies, retention stages,
transfer safeguards, rights' terms, complaint bodies, the data protection officer and
representatives, derived data, rules for minors, conditions on legal disclosures and
automated decisions. Only what is declared is said; both templates render the same
``Paragraph`` objects, so the HTML and Markdown pages say the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from keepfaith.statement.schema import (
    Basis,
    OptOut,
    SignalEffect,
    Statement,
    TrackerKind,
    TransferMechanism,
)
from keepfaith.statement.wording import say


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of plain text, with an optional list under it."""

    text: str
    items: tuple[str, ...] = ()
    clauses: tuple[str, ...] = field(default=())


def _and(items: Iterable[str]) -> str:
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _places(s: Statement, ids: Iterable[str]) -> str:
    names = {j.id: j.name for j in s.jurisdictions}
    return _and(names.get(i, i) for i in ids)


def opt_out_ways(routes: Iterable[OptOut]) -> list[str]:
    """Each way out in words: "a setting in the product (Settings > Privacy)"."""
    ways = []
    for route in routes:
        where = route.where or route.url
        ways.append(f"{say(route.route)} ({where})" if where else say(route.route))
    return ways


def additions(s: Statement) -> dict[str, list[Paragraph]]:
    """Section id -> the paragraphs the newer elements add there."""
    found: dict[str, list[Paragraph]] = {}
    for section, paragraphs in (
        ("collected", _derived(s)),
        ("who", _who(s)),
        ("use", _use(s)),
        ("sharing", _sharing(s)),
        ("choices", _choices(s)),
        ("access", _rights(s)),
        ("cookies", _trackers(s)),
        ("retention", _retention(s)),
        ("children", _children(s)),
        ("complaints", _complaints(s)),
    ):
        listed = list(paragraphs)
        if listed:
            found[section] = listed
    return found


def sharing_facts(s: Statement) -> list[str]:
    """Selling, sharing for advertising and disclosing for others' own purposes, as
    three facts; a "no" only where the statement says it (or the engine enforces it)."""
    sharing, declared = s.sharing, s.sharing.model_fields_set
    facts = [
        "We may sell personal information."
        if sharing.sells_personal_data
        else "We do not sell personal information."
    ]
    if sharing.shares_for_advertising:
        facts.append("We share personal information for cross-context behavioural advertising.")
    elif "shares_for_advertising" in declared:
        facts.append(
            "We do not share personal information for cross-context behavioural advertising."
        )
    own = sharing.discloses_for_own_purposes or sharing.commercial_sharing
    if own:
        facts.append("We may disclose it to third parties for their own purposes, as listed below.")
    elif declared & {"discloses_for_own_purposes", "commercial_sharing"} or not declared:
        facts.append("We do not disclose it to third parties for their own purposes.")
    return facts


def _derived(s: Statement) -> Iterator[Paragraph]:
    names = {c.id: c.name for c in s.categories}
    items = tuple(
        f"{c.name}: made from {_and(names.get(d, d) for d in c.derived_from)}"
        for c in s.categories
        if c.derived_from
    )
    if items:
        yield Paragraph("Some information we make from other information, not collect:", items)


def _who(s: Statement) -> Iterator[Paragraph]:
    o = s.organisation
    if o.data_protection_officer is not None:
        dpo = o.data_protection_officer
        ways = _and(x for x in (dpo.email, dpo.phone, dpo.address, dpo.url) if x)
        name = f" ({dpo.name})" if dpo.name else ""
        yield Paragraph(
            f"Our data protection officer{name} can be reached at {ways}.", (), dpo.clauses
        )
    for rep in o.representatives:
        ways = _and(x for x in (rep.address, rep.email, rep.url) if x)
        reach = f", reachable at {ways}" if ways else ""
        yield Paragraph(
            f"Our representative in {say(rep.region)} is {rep.name}{reach}.", (), rep.clauses
        )
    if s.jurisdictions:
        items = tuple(
            f"{j.name} ({_and(j.regions)}){': ' + j.law if j.law else ''}" for j in s.jurisdictions
        )
        yield Paragraph("Some of what this statement says depends on where you are:", items)


def _use(s: Statement) -> Iterator[Paragraph]:
    names = {j.id: j.name for j in s.jurisdictions}
    for p in s.purposes:
        if p.basis is Basis.LEGITIMATE_INTEREST and p.interest:
            yield Paragraph(
                f"{p.name}: our legitimate interest is {p.interest.rstrip('.')}; you may object.",
                (),
                p.clauses,
            )
        if p.bases:
            places = tuple(f"in {names.get(j, j)}: {say(b)}" for j, b in p.bases.items())
            yield Paragraph(f"{p.name}, where you are:", places, p.clauses)
        if p.shares_for_advertising:
            yield Paragraph(
                f"{p.name} counts as sharing your information for cross-context behavioural "
                "advertising.",
                (),
                p.clauses,
            )
    for d in s.automated_decisions:
        review = " You may ask for a person to review it." if d.human_review else ""
        text = (
            f"We decide by automated means alone: {d.name}. How: {d.logic.rstrip('.')}. "
            f"What it means for you: {d.effects.rstrip('.')}.{review}"
        )
        yield Paragraph(text, (), d.clauses)


def _sharing(s: Statement) -> Iterator[Paragraph]:
    sharing = s.sharing
    if (sharing.sells_personal_data or sharing.shares_for_advertising) and sharing.opt_out:
        where = (
            f" (offered to people in {_places(s, sharing.opt_out_jurisdictions)})"
            if sharing.opt_out_jurisdictions
            else ""
        )
        ways = _and(opt_out_ways(sharing.opt_out))
        yield Paragraph(f"To opt out of selling and sharing{where}: {ways}.", (), sharing.clauses)
    own = [r.name for r in s.recipients if r.own_purposes]
    if own:
        yield Paragraph(f"These recipients use it for their own purposes: {_and(own)}.")
    transfers = s.transfers
    for flow in transfers.flows if transfers else ():
        how = (
            f"the {flow.framework}"
            if flow.mechanism is TransferMechanism.FRAMEWORK and flow.framework
            else say(flow.mechanism)
        )
        to = f" by {_and(s.recipient(r).name for r in flow.recipients)}" if flow.recipients else ""
        whose = (
            f" (information of people in {_places(s, flow.jurisdictions)})"
            if flow.jurisdictions
            else ""
        )
        text = f"Transfers to {_and(flow.to)}{to}{whose} rest on {how}."
        yield Paragraph(
            text + (f" {flow.description}" if flow.description else ""), (), flow.clauses
        )
    for d in s.legal_disclosures:
        extra = []
        if d.conditions:
            extra.append(f"only when {_and(c.rstrip('.') for c in d.conditions)}")
        if d.requires_document:
            extra.append("only against a document we keep a reference of")
        if d.notify_person:
            extra.append("and we tell you, unless the law forbids it")
        if extra:
            yield Paragraph(f"{say(d.basis).capitalize()}: {'; '.join(extra)}.", (), d.clauses)


def _choices(s: Statement) -> Iterator[Paragraph]:
    for signal in s.signals:
        where = f" for people in {_places(s, signal.jurisdictions)}" if signal.jurisdictions else ""
        if signal.honoured:
            effects = _and(say(e) for e in signal.effects or tuple(SignalEffect))
            kind = say(signal.kind)
            text = (
                f"We honour a {kind} signal from your browser{where}: it opts you out of {effects}."
            )
        else:
            text = f"We do not respond to {say(signal.kind)} signals{where}."
        yield Paragraph(
            text + (f" {signal.description}" if signal.description else ""), (), signal.clauses
        )


def _rights(s: Statement) -> Iterator[Paragraph]:
    rights = s.rights
    scoped = tuple(
        f"{say(r.kind)}: for people in {_places(s, r.jurisdictions)}"
        for r in rights.requests
        if r.jurisdictions
    )
    if scoped:
        yield Paragraph("Some of these rights depend on where you are:", scoped)
    deadlines = tuple(
        f"{j.name}: within {j.response_days} days" for j in s.jurisdictions if j.response_days
    )
    if deadlines:
        yield Paragraph("We answer a request:", deadlines)
    terms = []
    if rights.extension_days:
        terms.append(
            f"When a request is complex we may take up to {rights.extension_days} more days; "
            "we tell you so, and why, within the first period."
        )
    if rights.free_requests is not None:
        terms.append(
            f"Up to {rights.free_requests} requests in {rights.quota_days} days are free of charge."
        )
    if rights.agents:
        terms.append("Someone you authorise in writing may make a request for you.")
    if rights.deletion_reaches_recipients:
        terms.append(
            "When we delete your information, we pass the deletion on to everyone we gave it to."
        )
    if rights.tell_person:
        terms.append(f"We tell you {_and(say(n) for n in rights.tell_person)}.")
    for text in terms:
        yield Paragraph(text, (), rights.clauses)


def _trackers(s: Statement) -> Iterator[Paragraph]:
    other = [c for c in s.cookies if c.kind is not TrackerKind.COOKIE]
    if other:
        items = tuple(f"{c.name}: {say(c.kind)}" for c in other)
        yield Paragraph(
            "Besides cookies, we use these trackers; the same choices apply to them:", items
        )
    limited = tuple(f"{c.name}: only on {_and(c.sites)}" for c in s.cookies if c.sites)
    if limited:
        yield Paragraph("Some are used on some of our sites only:", limited)


def _retention(s: Statement) -> Iterator[Paragraph]:
    names = {c.id: c.name for c in s.categories}
    for rule in s.retention:
        what = _and(names.get(c, c) for c in rule.categories) or (rule.data or "").replace("_", " ")
        if rule.stages:
            stages = tuple(
                f"then in {x.name.replace('_', ' ')} for {_span(x.days, x.hours)}"
                + (f": {x.description}" if x.description else "")
                for x in rule.stages
            )
            yield Paragraph(
                f"After that period, {what} stays, until deleted for good:", stages, rule.clauses
            )
        if rule.recipient:
            yield Paragraph(
                f"{what.capitalize()}: kept at {s.recipient(rule.recipient).name}.",
                (),
                rule.clauses,
            )


def _span(days: int | None, hours: int | None) -> str:
    parts = []
    if days:
        parts.append("1 day" if days == 1 else f"{days} days")
    if hours:
        parts.append("1 hour" if hours == 1 else f"{hours} hours")
    return " and ".join(parts) or "no time"


def period(days: int | None, hours: int | None) -> str:
    """A period in words, for the retention table."""
    return _span(days, hours)


def _children(s: Statement) -> Iterator[Paragraph]:
    if s.children is None:
        return
    for rule in s.children.rules:
        where = f" in {_places(s, rule.jurisdictions)}" if rule.jurisdictions else ""
        text = f"For people under {rule.under}{where}, {say(rule.requires)}."
        yield Paragraph(
            text + (f" {rule.description}" if rule.description else ""), (), rule.clauses
        )


def _complaints(s: Statement) -> Iterator[Paragraph]:
    if s.complaints is None:
        return
    for body in s.complaints.bodies:
        where = f" (for people in {_places(s, body.jurisdictions)})" if body.jurisdictions else ""
        reach = _and(x for x in (body.url, body.email) if x)
        text = (
            f"You may also complain to {body.name}{where}"
            + (f", at {reach}" if reach else "")
            + "."
        )
        yield Paragraph(text, (), body.clauses)
    if s.complaints.escalation:
        yield Paragraph("If your complaint is not resolved:", tuple(s.complaints.escalation))
