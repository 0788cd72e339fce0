"""The shape of a privacy statement, section by section.

A ``Statement`` is what a company promises, as data. Its sections follow what privacy
statements say: who the organisation is, whose data it holds, which categories it
collects where, for which purposes and on which basis, whom it shares them with,
which cookies it sets, which rights people have, how long it keeps data, what it does
about children, how it announces changes and how complaints are handled.

Every element may list the clause ids it implements (``clauses: [PA-30]``) so that a
reader can trace each promise from the seed text to the declaration.

The models are strict: an unknown key or a wrong type is an error, never ignored.
References between sections (a purpose naming a category, a recipient naming a
purpose) are checked by ``keepfaith.statement.references`` after parsing, so that each
can be reported at its own line.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ClauseId = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-\d{2}$")]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
CategoryKey = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=128)
]
"""A data-category key, dotted like the fideslang taxonomy (``user.contact.email``)."""

TECHNICAL_CATEGORY_PREFIXES = ("user.device.", "system.")
"""Categories that describe a device or connection rather than a person's own words."""

NATIONAL_ID_CATEGORY = "user.government_id.national_identification_number"


def is_technical(category: str) -> bool:
    """Whether a category key describes the device or connection (browser, IP, OS)."""
    return category.startswith(TECHNICAL_CATEGORY_PREFIXES)


class Element(BaseModel):
    """Base of every section: strict, immutable, and traceable to clauses."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    clauses: tuple[ClauseId, ...] = ()
    """Ids of the seed clauses this element implements (``[ES-10, ES-11]``)."""


# --------------------------------------------------------------------------- enums


class Basis(StrEnum):
    """Why a use of personal data is allowed."""

    REQUIRED = "required"
    """Needed to give the service; allowed while the relationship lasts."""
    OPT_IN = "opt_in"
    """Only after the person gave explicit consent, until they withdraw it."""
    OPT_OUT = "opt_out"
    """Allowed until the person objects."""
    LEGAL = "legal"
    """Required or permitted by law."""


class CollectionKind(StrEnum):
    FORM = "form"
    WIDGET = "widget"
    SERVER_LOG = "server_log"
    COOKIE = "cookie"
    MOBILE_APP = "mobile_app"
    IMPORT = "import"
    REFERRAL = "referral"
    INTERACTION = "interaction"
    """Recorded while the person talks or writes with staff, or through the service
    (support calls and chats, email correspondence), rather than typed into a form."""


class RecipientKind(StrEnum):
    PROCESSOR = "processor"
    AFFILIATE = "affiliate"
    PARTNER = "partner"
    SESSION_CUSTOMER = "session_customer"
    ADVERTISER = "advertiser"
    DATACENTRE_OPERATOR = "datacentre_operator"
    AUTHORITY = "authority"
    ACQUIRER = "acquirer"


class CookieParty(StrEnum):
    FIRST = "first"
    THIRD = "third"


class CookieDuration(StrEnum):
    SESSION = "session"
    PERSISTENT = "persistent"


class CookieCategory(StrEnum):
    """The banner groups cookies by these; ``necessary`` cannot be refused."""

    NECESSARY = "necessary"
    FUNCTIONAL = "functional"
    ANALYTICS = "analytics"
    ADVERTISING = "advertising"


class RightKind(StrEnum):
    CONFIRM = "confirm"
    ACCESS = "access"
    CORRECT = "correct"
    DELETE = "delete"
    PORTABILITY = "portability"


class Handling(StrEnum):
    SELF_SERVICE = "self_service"
    STAFF = "staff"


class Verification(StrEnum):
    EMAIL_LINK = "email_link"
    LOGIN = "login"
    STAFF = "staff"


class UnsubscribeRoute(StrEnum):
    ONE_CLICK = "one_click"
    """A link in every message (RFC 8058 List-Unsubscribe-Post)."""
    REPLY = "reply"
    """Replying with "unsubscribe" in the subject."""
    EMAIL_REQUEST = "email_request"
    PREFERENCE_CENTER = "preference_center"


class DisclosureBasis(StrEnum):
    """Grounds on which data may be disclosed without the person's consent."""

    COURT_ORDER = "court_order"
    LEGAL_PROCESS = "legal_process"
    LAW_ENFORCEMENT = "law_enforcement"
    PUBLIC_AUTHORITY = "public_authority"
    PROTECT_RIGHTS = "protect_rights"
    EMERGENCY = "emergency"
    ABUSE = "abuse"
    HARASSMENT = "harassment"
    DISPUTE = "dispute"
    FRAUD = "fraud"
    BUSINESS_TRANSFER = "business_transfer"


