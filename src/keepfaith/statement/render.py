"""The statement people read, generated entirely from the declaration.

``render_html`` and ``render_markdown`` fill the Jinja2 templates in ``templates/`` with
the ``Statement`` and a few derived views (where each category is collected, how each
choice is given and withdrawn). Nothing is written here that the declaration does not
say; the words for enum values come from ``keepfaith.statement.wording``.

Every element that implements clauses carries their ids (``data-clauses="ES-10 ES-11"``
in HTML, a comment in Markdown) so a reader can trace a sentence back to its promise.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jinja2
from babel.core import UnknownLocaleError
from babel.dates import format_date
from markupsafe import Markup

from keepfaith.statement.law_text import additions, opt_out_ways, period, sharing_facts
from keepfaith.statement.schema import (
    CHOOSABLE,
    OBJECTABLE,
    Basis,
    Contact,
    Cookie,
    CookieCategory,
    CookieDuration,
    Element,
    Handling,
    RetentionRule,
    RetentionStart,
    Statement,
    UnsubscribeRoute,
)
from keepfaith.statement.translations import language_of, localised
from keepfaith.statement.wording import say
from keepfaith.statement.words import (
    N_,
    Lookup,
    _,
    and_,
    days,
    translating,
    upper_first,
    within,
)

TEMPLATES = Path(__file__).parent / "templates"

SECTIONS: tuple[tuple[str, str], ...] = (
    ("scope", N_("What this statement covers")),
    ("collected", N_("What we collect")),
    ("who", N_("Who collects it")),
    ("use", N_("How we use it")),
    ("sharing", N_("With whom we share it")),
    ("choices", N_("Your choices")),
    ("security", N_("How we protect it")),
    ("access", N_("Seeing and correcting your information")),
    ("cookies", N_("Cookies")),
    ("retention", N_("How long we keep it")),
    ("children", N_("Children")),
    ("changes", N_("Changes to this statement")),
    ("complaints", N_("Complaints")),
    ("notices", N_("Other things you should know")),
    ("contacts", N_("How to reach us")),
)
"""Every section's stable id and heading (English; shown in the page's language), in
page order. The seven ES-01 asks for are
``collected``, ``who``, ``use``, ``sharing``, ``choices``, ``security`` and ``access``."""

REFUSABLE = frozenset(CookieCategory) - {CookieCategory.NECESSARY}
"""Cookie categories a person may refuse in the banner."""

OPTIONAL_SECTIONS = {"scope", "children", "complaints", "notices"}
"""Shown only when the declaration has something to say there."""


def render_html(
    statement: Statement,
    *,
    privacy_center_url: str | None = None,
    language: str | None = None,
    switch: Sequence[tuple[str, str]] = (),
    catalogue: Callable[[str], Lookup | None] | None = None,
) -> str:
    """The statement as a standalone HTML5 page (no script, CSS inline); with
    ``privacy_center_url``, the page links to where a person sees and changes their
    choices (the web service passes its own). With ``language``, the declaration's text
    is that language's (``translations``), the default's where it gives none; ``switch``
    lists ``(tag, name)`` of the languages to offer a link to (``?lang=tag``).
    ``catalogue(tag)`` gives keepfaith's own words in the language the text is in
    (``keepfaith.translatable.lookup``); without it they are English."""
    shown, tag = _in_language(statement, language)
    with translating(catalogue(tag) if catalogue else None):
        context = {
            **_context(shown, tag),
            "privacy_center_url": privacy_center_url,
            "language": tag,
            "switch": switch if len(switch) > 1 else (),
        }
        return _environment().get_template("statement.html").render(context)


def render_markdown(
    statement: Statement,
    *,
    language: str | None = None,
    catalogue: Callable[[str], Lookup | None] | None = None,
) -> str:
    """The statement as Markdown, with the same sections and words as the HTML page,
    its text in ``language`` where the declaration gives it."""
    shown, tag = _in_language(statement, language)
    with translating(catalogue(tag) if catalogue else None):
        context = _context(shown, tag)
        return _markdown_environment().get_template("statement.md").render(context)


def _in_language(statement: Statement, language: str | None) -> tuple[Statement, str]:
    """The statement with ``language``'s text, and the language its text is in."""
    tag = language_of(statement, language)
    if tag is None:
        return statement, statement.languages[0]
    return localised(statement, tag), tag


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class Choice:
    """How a person gives and withdraws one optional use."""

    purpose_id: str
    name: str
    basis: Basis
    give: tuple[str, ...]
    withdraw: tuple[str, ...]
    clauses: tuple[str, ...]


