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

from keepfaith.engine.compile import gpc_purposes
from keepfaith.statement.schema import CookieCategory, Statement

CATEGORY_NAMES = {
    CookieCategory.NECESSARY: "Strictly necessary",
    CookieCategory.FUNCTIONAL: "Functional",
    CookieCategory.ANALYTICS: "Analytics",
    CookieCategory.ADVERTISING: "Advertising",
    CookieCategory.SOCIAL_MEDIA: "Social media",
}
CATEGORY_DESCRIPTIONS = {
    CookieCategory.NECESSARY: "Needed for the site to work; they cannot be switched off.",
    CookieCategory.FUNCTIONAL: "Remember your settings and enable features you ask for.",
    CookieCategory.ANALYTICS: "Count visits and measure how the site is used.",
    CookieCategory.ADVERTISING: "Select and measure advertising.",
    CookieCategory.SOCIAL_MEDIA: "Let you share pages and show content from social networks.",
}
_PLACEHOLDER = "/*KEEPFAITH_CONFIG*/"


def cookie_section_version(statement: Statement) -> str:
    """A short digest of the cookie declarations; it changes when any cookie does."""
    declared = [cookie.model_dump(mode="json", exclude={"clauses"}) for cookie in statement.cookies]
    canonical = json.dumps(declared, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


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


def banner_config(statement: Statement, *, endpoint: str, policy_url: str) -> dict[str, Any]:
    """What the banner shows and where it records the choice."""
    categories = []
    for category in CookieCategory:
        cookies = [c for c in statement.cookies if c.category == category]
        if not cookies:
            continue
        categories.append(
            {
                "id": category.value,
                "name": CATEGORY_NAMES[category],
                "description": CATEGORY_DESCRIPTIONS[category],
                "required": category == CookieCategory.NECESSARY,
                "cookies": [
                    {
                        "name": c.name,
                        "party": c.party.value,
                        "provider": c.provider,
                        "duration": c.duration.value,
                        "lifetime_days": c.lifetime_days,
                        "purpose": c.description
                        or (statement.purpose(c.purpose).name if c.purpose else ""),
                    }
                    for c in cookies
                ],
            }
        )
    return {
        "tenant": statement.id,
        "version": cookie_section_version(statement),
        "endpoint": endpoint,
        "policyUrl": policy_url,
        "intro": (
            f"{statement.organisation.name} uses the cookies below. Choose which you accept; "
            "scripts that set optional cookies run only after you accept their category."
        ),
        "gpcCategories": gpc_categories(statement),
        "categories": categories,
    }


def banner_script(statement: Statement, *, endpoint: str, policy_url: str) -> str:
    """The banner's JavaScript with this statement's configuration built in."""
    code = resources.files("keepfaith.collect").joinpath("static/cookie-banner.js").read_text()
    config = json.dumps(banner_config(statement, endpoint=endpoint, policy_url=policy_url))
    # "</" cannot close a script element it is inlined into.
    return code.replace(_PLACEHOLDER, config.replace("</", "<\\/"))
