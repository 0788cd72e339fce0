"""Message templates: Jinja2, per tenant, in plain text and (optionally) HTML.

A template ``name`` is ``name.txt`` (its first line ``Subject: ...``, a blank line, then
the body) and, if there is one, ``name.html``. A tenant's own templates live in
``<mail_templates>/<tenant>/`` and are found before keepfaith's (``messaging/templates``),
so a tenant overrides any of them, the opt-out footer (``_footer.txt``, ``_footer.html``)
included. A template's German (or other) variant is ``name_<language>`` (``sign_in_de``),
chosen by ``localised`` for the person's language, and sends the footer of its language
(``_footer_de.txt``) where there is one. Templates run sandboxed, with undefined names an
error rather than blanks.

Every template sees ``organisation`` (the statement's name for it), ``purpose`` (the
declared purpose: ``purpose.name``...), ``name`` (the person's name, where the engine lets
this purpose use it, else ``None``), ``privacy_center_url`` and, in promotional mail,
``unsubscribe_url`` and ``opt_out_line``: the statement's own words for the ways out,
the same as on the statement's page. The caller's context adds its own names.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from keepfaith.exceptions import NotFound, Refused
from keepfaith.statement import Statement, translations
from keepfaith.statement.law_text import opt_out_ways
from keepfaith.statement.schema import OBJECTABLE, Basis, Purpose, UnsubscribeRoute
from keepfaith.statement.wording import say
from keepfaith.statement.words import _, and_, translating
from keepfaith.translatable import lookup

BUILT_IN = Path(__file__).parent / "templates"
RESERVED = frozenset(
    {"organisation", "purpose", "name", "privacy_center_url", "unsubscribe_url", "opt_out_line"}
)
"""Names keepfaith gives every template; a caller's context may not redefine them."""


@dataclass(frozen=True)
class Rendered:
    """A message's words: subject line, plain text and, if the template has one, HTML."""

    subject: str
    text: str
    html: str | None = None


class Placeholder(jinja2.Undefined):
    """In a preview, a name the caller's context would give shows as ``[name]``."""

    def __str__(self) -> str:
        return f"[{self._undefined_name}]"


@functools.lru_cache(maxsize=64)
def environment(folder: Path | None, tenant: str, preview: bool = False) -> SandboxedEnvironment:
    """The templates of ``tenant``: its own folder first (if any), then keepfaith's;
    undefined names are an error, or in a ``preview`` a ``[name]`` placeholder."""
    loaders: list[jinja2.BaseLoader] = []
    if folder is not None:
        loaders.append(jinja2.FileSystemLoader(Path(folder) / tenant))
    loaders.append(jinja2.FileSystemLoader(BUILT_IN))
    return SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
        undefined=Placeholder if preview else jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def opt_out_line(statement: Statement, purpose: Purpose, language: str | None = None) -> str:
    """How to stop this purpose's messages, in the words of the statement's own page
    ("Newsletter. To withdraw: the unsubscribe link in every message and your privacy
    center."), in ``language`` where the catalogue and the statement's translations
    give it."""
    shown = translations.localised(statement, language).purpose(purpose.id)
    with translating(lookup(language)):
        ways = [say(route) for route in shown.unsubscribe] + opt_out_ways(shown.opt_out)
        center = say(UnsubscribeRoute.PREFERENCE_CENTER)
        if shown.preference_center and center not in ways:
            ways.append(center)
        if not ways:
            ways = [say(UnsubscribeRoute.ONE_CLICK)]
        if shown.basis is Basis.OPT_IN:
            line = _("To withdraw: %(ways)s.", ways=and_(ways))
        elif shown.basis in OBJECTABLE:
            line = _("To object: %(ways)s.", ways=and_(ways))
        else:
            line = _("To opt out: %(ways)s.", ways=and_(ways))
    return f"{shown.name}. {line}"


