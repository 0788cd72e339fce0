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
from keepfaith.statement.words import N_, _

BASIS = {
    Basis.REQUIRED: N_("needed to provide the service"),
    Basis.OPT_IN: N_("only with your consent"),
    Basis.OPT_OUT: N_("unless you opt out"),
    Basis.LEGAL: N_("when the law requires or permits it"),
    Basis.LEGITIMATE_INTEREST: N_("in our legitimate interest, unless you object"),
    Basis.VITAL_INTEREST: N_("to protect someone's life or safety"),
    Basis.PUBLIC_TASK: N_("to carry out a task in the public interest, unless you object"),
}

COLLECTION_KIND = {
    CollectionKind.FORM: N_("a form you fill in"),
    CollectionKind.WIDGET: N_("a widget on our customers' websites"),
    CollectionKind.SERVER_LOG: N_("recorded automatically by our web servers"),
    CollectionKind.COOKIE: N_("cookies in your browser"),
    CollectionKind.MOBILE_APP: N_("our mobile app"),
    CollectionKind.IMPORT: N_("received from another source"),
    CollectionKind.REFERRAL: N_("given to us by someone who refers you"),
    CollectionKind.INTERACTION: N_("recorded as you talk or write with us, or through our service"),
}

RECIPIENT_KIND = {
    RecipientKind.PROCESSOR: N_("a service provider working on our behalf"),
    RecipientKind.AFFILIATE: N_("a company in our group"),
    RecipientKind.PARTNER: N_("a business partner"),
    RecipientKind.SESSION_CUSTOMER: N_("the customer whose website or session you use"),
    RecipientKind.ADVERTISER: N_("an advertiser"),
    RecipientKind.DATACENTRE_OPERATOR: N_("the operator of our data centre"),
    RecipientKind.AUTHORITY: N_("a public authority"),
    RecipientKind.ACQUIRER: N_("a buyer of our business"),
    RecipientKind.ACCOUNT_PROVIDER: N_("the organisation that provides your account"),
}

COOKIE_PARTY = {
    CookieParty.FIRST: N_("us"),
    CookieParty.THIRD: N_("a third party"),
}

COOKIE_DURATION = {
    CookieDuration.SESSION: N_("until you close your browser"),
    CookieDuration.PERSISTENT: N_("across visits"),
}

COOKIE_CATEGORY = {
    CookieCategory.NECESSARY: N_("strictly necessary (cannot be refused)"),
    CookieCategory.FUNCTIONAL: N_("functional"),
    CookieCategory.ANALYTICS: N_("analytics"),
    CookieCategory.ADVERTISING: N_("advertising"),
    CookieCategory.SOCIAL_MEDIA: N_("social media"),
}

TRACKER_KIND = {
    TrackerKind.COOKIE: N_("cookie"),
    TrackerKind.PIXEL: N_("pixel (web beacon)"),
    TrackerKind.LOCAL_STORAGE: N_("local storage in your browser"),
    TrackerKind.SDK: N_("software kit in our app"),
    TrackerKind.DEVICE_IDENTIFIER: N_("your device's advertising identifier"),
}

RIGHT_KIND = {
    RightKind.CONFIRM: N_("Ask whether we hold information about you"),
    RightKind.ACCESS: N_("See the information we hold about you"),
    RightKind.CORRECT: N_("Correct information that is wrong"),
    RightKind.DELETE: N_("Have your information deleted"),
    RightKind.PORTABILITY: N_("Receive your information in a portable format"),
    RightKind.RESTRICT: N_("Have us restrict how we use your information"),
    RightKind.OBJECT: N_("Object to a use of your information"),
    RightKind.AUTOMATED_DECISIONS: N_("Not be subject to a decision made by automated means alone"),
    RightKind.APPEAL: N_("Appeal a decision on your request"),
}

HANDLING = {
    Handling.SELF_SERVICE: N_("you can do this yourself"),
    Handling.STAFF: N_("our staff handle your request"),
}

VERIFICATION = {
    Verification.EMAIL_LINK: N_("a link we send to your email address"),
    Verification.LOGIN: N_("signing in to your account"),
    Verification.STAFF: N_("checks by our staff"),
}

