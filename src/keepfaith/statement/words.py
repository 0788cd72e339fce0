"""keepfaith's own words on the statement page, in the page's language.

The declaration's text comes in its languages from ``translations``; the sentences
keepfaith writes around it (headings, "We answer within 30 days", the words for enum
values) are marked here with ``N_`` or ``_`` and translated by a catalogue the caller
hands to ``translating``: the web's gettext catalogues (``keepfaith.web.i18n``), which
the statement may not import. Without one they stay English, the source text.

Messages are whole sentences with named placeholders (``_("We answer %(within_days)s.",
within_days=within(30))``) so that a translation may order its words as its language does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Lookup = Callable[[str], str]
"""A catalogue: a message in the page's language (itself when it has no translation)."""


def _english(message: str) -> str:
    return message


_lookup: ContextVar[Lookup] = ContextVar("keepfaith_statement_words", default=_english)


def N_(message: str) -> str:
    """``message``, unchanged: marked for the catalogues, translated where it is shown."""
    return message


def _(message: str, **values: object) -> str:
    """``message`` in the page's language, its ``%(name)s`` filled in."""
    text = _lookup.get()(message)
    return text % values if values else text


@contextmanager
def translating(lookup: Lookup | None) -> Iterator[None]:
    """Render in the language of ``lookup`` (English with ``None``)."""
    token = _lookup.set(lookup or _english)
    try:
        yield
    finally:
        _lookup.reset(token)


def and_(items: Iterable[object]) -> str:
    """``a``, ``a and b``, ``a, b and c``, with the page's word for "and"."""
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return _("%(first)s and %(last)s", first=", ".join(words[:-1]), last=words[-1])


def days(count: int) -> str:
    """``1 day``, ``30 days``."""
    return _("1 day") if count == 1 else _("%(n)s days", n=count)


def within(count: int) -> str:
    """``within 1 day``, ``within 30 days`` (its own message: other languages inflect
    the noun after "within")."""
    return _("within 1 day") if count == 1 else _("within %(n)s days", n=count)


def in_days(count: int) -> str:
    """``in 1 day``, ``in 30 days``, as "12 requests in 30 days"."""
    return _("in 1 day") if count == 1 else _("in %(n)s days", n=count)


def hours(count: int) -> str:
    """``1 hour``, ``12 hours``."""
    return _("1 hour") if count == 1 else _("%(n)s hours", n=count)


def upper_first(text: object) -> str:
    """``text`` with its first letter upper case and the rest as written (Jinja's
    ``capitalize`` lowers the rest: "Ihrer Einwilligung", "IP address")."""
    words = str(text)
    return words[:1].upper() + words[1:]
