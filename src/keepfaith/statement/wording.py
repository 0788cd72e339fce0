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
    ChildRequirement,
    CollectionKind,
    CookieCategory,
    CookieDuration,
    CookieParty,
    DisclosureBasis,
    Handling,
    RecipientKind,
    Region,
    RetentionStart,
    RightKind,
    RightsNotice,
    SignalEffect,
    SignalKind,
    TrackerKind,
    TransferMechanism,
    UnsubscribeRoute,
    Verification,
)

BASIS = {
    Basis.REQUIRED: "needed to provide the service",
    Basis.OPT_IN: "only with your consent",
    Basis.OPT_OUT: "unless you opt out",
    Basis.LEGAL: "when the law requires or permits it",
    Basis.LEGITIMATE_INTEREST: "in our legitimate interest, unless you object",
    Basis.VITAL_INTEREST: "to protect someone's life or safety",
    Basis.PUBLIC_TASK: "to carry out a task in the public interest, unless you object",
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
    RecipientKind.ACCOUNT_PROVIDER: "the organisation that provides your account",
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
    CookieCategory.SOCIAL_MEDIA: "social media",
}

TRACKER_KIND = {
    TrackerKind.COOKIE: "cookie",
    TrackerKind.PIXEL: "pixel (web beacon)",
    TrackerKind.LOCAL_STORAGE: "local storage in your browser",
    TrackerKind.SDK: "software kit in our app",
    TrackerKind.DEVICE_IDENTIFIER: "your device's advertising identifier",
}

RIGHT_KIND = {
    RightKind.CONFIRM: "Ask whether we hold information about you",
    RightKind.ACCESS: "See the information we hold about you",
    RightKind.CORRECT: "Correct information that is wrong",
    RightKind.DELETE: "Have your information deleted",
    RightKind.PORTABILITY: "Receive your information in a portable format",
    RightKind.RESTRICT: "Have us restrict how we use your information",
    RightKind.OBJECT: "Object to a use of your information",
    RightKind.AUTOMATED_DECISIONS: "Not be subject to a decision made by automated means alone",
    RightKind.APPEAL: "Appeal a decision on your request",
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
    UnsubscribeRoute.PRODUCT_SETTING: "a setting in the product",
    UnsubscribeRoute.ACCOUNT_PAGE: "your account page",
    UnsubscribeRoute.WEB_FORM: "a form on our website",
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
    RetentionStart.TRASHED: "after you delete it (to the trash)",
}

TRANSFER_MECHANISM = {
    TransferMechanism.ADEQUACY: "a decision that the country protects data adequately",
    TransferMechanism.SCCS: "the standard contractual clauses approved for such transfers",
    TransferMechanism.BCRS: "binding corporate rules",
    TransferMechanism.FRAMEWORK: "a certification framework",
    TransferMechanism.DEROGATION: "an exception the law allows for a specific situation",
}

SIGNAL_KIND = {
    SignalKind.GPC: "Global Privacy Control",
    SignalKind.DNT: "Do Not Track",
}

SIGNAL_EFFECT = {
    SignalEffect.SALE: "the sale of your information",
    SignalEffect.SHARING: "sharing it for cross-context behavioural advertising",
    SignalEffect.TARGETED_ADVERTISING: "targeted advertising",
}

CHILD_REQUIREMENT = {
    ChildRequirement.PARENTAL_CONSENT: "consent comes from a parent or guardian",
    ChildRequirement.OPT_IN_TO_SALE: "we sell or share their information only if they opt in",
}

REGION = {Region.EU: "the European Union", Region.UK: "the United Kingdom"}

RIGHTS_NOTICE = {
    RightsNotice.ACCESS: "when someone else accesses your information on a request",
    RightsNotice.DISCLOSURE: "when we disclose your information without your consent",
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
    TrackerKind: TRACKER_KIND,
    TransferMechanism: TRANSFER_MECHANISM,
    SignalKind: SIGNAL_KIND,
    SignalEffect: SIGNAL_EFFECT,
    ChildRequirement: CHILD_REQUIREMENT,
    Region: REGION,
    RightsNotice: RIGHTS_NOTICE,
}
"""Each enum and its wording; ``say`` looks values up here."""


def say(value: StrEnum) -> str:
    """The plain words for an enum value (its name, spaced, if none is written yet)."""
    table = TABLES.get(type(value), {})
    return table.get(value, str(value).replace("_", " "))
