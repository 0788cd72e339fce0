"""The pages' languages: gettext catalogues (Babel), chosen per request.

Page templates mark their text with ``_("...")`` (``jinja2.ext.i18n``, new style, so
``_("Hello %(name)s", name=n)`` escapes its values). The catalogues are read by
``keepfaith.translatable`` (``catalogue``, ``lookup``), from ``locale/`` beside it.

A page is in the language the person chose with the switch on every page (``?lang=de``,
kept in the ``kf_lang`` cookie), else the best of their browser's ``Accept-Language``,
among the languages the tenant's statement declares (``languages``) that have a
catalogue (a staff page: every catalogue); else English. That language, when the person
chose it (the switch, the cookie, their browser: ``chosen``), is kept on them as the one
their messages are written in (``subjects.set_language``); the API's callers name it by a
``language`` field or ``Accept-Language`` (``spoken``). The commands that update the
catalogues (``pybabel extract`` and ``update``) are in docs/privacy-center.md.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from jinja2 import Environment

from keepfaith.ledger import subjects
from keepfaith.statement import Statement
from keepfaith.translatable import SOURCE, available, catalogue

COOKIE = "kf_lang"
NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español", "nl": "Nederlands"}
"""Each language's name in itself, for the switch."""

current: ContextVar[str] = ContextVar("keepfaith_language", default=SOURCE)
"""The language of the page being rendered."""


def offered(statement: Statement | None) -> list[str]:
    """The languages a tenant's pages come in: its declared ones that have a catalogue
    (keepfaith's words) or a ``translations`` block (the statement's own)."""
    declared = [tag.split("-")[0].lower() for tag in (statement.languages if statement else ())]
    have = available() | {
        t.split("-")[0].lower() for t in (statement.translations if statement else ())
    }
    found = [tag for tag in dict.fromkeys([SOURCE, *declared]) if tag in have]
    return found if statement is not None else [SOURCE]


def offered_to_staff() -> list[str]:
    """The languages of the staff pages: English and every catalogue."""
    return [SOURCE, *sorted(available() - {SOURCE})]


def choose(offer: list[str], asked: str | None, cookie: str | None, accept: str | None) -> str:
    """The page's language: the switch's, the cookie's, the browser's best, or English."""
    return chosen(offer, asked, cookie, accept) or SOURCE


def chosen(
    offer: list[str], asked: str | None, cookie: str | None, accept: str | None
) -> str | None:
    """The language the person chose, of those offered: the switch's, the cookie's or
    the browser's best; ``None`` when nothing they sent names one (the page falls back
    to English, but that is no choice of theirs)."""
    for wanted in (asked, cookie):
        if wanted and wanted in offer:
            return wanted
    for tag in _accepted(accept or ""):
        base = tag.split("-")[0]
        if base in offer:
            return base
    return None


def spoken(statement: Statement, field: object, accept: str | None) -> str | None:
    """The statement's declared language an API caller names: its ``language`` field,
    else the best tag of its ``Accept-Language`` that the statement declares; ``None``
    for anything else, junk included (never an error)."""
    found = subjects.spoken(statement, field)
    if found is not None:
        return found
    for tag in _accepted((accept or "")[:1000]):
        found = subjects.spoken(statement, tag)
        if found is not None:
            return found
    return None


def _accepted(header: str) -> list[str]:
    """``Accept-Language``'s tags, best first (``de-CH, de;q=0.9, en;q=0.5``)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, weight = part.strip().partition(";")
        quality = 1.0
        if weight.strip().startswith("q="):
            try:
                quality = float(weight.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, index, tag.strip().lower()))
    return [tag for _, _, tag in sorted(ranked)]


def gettext(message: str) -> str:
    found = catalogue(current.get()).get(message)
    return found if isinstance(found, str) else message


def ngettext(singular: str, plural: str, n: int) -> str:
    found = catalogue(current.get()).get(singular)
    if isinstance(found, tuple):
        return found[0] if n == 1 else found[-1]
    return singular if n == 1 else plural


_NUMBER = re.compile(r"\d+")


def translated(message: object, **values: object) -> str:
    """A message a route or the engine made (marked ``N_``), in the page's language,
    ``%(name)s`` filled in; plain text, so the page escapes it. A reason made with one
    number (``is longer than 254 characters``) is found by its ``%(n)s`` form. Unknown
    text stays as it is."""
    text = str(message) if message is not None else ""
    if values:
        return gettext(text) % values
    found = catalogue(current.get()).get(text)
    if isinstance(found, str):
        return found
    numbers = _NUMBER.findall(text)
    if len(numbers) == 1:
        pattern = catalogue(current.get()).get(_NUMBER.sub("%(n)s", text))
        if isinstance(pattern, str):
            return pattern % {"n": numbers[0]}
    return text


def install(environment: Environment) -> None:
    """Give a Jinja2 environment ``_``, ``gettext`` and ``ngettext`` in the page's language."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True
    )
    environment.globals["translated"] = translated