def render(
    folder: Path | None,
    statement: Statement,
    purpose: Purpose,
    template: str,
    values: Mapping[str, Any],
    *,
    promotional: bool,
    preview: bool = False,
) -> Rendered:
    """Render ``template`` for one message; ``NotFound`` if the tenant has no such
    template, ``Refused`` if it fails (an undefined name, no subject line)."""
    env = environment(folder, statement.id, preview)
    context = {
        "organisation": statement.organisation.name,
        "purpose": purpose,
        "name": None,
        "privacy_center_url": None,
        "unsubscribe_url": None,
        "opt_out_line": (
            opt_out_line(statement, purpose, _language(template)) if promotional else None
        ),
        **values,
    }
    text = _render(env, f"{template}.txt", context)
    if text is None:
        raise NotFound(f"{statement.id} has no message template {template!r}")
    subject, body = _subject(text, template)
    html = _render(env, f"{template}.html", context)
    # The footer: the ways out of promotional mail, and the person's privacy center in
    # every message that has a link to it.
    if promotional or context["privacy_center_url"]:
        footer_name = _footer(env, template)
        body = body.rstrip("\n") + "\n\n" + (_render(env, f"{footer_name}.txt", context) or "")
        if html is not None:
            footer = _render(env, f"{footer_name}.html", context) or ""
            html = (
                html.replace("</body>", footer + "</body>") if "</body>" in html else html + footer
            )
    return Rendered(subject, body, html)


def preview(folder: Path | None, statement: Statement, purpose: Purpose, template: str) -> Rendered:
    """``template`` as ``purpose``'s message would read, for staff: a sample person and
    link, and ``[name]`` where the caller's context would give a value."""
    sample = {
        "name": "Ann Example",
        "privacy_center_url": "https://example.invalid/privacy-center",
        "unsubscribe_url": "https://example.invalid/unsubscribe",
    }
    return render(
        folder, statement, purpose, template, sample, promotional=purpose.marketing, preview=True
    )


def names(folder: Path | None, tenant: str) -> list[str]:
    """The templates a tenant can send (its own and keepfaith's), footers left out."""
    found = set(environment(folder, tenant).list_templates(extensions=["txt"]))
    return sorted(name[: -len(".txt")] for name in found if not name.startswith("_"))


def localised(folder: Path | None, tenant: str, template: str, language: str) -> str:
    """``template``'s variant in ``language`` (``notice_de``) where the tenant or keepfaith
    has one, else ``template`` itself (the English)."""
    base = language.split("-")[0].lower()
    translated = f"{template}_{base}"
    if base and base != "en" and translated in names(folder, tenant):
        return translated
    return template


def _language(template: str) -> str | None:
    """The language of a template's variant (``de`` for ``notice_de``), else ``None``."""
    suffix = template.rpartition("_")[2]
    return suffix if len(suffix) == 2 else None


def _footer(env: SandboxedEnvironment, template: str) -> str:
    """The footer in the template's language (``_footer_de`` for ``notice_de``)."""
    language = _language(template)
    if language and f"_footer_{language}.txt" in env.list_templates(extensions=["txt"]):
        return f"_footer_{language}"
    return "_footer"


MISSING_FOR = 5.0
"""Seconds a template found missing (most have no HTML part) is taken as still missing:
Jinja looks a missing name up on disk again at every message, in every folder."""

_missing: dict[tuple[SandboxedEnvironment, str], float] = {}


def _render(env: SandboxedEnvironment, name: str, context: Mapping[str, Any]) -> str | None:
    key = (env, name)
    missed = _missing.get(key)
    if missed is not None and time.monotonic() - missed < MISSING_FOR:
        return None
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        _missing[key] = time.monotonic()
        return None
    _missing.pop(key, None)
    try:
        return template.render(context)
    except jinja2.TemplateError as error:
        raise Refused(f"message template {name!r} failed: {error.message}") from None


def _subject(text: str, template: str) -> tuple[str, str]:
    first, _, body = text.partition("\n")
    if not first.lower().startswith("subject:"):
        raise Refused(f"message template {template!r} must start with a 'Subject:' line")
    subject = " ".join(first[len("subject:") :].split())  # one line: no header injection
    if not subject:
        raise Refused(f"message template {template!r} has an empty subject")
    return subject, body.lstrip("\n")
