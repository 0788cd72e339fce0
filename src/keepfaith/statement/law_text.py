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
    TransferFlow,
    TransferMechanism,
)
from keepfaith.statement.wording import say
from keepfaith.statement.words import _, and_, days, hours, in_days, upper_first, within


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of plain text, with an optional list under it."""

    text: str
    items: tuple[str, ...] = ()
    clauses: tuple[str, ...] = field(default=())


def _places(s: Statement, ids: Iterable[str]) -> str:
    names = {j.id: j.name for j in s.jurisdictions}
    return and_(names.get(i, i) for i in ids)


def opt_out_ways(routes: Iterable[OptOut]) -> list[str]:
    """Each way out in words: "a setting in the product (Settings > Privacy)"."""
    ways = []
    for route in routes:
        where = route.where or route.url
        ways.append(
            _("%(way)s (%(where)s)", way=say(route.route), where=where)
            if where
            else say(route.route)
        )
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
        _("We may sell personal information.")
        if sharing.sells_personal_data
        else _("We do not sell personal information.")
    ]
    if sharing.shares_for_advertising:
        facts.append(_("We share personal information for cross-context behavioural advertising."))
    elif "shares_for_advertising" in declared:
        facts.append(
            _("We do not share personal information for cross-context behavioural advertising.")
        )
    own = sharing.discloses_for_own_purposes or sharing.commercial_sharing
    if own:
        facts.append(
            _("We may disclose it to third parties for their own purposes, as listed below.")
        )
    elif declared & {"discloses_for_own_purposes", "commercial_sharing"} or not declared:
        facts.append(_("We do not disclose it to third parties for their own purposes."))
    return facts


def _derived(s: Statement) -> Iterator[Paragraph]:
    names = {c.id: c.name for c in s.categories}
    items = tuple(
        _(
            "%(category)s: made from %(sources)s",
            category=c.name,
            sources=and_(names.get(d, d) for d in c.derived_from),
        )
        for c in s.categories
        if c.derived_from
    )
    if items:
        yield Paragraph(_("Some information we make from other information, not collect:"), items)


def _who(s: Statement) -> Iterator[Paragraph]:
    o = s.organisation
    if o.data_protection_officer is not None:
        dpo = o.data_protection_officer
        ways = and_(x for x in (dpo.email, dpo.phone, dpo.address, dpo.url) if x)
        text = (
            _(
                "Our data protection officer (%(name)s) can be reached at %(ways)s.",
                name=dpo.name,
                ways=ways,
            )
            if dpo.name
            else _("Our data protection officer can be reached at %(ways)s.", ways=ways)
        )
        yield Paragraph(text, (), dpo.clauses)
    for rep in o.representatives:
        ways = and_(x for x in (rep.address, rep.email, rep.url) if x)
        values = {"region": say(rep.region), "name": rep.name, "ways": ways}
        text = (
            _("Our representative in %(region)s is %(name)s, reachable at %(ways)s.", **values)
            if ways
            else _("Our representative in %(region)s is %(name)s.", **values)
        )
        yield Paragraph(text, (), rep.clauses)
    if s.jurisdictions:
        items = tuple(
            f"{j.name} ({and_(j.regions)}){': ' + j.law if j.law else ''}" for j in s.jurisdictions
        )
        yield Paragraph(_("Some of what this statement says depends on where you are:"), items)


def _use(s: Statement) -> Iterator[Paragraph]:
    names = {j.id: j.name for j in s.jurisdictions}
    for p in s.purposes:
        if p.basis is Basis.LEGITIMATE_INTEREST and p.interest:
            text = _(
                "%(purpose)s: our legitimate interest is %(interest)s; you may object.",
                purpose=p.name,
                interest=p.interest.rstrip("."),
            )
            yield Paragraph(text, (), p.clauses)
        if p.bases:
            places = tuple(
                _("in %(place)s: %(basis)s", place=names.get(j, j), basis=say(b))
                for j, b in p.bases.items()
            )
            yield Paragraph(_("%(purpose)s, where you are:", purpose=p.name), places, p.clauses)
        if p.shares_for_advertising:
            text = _(
                "%(purpose)s counts as sharing your information for cross-context "
                "behavioural advertising.",
                purpose=p.name,
            )
            yield Paragraph(text, (), p.clauses)
    for d in s.automated_decisions:
        text = _(
            "We decide by automated means alone: %(decision)s. How: %(logic)s. "
            "What it means for you: %(effects)s.",
            decision=d.name,
            logic=d.logic.rstrip("."),
            effects=d.effects.rstrip("."),
        )
        if d.human_review:
            text += " " + _("You may ask for a person to review it.")
        yield Paragraph(text, (), d.clauses)


def _sharing(s: Statement) -> Iterator[Paragraph]:
    sharing = s.sharing
    if (sharing.sells_personal_data or sharing.shares_for_advertising) and sharing.opt_out:
        ways = and_(opt_out_ways(sharing.opt_out))
        text = (
            _(
                "To opt out of selling and sharing (offered to people in %(places)s): %(ways)s.",
                places=_places(s, sharing.opt_out_jurisdictions),
                ways=ways,
            )
            if sharing.opt_out_jurisdictions
            else _("To opt out of selling and sharing: %(ways)s.", ways=ways)
        )
        yield Paragraph(text, (), sharing.clauses)
    own = [r.name for r in s.recipients if r.own_purposes]
    if own:
        yield Paragraph(
            _("These recipients use it for their own purposes: %(names)s.", names=and_(own))
        )
    transfers = s.transfers
    for flow in transfers.flows if transfers else ():
        yield Paragraph(_transfer(s, flow), (), flow.clauses)
    for d in s.legal_disclosures:
        extra = []
        if d.conditions:
            extra.append(
                _("only when %(conditions)s", conditions=and_(c.rstrip(".") for c in d.conditions))
            )
        if d.requires_document:
            extra.append(_("only against a document we keep a reference of"))
        if d.notify_person:
            extra.append(_("and we tell you, unless the law forbids it"))
        if extra:
            yield Paragraph(f"{upper_first(say(d.basis))}: {'; '.join(extra)}.", (), d.clauses)


def _transfer(s: Statement, flow: TransferFlow) -> str:
    """One flow abroad and the safeguard it rests on."""
    how = (
        _("the %(framework)s", framework=flow.framework)
        if flow.mechanism is TransferMechanism.FRAMEWORK and flow.framework
        else say(flow.mechanism)
    )
    where = and_(flow.to)
    if flow.recipients:
        where = _(
            "%(countries)s by %(recipients)s",
            countries=where,
            recipients=and_(s.recipient(r).name for r in flow.recipients),
        )
    if flow.jurisdictions:
        where = _(
            "%(flow)s (information of people in %(places)s)",
            flow=where,
            places=_places(s, flow.jurisdictions),
        )
    text = _("Transfers to %(flow)s rest on %(safeguard)s.", flow=where, safeguard=how)
    return text + (f" {flow.description}" if flow.description else "")


def _choices(s: Statement) -> Iterator[Paragraph]:
    for signal in s.signals:
        kind = say(signal.kind)
        places = _places(s, signal.jurisdictions) if signal.jurisdictions else ""
        if signal.honoured:
            effects = and_(say(e) for e in signal.effects or tuple(SignalEffect))
            text = (
                _(
                    "We honour a %(signal)s signal from your browser for people in %(places)s: "
                    "it opts you out of %(effects)s.",
                    signal=kind,
                    places=places,
                    effects=effects,
                )
                if places
                else _(
                    "We honour a %(signal)s signal from your browser: it opts you out of "
                    "%(effects)s.",
                    signal=kind,
                    effects=effects,
                )
            )
        elif places:
            text = _(
                "We do not respond to %(signal)s signals for people in %(places)s.",
                signal=kind,
                places=places,
            )
        else:
            text = _("We do not respond to %(signal)s signals.", signal=kind)
        yield Paragraph(
            text + (f" {signal.description}" if signal.description else ""), (), signal.clauses
        )


def _rights(s: Statement) -> Iterator[Paragraph]:
    rights = s.rights
    scoped = tuple(
        _(
            "%(right)s: for people in %(places)s",
            right=say(r.kind),
            places=_places(s, r.jurisdictions),
        )
        for r in rights.requests
        if r.jurisdictions
    )
    if scoped:
        yield Paragraph(_("Some of these rights depend on where you are:"), scoped)
    deadlines = tuple(
        _("%(place)s: %(within_days)s", place=j.name, within_days=within(j.response_days))
        for j in s.jurisdictions
        if j.response_days
    )
    if deadlines:
        yield Paragraph(_("We answer a request:"), deadlines)
    for text in _terms(s):
        yield Paragraph(text, (), rights.clauses)


def _terms(s: Statement) -> Iterator[str]:
    rights = s.rights
    if rights.extension_days:
        yield _(
            "When a request is complex we may take up to %(n)s more days; "
            "we tell you so, and why, within the first period.",
            n=rights.extension_days,
        )
    if rights.free_requests is not None:
        yield _(
            "Up to %(count)s requests %(in_days)s are free of charge.",
            count=rights.free_requests,
            in_days=in_days(rights.quota_days),
        )
    if rights.agents:
        yield _("Someone you authorise in writing may make a request for you.")
    if rights.deletion_reaches_recipients:
        yield _(
            "When we delete your information, we pass the deletion on to everyone we gave it to."
        )
    if rights.tell_person:
        yield _("We tell you %(when)s.", when=and_(say(n) for n in rights.tell_person))


def _trackers(s: Statement) -> Iterator[Paragraph]:
    other = [c for c in s.cookies if c.kind is not TrackerKind.COOKIE]
    if other:
        items = tuple(f"{c.name}: {say(c.kind)}" for c in other)
        yield Paragraph(
            _("Besides cookies, we use these trackers; the same choices apply to them:"), items
        )
    limited = tuple(
        _("%(tracker)s: only on %(sites)s", tracker=c.name, sites=and_(c.sites))
        for c in s.cookies
        if c.sites
    )
    if limited:
        yield Paragraph(_("Some are used on some of our sites only:"), limited)


def _retention(s: Statement) -> Iterator[Paragraph]:
    names = {c.id: c.name for c in s.categories}
    for rule in s.retention:
        what = and_(names.get(c, c) for c in rule.categories) or (rule.data or "").replace("_", " ")
        if rule.stages:
            stages = tuple(
                _(
                    "then in %(stage)s for %(period)s",
                    stage=x.name.replace("_", " "),
                    period=period(x.days, x.hours),
                )
                + (f": {x.description}" if x.description else "")
                for x in rule.stages
            )
            yield Paragraph(
                _("After that period, %(what)s stays, until deleted for good:", what=what),
                stages,
                rule.clauses,
            )
        if rule.recipient:
            text = _(
                "%(what)s: kept at %(recipient)s.",
                what=upper_first(what),
                recipient=s.recipient(rule.recipient).name,
            )
            yield Paragraph(text, (), rule.clauses)


def period(day_count: int | None, hour_count: int | None) -> str:
    """A period in words (``2 days and 12 hours``), for the retention table."""
    parts = []
    if day_count:
        parts.append(days(day_count))
    if hour_count:
        parts.append(hours(hour_count))
    return and_(parts) or _("no time")


def _children(s: Statement) -> Iterator[Paragraph]:
    if s.children is None:
        return
    for rule in s.children.rules:
        values = {"age": rule.under, "rule": say(rule.requires)}
        text = (
            _(
                "For people under %(age)s in %(places)s, %(rule)s.",
                places=_places(s, rule.jurisdictions),
                **values,
            )
            if rule.jurisdictions
            else _("For people under %(age)s, %(rule)s.", **values)
        )
        yield Paragraph(
            text + (f" {rule.description}" if rule.description else ""), (), rule.clauses
        )


def _complaints(s: Statement) -> Iterator[Paragraph]:
    if s.complaints is None:
        return
    for body in s.complaints.bodies:
        name = body.name
        if body.jurisdictions:
            name = _(
                "%(body)s (for people in %(places)s)",
                body=name,
                places=_places(s, body.jurisdictions),
            )
        reach = and_(x for x in (body.url, body.email) if x)
        text = (
            _("You may also complain to %(body)s, at %(reach)s.", body=name, reach=reach)
            if reach
            else _("You may also complain to %(body)s.", body=name)
        )
        yield Paragraph(text, (), body.clauses)
    if s.complaints.escalation:
        yield Paragraph(_("If your complaint is not resolved:"), tuple(s.complaints.escalation))
