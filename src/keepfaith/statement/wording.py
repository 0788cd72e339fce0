"""How the statement's enum values read to people, in plain words.

The declaration says ``basis: opt_out``; the page says "unless you opt out". One table
per enum, so a new value added to the schema shows up here (a test keeps them complete).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from keepfaith.statement.schema import (
    Basis,
    ChangeNotice,
    ChildAction,
    CollectionKind,
    CookieCategory,
    CookieDuration,
    CookieParty,
    DisclosureBasis,
    Handling,
    RecipientKind,
    RetentionStart,
    RightKind,
    UnsubscribeRoute,
    Verification,
)

BASIS = {
    Basis.REQUIRED: "needed to provide the service",
    Basis.OPT_IN: "only with your consent",
    Basis.OPT_OUT: "unless you opt out",
    Basis.LEGAL: "when the law requires or permits it",
}

COLLECTION_KIND = {
    CollectionKind.FORM: "a form you fill in",
    CollectionKind.WIDGET: "a widget on our customers' websites",
    CollectionKind.SERVER_LOG: "recorded automatically by our web servers",
    CollectionKind.COOKIE: "cookies in your browser",
    CollectionKind.MOBILE_APP: "our mobile app",
    CollectionKind.IMPORT: "received from another source",
    CollectionKind.REFERRAL: "given to us by someone who refers you",
    CollectionKind.INTERACTION: "recorded as you talk or write with us, or through our service",
}

RECIPIENT_KIND = {
    RecipientKind.PROCESSOR: "a service provider working on our behalf",
    RecipientKind.AFFILIATE: "a company in our group",
    RecipientKind.PARTNER: "a business partner",
    RecipientKind.SESSION_CUSTOMER: "the customer whose website or session you use",
    RecipientKind.ADVERTISER: "an advertiser",
    RecipientKind.DATACENTRE_OPERATOR: "the operator of our data centre",
    RecipientKind.AUTHORITY: "a public authority",
    RecipientKind.ACQUIRER: "a buyer of our business",
}

COOKIE_PARTY = {
    CookieParty.FIRST: "us",
    CookieParty.THIRD: "a third party",
}

COOKIE_DURATION = {
    CookieDuration.SESSION: "until you close your browser",
    CookieDuration.PERSISTENT: "across visits",
}

COOKIE_CATEGORY = {
    CookieCategory.NECESSARY: "strictly necessary (cannot be refused)",
    CookieCategory.FUNCTIONAL: "functional",
    CookieCategory.ANALYTICS: "analytics",
    CookieCategory.ADVERTISING: "advertising",
}

RIGHT_KIND = {
    RightKind.CONFIRM: "Ask whether we hold information about you",
    RightKind.ACCESS: "See the information we hold about you",
    RightKind.CORRECT: "Correct information that is wrong",
    RightKind.DELETE: "Have your information deleted",
    RightKind.PORTABILITY: "Receive your information in a portable format",
}

HANDLING = {
    Handling.SELF_SERVICE: "you can do this yourself",
    Handling.STAFF: "our staff handle your request",
}

VERIFICATION = {
    Verification.EMAIL_LINK: "a link we send to your email address",
    Verification.LOGIN: "signing in to your account",
    Verification.STAFF: "checks by our staff",
}

UNSUBSCRIBE_ROUTE = {
    UnsubscribeRoute.ONE_CLICK: "the unsubscribe link in every message",
    UnsubscribeRoute.REPLY: 'replying with "unsubscribe" in the subject',
    UnsubscribeRoute.EMAIL_REQUEST: "asking us by email",
    UnsubscribeRoute.PREFERENCE_CENTER: "your privacy center",
}

DISCLOSURE_BASIS = {
    DisclosureBasis.COURT_ORDER: "to comply with a court order",
    DisclosureBasis.LEGAL_PROCESS: "to respond to legal process, such as a subpoena",
    DisclosureBasis.LAW_ENFORCEMENT: "to cooperate with law enforcement",
    DisclosureBasis.PUBLIC_AUTHORITY: "at the lawful request of a public authority",
    DisclosureBasis.PROTECT_RIGHTS: "to protect our rights or property",
    DisclosureBasis.EMERGENCY: "in an emergency, to protect someone's safety",
    DisclosureBasis.ABUSE: "to investigate abuse of our services",
    DisclosureBasis.HARASSMENT: "to stop harassment",
    DisclosureBasis.DISPUTE: "to resolve a dispute",
    DisclosureBasis.FRAUD: "to prevent fraud",
    DisclosureBasis.BUSINESS_TRANSFER: "if our business is merged, sold or transferred",
}

CHANGE_NOTICE = {
    ChangeNotice.EMAIL: "We email the people affected before a material change takes effect, "
    "and post the new version here.",
    ChangeNotice.POST: "We post the new version on this page; we do not send messages.",
    ChangeNotice.NONE: "This statement may change without prior notice.",
}

RETENTION_START = {
    RetentionStart.COLLECTION: "after we collect it",
    RetentionStart.ACCOUNT_CLOSED: "after your account is closed",
    RetentionStart.LAST_ACTIVITY: "after your last activity",
}

CHILD_ACTION = {
    ChildAction.DELETE: "delete the information",
    ChildAction.DEACTIVATE: "deactivate the account",
}

# Keys are the enum's own members; Mapping's key type is invariant, hence Any.
TABLES: dict[type[StrEnum], Mapping[Any, str]] = {
    Basis: BASIS,
    CollectionKind: COLLECTION_KIND,
    RecipientKind: RECIPIENT_KIND,
    CookieParty: COOKIE_PARTY,
    CookieDuration: COOKIE_DURATION,
    CookieCategory: COOKIE_CATEGORY,
    RightKind: RIGHT_KIND,
    Handling: HANDLING,
    Verification: VERIFICATION,
    UnsubscribeRoute: UNSUBSCRIBE_ROUTE,
    DisclosureBasis: DISCLOSURE_BASIS,
    ChangeNotice: CHANGE_NOTICE,
    RetentionStart: RETENTION_START,
    ChildAction: CHILD_ACTION,
}
"""Each enum and its wording; ``say`` looks values up here."""


def say(value: StrEnum) -> str:
    """The plain words for an enum value (its name, spaced, if none is written yet)."""
    table = TABLES.get(type(value), {})
    return table.get(value, str(value).replace("_", " "))