UNSUBSCRIBE_ROUTE = {
    UnsubscribeRoute.ONE_CLICK: N_("the unsubscribe link in every message"),
    UnsubscribeRoute.REPLY: N_('replying with "unsubscribe" in the subject'),
    UnsubscribeRoute.EMAIL_REQUEST: N_("asking us by email"),
    UnsubscribeRoute.PREFERENCE_CENTER: N_("your privacy center"),
    UnsubscribeRoute.PRODUCT_SETTING: N_("a setting in the product"),
    UnsubscribeRoute.ACCOUNT_PAGE: N_("your account page"),
    UnsubscribeRoute.WEB_FORM: N_("a form on our website"),
}

DISCLOSURE_BASIS = {
    DisclosureBasis.COURT_ORDER: N_("to comply with a court order"),
    DisclosureBasis.LEGAL_PROCESS: N_("to respond to legal process, such as a subpoena"),
    DisclosureBasis.LAW_ENFORCEMENT: N_("to cooperate with law enforcement"),
    DisclosureBasis.PUBLIC_AUTHORITY: N_("at the lawful request of a public authority"),
    DisclosureBasis.PROTECT_RIGHTS: N_("to protect our rights or property"),
    DisclosureBasis.EMERGENCY: N_("in an emergency, to protect someone's safety"),
    DisclosureBasis.ABUSE: N_("to investigate abuse of our services"),
    DisclosureBasis.HARASSMENT: N_("to stop harassment"),
    DisclosureBasis.DISPUTE: N_("to resolve a dispute"),
    DisclosureBasis.FRAUD: N_("to prevent fraud"),
    DisclosureBasis.BUSINESS_TRANSFER: N_("if our business is merged, sold or transferred"),
}

CHANGE_NOTICE = {
    ChangeNotice.EMAIL: N_(
        "We email the people affected before a material change takes effect, "
        "and post the new version here."
    ),
    ChangeNotice.POST: N_("We post the new version on this page; we do not send messages."),
    ChangeNotice.NONE: N_("This statement may change without prior notice."),
}

RETENTION_START = {
    RetentionStart.COLLECTION: N_("after we collect it"),
    RetentionStart.ACCOUNT_CLOSED: N_("after your account is closed"),
    RetentionStart.LAST_ACTIVITY: N_("after your last activity"),
    RetentionStart.TRASHED: N_("after you delete it (to the trash)"),
}

TRANSFER_MECHANISM = {
    TransferMechanism.ADEQUACY: N_("a decision that the country protects data adequately"),
    TransferMechanism.SCCS: N_("the standard contractual clauses approved for such transfers"),
    TransferMechanism.BCRS: N_("binding corporate rules"),
    TransferMechanism.FRAMEWORK: N_("a certification framework"),
    TransferMechanism.DEROGATION: N_("an exception the law allows for a specific situation"),
}

SIGNAL_KIND = {
    SignalKind.GPC: N_("Global Privacy Control"),
    SignalKind.DNT: N_("Do Not Track"),
}

SIGNAL_EFFECT = {
    SignalEffect.SALE: N_("the sale of your information"),
    SignalEffect.SHARING: N_("sharing it for cross-context behavioural advertising"),
    SignalEffect.TARGETED_ADVERTISING: N_("targeted advertising"),
}

CHILD_REQUIREMENT = {
    ChildRequirement.PARENTAL_CONSENT: N_("consent comes from a parent or guardian"),
    ChildRequirement.OPT_IN_TO_SALE: N_("we sell or share their information only if they opt in"),
}

REGION = {Region.EU: N_("the European Union"), Region.UK: N_("the United Kingdom")}

RIGHTS_NOTICE = {
    RightsNotice.ACCESS: N_("when someone else accesses your information on a request"),
    RightsNotice.DISCLOSURE: N_("when we disclose your information without your consent"),
}

CHILD_ACTION = {
    ChildAction.DELETE: N_("delete the information"),
    ChildAction.DEACTIVATE: N_("deactivate the account"),
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
    """The plain words for an enum value in the page's language (its name, spaced, if
    none is written yet)."""
    table = TABLES.get(type(value), {})
    written = table.get(value)
    return _(written) if written else str(value).replace("_", " ")