def _choices(s: Statement) -> list[Choice]:
    found = []
    for purpose in s.purposes:
        if purpose.basis not in CHOOSABLE:
            continue
        give: list[str] = []
        if purpose.basis is Basis.OPT_IN:
            points = [p.name for p in s.collection_points if purpose.id in p.consent_for]
            if points:
                give.append(_("ticking the box on %(forms)s", forms=and_(points)))
        center = say(UnsubscribeRoute.PREFERENCE_CENTER)
        if purpose.preference_center:
            give.append(center)
        withdraw = [say(route) for route in purpose.unsubscribe]
        withdraw += opt_out_ways(purpose.opt_out)
        if any(c.purpose == purpose.id and c.category in REFUSABLE for c in s.cookies):
            withdraw.append(_("refusing its cookies in the cookie settings"))
        if purpose.preference_center and center not in withdraw:
            withdraw.append(center)
        found.append(
            Choice(
                purpose.id,
                purpose.name,
                purpose.basis,
                tuple(give) if purpose.basis is Basis.OPT_IN else (),
                tuple(withdraw),
                purpose.clauses,
            )
        )
    return found


def _where_collected(s: Statement) -> dict[str, list[str]]:
    where: dict[str, list[str]] = {c.id: [] for c in s.categories}
    for point in s.collection_points:
        for field in point.fields:
            names = where.setdefault(field.category, [])
            if point.name not in names:
                names.append(point.name)
    return where


def _cookie_lifetime(cookie: Cookie) -> str:
    if cookie.duration is CookieDuration.SESSION or cookie.lifetime_days is None:
        return say(cookie.duration)
    return days(cookie.lifetime_days)


_OPEN_ENDED = {
    RetentionStart.COLLECTION: N_("no fixed period"),
    RetentionStart.ACCOUNT_CLOSED: N_("while your account is open"),
    RetentionStart.LAST_ACTIVITY: N_("while you remain active"),
    RetentionStart.TRASHED: N_("until you delete it"),
}


def _retention_period(rule: RetentionRule) -> str:
    if rule.days is None and rule.hours is None:
        return _(_OPEN_ENDED.get(rule.after, N_("no fixed period")))
    return _("%(period)s %(start)s", period=period(rule.days, rule.hours), start=say(rule.after))


def _shown_sections(s: Statement) -> list[tuple[str, str]]:
    present = {
        "scope": s.scope is not None and bool(s.scope.covers or s.scope.excludes),
        "children": s.children is not None,
        "complaints": s.complaints is not None,
        "notices": bool(s.notices),
    }
    return [(i, _(h)) for i, h in SECTIONS if i not in OPTIONAL_SECTIONS or present[i]]


def _context(s: Statement, language: str) -> dict[str, Any]:
    title = s.title or _("%(organisation)s privacy statement", organisation=s.organisation.name)
    sections = _shown_sections(s)
    refusable = any(c.category in REFUSABLE for c in s.cookies)
    return {
        "s": s,
        "title": title,
        "effective": _date(s.effective, language),
        "sections": sections,
        "shown": {section_id for section_id, _heading in sections},
        "headings": dict(sections),
        "category_names": {c.id: c.name for c in s.categories},
        "purpose_names": {p.id: p.name for p in s.purposes},
        "point_names": {p.id: p.name for p in s.collection_points},
        "subject_names": {k.id: k.name for k in s.subject_kinds},
        "where_collected": _where_collected(s),
        "choices": _choices(s),
        "cookies_refusable": refusable,
        "complaints_contact": _complaints_contact(s),
        "more": additions(s),
        "sharing_facts": sharing_facts(s),
    }