class ChangeNotice(StrEnum):
    EMAIL = "email"
    """Email the people affected (posting when there is no address)."""
    POST = "post"
    """Post the new version; no message is sent."""
    NONE = "none"
    """The statement may change without prior notice."""


class RetentionStart(StrEnum):
    COLLECTION = "collection"
    ACCOUNT_CLOSED = "account_closed"
    LAST_ACTIVITY = "last_activity"


class ChildAction(StrEnum):
    DELETE = "delete"
    DEACTIVATE = "deactivate"


# --------------------------------------------------------------------------- sections


class Contact(Element):
    role: Identifier
    """What the contact is for: ``privacy``, ``support``, ``general``..."""
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    url: str | None = None


class Organisation(Element):
    name: str
    website: str | None = None
    address: str | None = None
    description: str | None = None
    contacts: tuple[Contact, ...] = Field(min_length=1)


class Scope(Element):
    """What the statement covers, and what it explicitly does not."""

    covers: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()


class SubjectKind(Element):
    id: Identifier
    name: str
    description: str | None = None


class Category(Element):
    id: CategoryKey
    name: str
    description: str | None = None
    sensitive: bool = False
    """Encrypted at rest and never used beyond its declared purposes."""
    commercial_use: bool = True
    """``false``: the engine refuses every commercial purpose for this category."""


class FormField(Element):
    """One field of a collection point."""

    name: Identifier
    category: CategoryKey
    label: str | None = None
    required: bool = False
    free_text: bool = False
    """Free text is scanned for national-identity-like numbers, which are redacted."""


class CollectionPoint(Element):
    id: Identifier
    kind: CollectionKind
    name: str
    description: str | None = None
    subjects: tuple[Identifier, ...] = Field(min_length=1)
    fields: tuple[FormField, ...] = Field(min_length=1)
    purposes: tuple[Identifier, ...] = Field(min_length=1)
    """The purposes stated to the person at this point; records keep them."""
    source: str | None = None
    """For ``import``: the outside source the data comes from."""
    voluntary: bool = False
    """Giving data here is optional for the person (a survey)."""
    commercial_use: bool = True
    """``false``: data from this point is never used for a commercial purpose."""
    consent_for: tuple[Identifier, ...] = ()
    """Opt-in purposes this point offers an unticked checkbox for."""
    detached: bool = False
    """Records are stored without a link to the person (feedback)."""
    single_use: bool = False
    """The data is used for one message and not kept (email this page)."""
    campaign_parameters: tuple[str, ...] = ()
    """For ``server_log``: query parameters kept on page statistics (``utm_source``);
    every other part of a query string is dropped."""


class Purpose(Element):
    id: Identifier
    name: str
    description: str | None = None
    basis: Basis
    categories: tuple[CategoryKey, ...] = Field(min_length=1)
    commercial: bool = False
    marketing: bool = False
    advertising: bool = False
    sale: bool = False
    """Selling or sharing for value; a Global Privacy Control signal objects to it."""
    unsubscribe: tuple[UnsubscribeRoute, ...] = ()
    preference_center: bool = False
    """The person can give or withdraw this choice in the privacy center."""


class Recipient(Element):
    id: Identifier
    name: str
    kind: RecipientKind
    description: str | None = None
    categories: tuple[CategoryKey, ...] = ()
    purposes: tuple[Identifier, ...] = ()
    basis: Basis
    countries: tuple[str, ...] = ()
    collection_points: tuple[Identifier, ...] = ()
    """If set, only data collected at these points may reach this recipient."""
    under_contract: bool = False
    """Bound by contract to confidentiality and to the task (processors)."""


class Cookie(Element):
    name: str
    party: CookieParty
    provider: str | None = None
    duration: CookieDuration
    lifetime_days: int | None = Field(default=None, ge=1)
    purpose: Identifier | None = None
    category: CookieCategory
    description: str | None = None


class Right(Element):
    kind: RightKind
    handling: Handling
    response_days: int | None = Field(default=None, ge=1)
    description: str | None = None


class Hold(Element):
    reason: Identifier
    description: str


class Rights(Element):
    response_days: int = Field(ge=1)
    verification: tuple[Verification, ...] = Field(min_length=1)
    requests: tuple[Right, ...] = Field(min_length=1)
    holds: tuple[Hold, ...] = ()
    archive_note: str | None = None
    corrections_reach_recipients: bool = True
    """``false``: a correction says which past recipients it could not reach."""


