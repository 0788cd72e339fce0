"""The cookie banner, built from the statement's cookie declarations.

The banner script is static code plus a configuration generated here: the statement's
cookies grouped by category, with their party, lifetime and purpose. Its ``version`` is
a digest of the cookie section, so a person is asked again whenever that section changes.
Under Global Privacy Control the categories whose cookies serve a purpose GPC objects to
stay off.

This module is the one home of cookie categories: their names and descriptions, and the
purposes each optional category's cookies serve (``optional_categories``).
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from typing import Any

from keepfaith.collect.banner_text import ENGLISH, banner_text
from keepfaith.engine.compile import gpc_purposes
from keepfaith.ledger import Transaction, statements
from keepfaith.statement.diff import diff
from keepfaith.statement.schema import CookieCategory, Statement
from keepfaith.statement.translations import localised

CATEGORY_NAMES = {c: ENGLISH[f"category.{c.value}"] for c in CookieCategory}
"""Each category's English name (the banner's are in its visitor's language)."""
_PLACEHOLDER = "/*KEEPFAITH_CONFIG*/"


IMMATERIAL = frozenset({"clauses", "description"})
"""Cookie fields whose change does not ask visitors again: clause references and wording.
Everything else (a cookie added or removed, its category, party, provider, duration,
lifetime, purpose, sites) changes what a visitor agreed to."""


def cookie_section_version(statement: Statement) -> str:
    """A short digest of the cookie section's material content; the banner asks again
    when it changes (``IMMATERIAL`` fields are left out)."""
    declared = sorted(
        (cookie.model_dump(mode="json", exclude=set(IMMATERIAL)) for cookie in statement.cookies),
        key=lambda cookie: json.dumps(cookie, sort_keys=True),
    )
    canonical = json.dumps(declared, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def still_valid_versions(tx: Transaction, statement: Statement) -> list[str]:
    """Cookie-section versions of earlier published statements whose choices still hold.

    The version digest changes with any material field, but a change ``diff`` counts as
    minor (a cookie removed, a shorter lifetime, a cookie now first-party) does not ask
    again: a choice made under such a version is still the visitor's. Worked out once per
    pair of statements (``_VALID``)."""
    current = cookie_section_version(statement)
    valid: list[str] = []
    for published in statements.versions(tx, statement.id):
        key = (statement.id, published.version, current)
        if key not in _VALID:
            old = statements.get(tx, statement.id, published.version)
            version = cookie_section_version(old)
            cookie_changes = [c for c in diff(old, statement) if c.path[:1] == ("cookies",)]
            holds = version != current and not any(c.material for c in cookie_changes)
            _VALID[key] = version if holds else None
        if _VALID[key] is not None and _VALID[key] not in valid:
            valid.append(str(_VALID[key]))
    return valid


_VALID: dict[tuple[str, str, str], str | None] = {}


def optional_categories(statement: Statement) -> dict[str, list[str]]:
    """Each declared optional cookie category and the purposes its cookies serve."""
    found: dict[str, list[str]] = {}
    for cookie in statement.cookies:
        if cookie.category is CookieCategory.NECESSARY:
            continue
        purposes = found.setdefault(cookie.category.value, [])
        if cookie.purpose is not None and cookie.purpose not in purposes:
            purposes.append(cookie.purpose)
    return found


def gpc_categories(statement: Statement) -> list[str]:
    """Cookie categories a Global Privacy Control signal switches off.

    Advertising always; any other category whose cookies serve a purpose the signal
    objects to (``keepfaith.engine.compile.gpc_purposes``) as well.
    """
    objected = gpc_purposes(statement)
    off = {CookieCategory.ADVERTISING.value}
    for cookie in statement.cookies:
        if cookie.purpose in objected:
            off.add(cookie.category.value)
    return sorted(off - {CookieCategory.NECESSARY.value})


def banner_config(
    statement: Statement,
    *,
    endpoint: str,
    policy_url: str,
    style_url: str = "",
    language: str = "en",
    still_valid: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """What the banner shows, in ``language``, and where it records the choice."""
    text = banner_text(language, statement.organisation.name)
    shown = localised(statement, language)  # the cookies' own words in the banner's language
    categories = []
    for category in CookieCategory:
        cookies = [c for c in shown.cookies if c.category == category]
        if not cookies:
            continue
        categories.append(
            {
                "id": category.value,
                "name": text[f"category.{category.value}"],
                "description": text[f"category.{category.value}.description"],
                "required": category == CookieCategory.NECESSARY,
                "cookies": [
                    {
                        "name": c.name,
                        "party": c.party.value,
                        "provider": c.provider,
                        "duration": c.duration.value,
                        "lifetime_days": c.lifetime_days,
                        "purpose": c.description
                        or (shown.purpose(c.purpose).name if c.purpose else ""),
                    }
                    for c in cookies
                ],
            }
        )
    return {
        "tenant": statement.id,
        "version": cookie_section_version(statement),
        "stillValid": list(still_valid),
        "endpoint": endpoint,
        "policyUrl": policy_url,
        "styleUrl": style_url,
        "lang": language,
        "text": {k: v for k, v in text.items() if not k.startswith("category.")},
        "gpcCategories": gpc_categories(statement),
        "categories": categories,
    }


def banner_script(statement: Statement, **config: Any) -> str:
    """The banner's JavaScript with this statement's configuration built in
    (``config``: ``banner_config``'s keywords)."""
    code = banner_asset("cookie-banner.js")
    built = json.dumps(banner_config(statement, **config), ensure_ascii=False)
    # "</" cannot close a script element it is inlined into.
    return code.replace(_PLACEHOLDER, built.replace("</", "<\\/"))


def banner_asset(name: str) -> str:
    """One of the banner's static files (``cookie-banner.js``, ``cookie-banner.css``)."""
    return resources.files("keepfaith.collect").joinpath(f"static/{name}").read_text()