def _complaints_contact(s: Statement) -> Contact | None:
    if s.complaints is None:
        return None
    role = s.complaints.contact
    return next((c for c in s.organisation.contacts if c.role == role), None)


# --------------------------------------------------------------------------- helpers


def _date(day: dt.date, language: str) -> str:
    """``3 December 2026``, ``3. Dezember 2026``: the long form of the page's language."""
    try:
        return format_date(day, format="long", locale="en_GB" if language == "en" else language)
    except (ValueError, UnknownLocaleError):
        return format_date(day, format="long", locale="en_GB")


def _contact_ways(contact: Contact) -> list[tuple[str, str, bool]]:
    """How to reach a contact: (how, value, whether the value is a link)."""
    ways = [
        (N_("email"), contact.email, True),
        (N_("phone"), contact.phone, False),
        (N_("post"), contact.address, False),
        (N_("web"), contact.url, True),
    ]
    return [(how, value, link) for how, value, link in ways if value]


def _sentence(text: str) -> str:
    """``text`` ending with one full stop (or its own ``?`` or ``!``)."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _names(ids: Sequence[str], names: dict[str, str]) -> list[str]:
    return [names.get(i, i) for i in ids]


def _html_clauses(element: Element | Sequence[str]) -> Markup:
    ids = element if isinstance(element, Sequence) else element.clauses
    if not ids:
        return Markup("")
    return Markup(' data-clauses="{}"').format(" ".join(ids))


def _md_clauses(element: Element | Sequence[str]) -> Markup:
    ids = element if isinstance(element, Sequence) else element.clauses
    return Markup(f" <!-- {' '.join(ids)} -->") if ids else Markup("")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _md_escape(value: Any) -> Any:
    """Text from the declaration, made inert in Markdown (no markup, no raw HTML)."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value)


def _md_cell(value: Any) -> Markup:
    """A value for a Markdown table cell: escaped and on one line."""
    return Markup(" ".join(str(_md_escape(str(value))).split()))


def _says(values: Iterable[StrEnum]) -> list[str]:
    return [say(value) for value in values]


def _link(url: str) -> str:
    """Only web addresses become links; anything else (``javascript:``) goes nowhere."""
    return url if url.startswith(("https://", "http://")) else "#"


_AUTOLINK = re.compile(r"(https?://|mailto:)?[^\s<>@]+(@[^\s<>@]+)?")


def _md_autolink(value: str) -> Markup:
    """A web or email address as a Markdown autolink; anything else as inert text."""
    is_link = value.startswith(("https://", "http://")) or "@" in value
    if is_link and _AUTOLINK.fullmatch(value):
        return Markup(f"<{value}>")
    return Markup(_md_escape(value))


def _gettext(message: str) -> str:
    return _(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _(singular) if n == 1 else _(plural)


def _common(env: jinja2.Environment) -> jinja2.Environment:
    env.filters["capitalize"] = upper_first
    env.globals.update(say=say, says=_says, and_=and_, names=_names, lifetime=_cookie_lifetime)
    env.globals.update(days=days, within=within)
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )
    env.filters["link"] = _link
    env.globals.update(period=_retention_period, Basis=Basis, Handling=Handling)
    env.globals["objectable"] = OBJECTABLE
    env.filters["sentence"] = _sentence
    return env


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clauses"] = _html_clauses
    return _common(env)


@functools.cache
def _markdown_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_md_escape,
        keep_trailing_newline=True,
        # ``{#collected}`` is a heading id in Markdown, not a Jinja comment.
        comment_start_string="<#--",
        comment_end_string="--#>",
    )
    env.filters["clauses"] = _md_clauses
    env.filters["auto"] = _md_autolink
    env.globals["contact_ways"] = _contact_ways
    env.filters["cell"] = _md_cell
    return _common(env)