class RetentionRule(Element):
    categories: tuple[CategoryKey, ...] = ()
    data: Identifier | None = None
    """A non-category record kind, such as ``visit_statistics``."""
    days: int | None = Field(default=None, ge=0)
    """``None`` keeps the data for as long as the start event has not happened."""
    after: RetentionStart = RetentionStart.COLLECTION
    description: str | None = None


class Children(Element):
    minimum_age: int = Field(ge=0)
    on_actual_knowledge: ChildAction = ChildAction.DELETE
    description: str | None = None


class Changes(Element):
    notify: ChangeNotice
    email_effective_days: int | None = Field(default=None, ge=0)
    """Days after the email at which a material change takes effect for the person."""
    post_effective_days: int | None = Field(default=None, ge=0)
    """Days after posting at which it takes effect for people without an email notice."""
    acknowledgement_takes_effect: bool = False
    """The change takes effect for a person as soon as they acknowledge it."""
    continued_use_is_acceptance: bool = False
    choice_on_new_use: bool = False
    """A materially different use is offered to the person as a choice."""
    description: str | None = None


class IndependentBody(Element):
    name: str
    url: str | None = None
    email: str | None = None


class Complaints(Element):
    acknowledge_days: int = Field(ge=1)
    resolve_days: int | None = Field(default=None, ge=1)
    contact: Identifier
    """The role of the organisation contact that receives complaints."""
    independent_body: IndependentBody | None = None
    description: str | None = None


class LegalDisclosure(Element):
    basis: DisclosureBasis
    description: str


class Sharing(Element):
    sells_personal_data: bool = False
    commercial_sharing: bool = False
    """Whether personal data may go to third parties for their commercial purposes."""
    description: str | None = None


class Transfers(Element):
    countries: tuple[str, ...] = ()
    mechanism: str | None = None
    description: str | None = None


class AnonymousData(Element):
    method: str
    """How identifiers are removed."""
    may_disclose: bool = True


class Security(Element):
    measures: tuple[str, ...] = Field(min_length=1)


class Notice(Element):
    """A promise the system need not enforce but must tell people."""

    id: Identifier
    title: str
    text: str


class Statement(Element):
    """A whole privacy statement, one version of one organisation's promises."""

    keepfaith: int = Field(ge=1, le=1)
    """Format version of this file."""
    id: Identifier
    """The tenant this statement governs."""
    version: str
    effective: dt.date
    title: str | None = None
    summary: str | None = None
    organisation: Organisation
    scope: Scope | None = None
    subject_kinds: tuple[SubjectKind, ...] = Field(min_length=1)
    categories: tuple[Category, ...] = Field(min_length=1)
    collection_points: tuple[CollectionPoint, ...] = Field(min_length=1)
    purposes: tuple[Purpose, ...] = Field(min_length=1)
    recipients: tuple[Recipient, ...] = ()
    cookies: tuple[Cookie, ...] = ()
    rights: Rights
    retention: tuple[RetentionRule, ...] = ()
    children: Children | None = None
    changes: Changes
    complaints: Complaints | None = None
    sharing: Sharing = Sharing()
    legal_disclosures: tuple[LegalDisclosure, ...] = ()
    transfers: Transfers | None = None
    anonymous_data: AnonymousData | None = None
    security: Security
    notices: tuple[Notice, ...] = ()

    # Look-ups by id; cheap enough to compute on demand for a statement's size.
    def category(self, key: str) -> Category:
        return next(c for c in self.categories if c.id == key)

    def purpose(self, purpose_id: str) -> Purpose:
        return next(p for p in self.purposes if p.id == purpose_id)

    def recipient(self, recipient_id: str) -> Recipient:
        return next(r for r in self.recipients if r.id == recipient_id)

    def collection_point(self, point_id: str) -> CollectionPoint:
        return next(p for p in self.collection_points if p.id == point_id)

    def cookie_served_purposes(self) -> set[str]:
        """Purposes a cookie that is not strictly necessary serves: such a cookie is set
        only after consent, so their cookie data is used only with it."""
        return {
            c.purpose
            for c in self.cookies
            if c.purpose is not None and c.category is not CookieCategory.NECESSARY
        }

    def declared_clauses(self) -> set[str]:
        """Every clause id named anywhere in the statement."""
        return set(_clauses_in(self))


def _clauses_in(element: BaseModel) -> list[str]:
    found: list[str] = list(getattr(element, "clauses", ()))
    for name in type(element).model_fields:
        value = getattr(element, name)
        children = value if isinstance(value, tuple) else (value,)
        for child in children:
            if isinstance(child, BaseModel):
                found.extend(_clauses_in(child))
    return found
