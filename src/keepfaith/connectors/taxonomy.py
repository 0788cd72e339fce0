"""The fideslang data categories: which keys exist, which are sensitive, which cover which.

Keys are checked against the taxonomy the fideslang package ships, so a map never names
a category Fides (or a statement written against Fides' keys) would not know.
"""

from __future__ import annotations

from functools import cache

SENSITIVE_PREFIXES = (
    "user.financial",
    "user.payment",
    "user.health_and_medical",
    "user.biometric",
    "user.authorization.biometric",
    "user.government_id",
    "user.location.precise",
    "user.childrens",
    "user.criminal_history",
    "user.demographic.race_ethnicity",
    "user.demographic.religious_belief",
    "user.demographic.political_opinion",
    "user.demographic.sexual_orientation",
    "user.authorization.password",
)
"""Payment, health, government identifiers, precise location, children's data, the
special categories of GDPR article 9, and secrets: what the statement's encryption and
retention rules must cover."""

NOT_PERSONAL = "system.operations"
"""The key Fides gives a field that holds no personal data (ids, flags, timestamps)."""


@cache
def categories() -> dict[str, str]:
    """Every data category of fideslang's default taxonomy: key to description."""
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    return {c.fides_key: c.description or "" for c in DEFAULT_TAXONOMY.data_category}


def is_category(key: str) -> bool:
    """Whether ``key`` is a data category of fideslang's taxonomy."""
    return key in categories()


def is_personal(key: str) -> bool:
    """Whether the category describes a person (``user.*``) rather than the system."""
    return key == "user" or key.startswith("user.")


def is_sensitive(key: str) -> bool:
    """Whether the category is sensitive (see ``SENSITIVE_PREFIXES``)."""
    return any(key == p or key.startswith(p + ".") for p in SENSITIVE_PREFIXES)


def covers(declared: str, held: str) -> bool:
    """Whether a declared category covers a held one: itself or an ancestor of it."""
    return held == declared or held.startswith(declared + ".")
