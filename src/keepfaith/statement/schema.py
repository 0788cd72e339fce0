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
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ClauseId = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-\d{2,4}$")]
"""A clause id: two letters and two to four digits (``ES-10``, ``MO-104``)."""
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
CategoryKey = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=128)
]
"""A data-category key, dotted like the fideslang taxonomy (``user.contact.email``)."""
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
"""A BCP 47 language tag: ``en``, ``de``, ``pt-BR``."""

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
    """Required or permitted by law (a legal obligation)."""
    LEGITIMATE_INTEREST = "legitimate_interest"
    """Our legitimate interest (stated in ``interest``); the person may object."""
    VITAL_INTEREST = "vital_interest"
    """To protect someone's life or physical safety."""
    PUBLIC_TASK = "public_task"
    """A task in the public interest; the person may object."""


OBJECTABLE = frozenset({Basis.LEGITIMATE_INTEREST, Basis.PUBLIC_TASK})
"""Bases a person may object to (GDPR art. 21): the engine stops on objection."""
CHOOSABLE = frozenset({Basis.OPT_IN, Basis.OPT_OUT}) | OBJECTABLE
"""Bases on which the person's choice decides."""


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
    ACCOUNT_PROVIDER = "account_provider"
    """The organisation that provides the person's account (an employer, a school)."""


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
    SOCIAL_MEDIA = "social_media"


class TrackerKind(StrEnum):
    """How a tracker stores or reads its identifier; all are declared under ``cookies``."""

    COOKIE = "cookie"
    PIXEL = "pixel"
    LOCAL_STORAGE = "local_storage"
    SDK = "sdk"
    DEVICE_IDENTIFIER = "device_identifier"


class RightKind(StrEnum):
    CONFIRM = "confirm"
    ACCESS = "access"
    CORRECT = "correct"
    DELETE = "delete"
    PORTABILITY = "portability"
    RESTRICT = "restrict"
    OBJECT = "object"
    AUTOMATED_DECISIONS = "automated_decisions"
    """Not to be subject to a decision based solely on automated processing."""
    APPEAL = "appeal"
    """Appeal a request we denied."""


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
    PRODUCT_SETTING = "product_setting"
    """A setting in the product itself."""
    ACCOUNT_PAGE = "account_page"
    """A page of the person's account."""
    WEB_FORM = "web_form"
    """A form on the website (a "Do not sell or share" link)."""


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
    TRASHED = "trashed"
    """When the person deletes it, to the trash."""


class TransferMechanism(StrEnum):
    """The safeguard a transfer abroad rests on."""

    ADEQUACY = "adequacy"
    SCCS = "sccs"
    BCRS = "bcrs"
    FRAMEWORK = "framework"
    DEROGATION = "derogation"


class SignalKind(StrEnum):
    GPC = "gpc"
    """Global Privacy Control (``Sec-GPC: 1``)."""
    DNT = "dnt"
    """Do Not Track (``DNT: 1``)."""


class SignalEffect(StrEnum):
    SALE = "sale"
    SHARING = "sharing"
    """Sharing for cross-context behavioural advertising."""
    TARGETED_ADVERTISING = "targeted_advertising"


class ChildRequirement(StrEnum):
    PARENTAL_CONSENT = "parental_consent"
    """Consent comes from a parent or guardian."""
    OPT_IN_TO_SALE = "opt_in_to_sale"
    """Selling or sharing needs the person's (or a parent's) opt-in."""


class Region(StrEnum):
    EU = "eu"
    UK = "uk"


class RightsNotice(StrEnum):
    ACCESS = "access"
    """We tell the person when their data is accessed on a request by someone else."""
    DISCLOSURE = "disclosure"
    """We tell the person when we disclose their data without their consent."""


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


class Representative(Element):
    """The organisation's representative in the EU or the UK (GDPR art. 27)."""

    region: Region
    name: str
    address: str | None = None
    email: str | None = None
    url: str | None = None


class Organisation(Element):
    name: str
    website: str | None = None
    address: str | None = None
    description: str | None = None
    contacts: tuple[Contact, ...] = Field(min_length=1)
    data_protection_officer: Contact | None = None
    representatives: tuple[Representative, ...] = ()
    colour: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    """The organisation's own colour (``#0b5cad``): links, buttons and focus rings on
    its people's pages and its console."""


class Jurisdiction(Element):
    """Where a person is, for the rules that differ by place (EEA/UK, California...)."""

    id: Identifier
    name: str
    regions: tuple[str, ...] = Field(min_length=1)
    """ISO 3166 codes (``DE``, ``US-CA``) a person's region is matched against."""
    law: str | None = None
    """The law that applies there, as people know it (``GDPR``, ``CCPA as amended by CPRA``)."""
    response_days: int | None = Field(default=None, ge=1)
    """Days to answer a rights request from someone there (overrides ``rights``)."""
    transfers_need_safeguard: bool = False
    """Data of people here goes abroad only under a declared ``transfers.flows`` entry."""


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
    derived_from: tuple[CategoryKey, ...] = ()
    """Made from other categories (a hashed email address); needs no collection point."""


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


class OptOut(Element):
    """One way to opt out or object, in the person's own words."""

    route: UnsubscribeRoute
    where: str | None = None
    """Where to find it (``Settings > Privacy``)."""
    url: str | None = None


class Purpose(Element):
    id: Identifier
    name: str
    description: str | None = None
    basis: Basis
    bases: dict[Identifier, Basis] = Field(default_factory=dict)
    """The basis in particular jurisdictions (``{eea: opt_in}``), over ``basis``."""
    interest: str | None = None
    """For ``legitimate_interest``: the interest, stated."""
    categories: tuple[CategoryKey, ...] = Field(min_length=1)
    commercial: bool = False
    marketing: bool = False
    advertising: bool = False
    sale: bool = False
    """Selling personal data (for money or other value); GPC objects to it."""
    shares_for_advertising: bool = False
    """Sharing for cross-context behavioural advertising (CPRA); GPC objects to it."""
    unsubscribe: tuple[UnsubscribeRoute, ...] = ()
    opt_out: tuple[OptOut, ...] = ()
    """Ways to opt out or object besides ``unsubscribe`` (a product setting...)."""
    preference_center: bool = False
    """The person can give or withdraw this choice in the privacy center."""
    service: bool = False
    """Service communications (SC-07): messages of this purpose reach active customers
    after a marketing opt-out, carry no unsubscribe, and stop when the account closes."""


class Recipient(Element):
    id: Identifier
    name: str
    kind: RecipientKind
    description: str | None = None
    categories: tuple[CategoryKey, ...] = ()
    purposes: tuple[Identifier, ...] = ()
    basis: Basis
    countries: tuple[str, ...] = ()
    """Countries (ISO codes) where it processes or stores the data it receives."""
    mechanism: TransferMechanism | None = None
    """The safeguard transfers to it abroad rest on (when no ``transfers.flows`` entry
    names it): adequacy, standard contractual clauses, a framework certification."""
    framework: str | None = None
    """For ``mechanism: framework``: which one (``EU-U.S. Data Privacy Framework``)."""
    collection_points: tuple[Identifier, ...] = ()
    """If set, only data collected at these points may reach this recipient."""
    under_contract: bool = False
    """Bound by contract to confidentiality and to the task (processors)."""
    own_purposes: bool = False
    """Receives data for its own purposes (not only to serve us)."""


class Cookie(Element):
    """A cookie, or another tracker (``kind``: pixel, local storage, SDK, device id)."""

    name: str
    kind: TrackerKind = TrackerKind.COOKIE
    party: CookieParty
    provider: str | None = None
    duration: CookieDuration
    lifetime_days: int | None = Field(default=None, ge=1)
    purpose: Identifier | None = None
    category: CookieCategory
    description: str | None = None
    sites: tuple[str, ...] = ()
    """Only on these of the company's sites (every site when empty)."""


class Right(Element):
    kind: RightKind
    handling: Handling
    response_days: int | None = Field(default=None, ge=1)
    description: str | None = None
    jurisdictions: tuple[Identifier, ...] = ()
    """Only for people there (everyone when empty)."""


class Hold(Element):
    reason: Identifier
    description: str
    categories: tuple[CategoryKey, ...] = ()
    """What the reason keeps (a key covers its sub-categories): an erasure under this hold
    erases the rest. Empty: it keeps every category."""


class Rights(Element):
    response_days: int | None = Field(default=None, ge=1)
    """Days to answer a request; no deadline is promised when absent."""
    verification: tuple[Verification, ...] = Field(min_length=1)
    requests: tuple[Right, ...] = Field(min_length=1)
    holds: tuple[Hold, ...] = ()
    archive_note: str | None = None
    corrections_reach_recipients: bool = True
    """``false``: a correction says which past recipients it could not reach."""
    extension_days: int | None = Field(default=None, ge=1)
    """How many days longer a request may take when it is complex (we tell you why)."""
    free_requests: int | None = Field(default=None, ge=1)
    """Requests a person may make free of charge per ``quota_days``."""
    quota_days: int = Field(default=365, ge=1)
    agents: bool = False
    """An authorised agent may make a request for the person (with written permission)."""
    deletion_reaches_recipients: bool = False
    """A deletion is passed on to every recipient that received the data."""
    tell_person: tuple[RightsNotice, ...] = ()
    """Events we tell the person of (an access by others, a disclosure)."""


class RetentionStage(Element):
    """Where data stays after its period ends, until deleted for good (trash, backups)."""

    name: Identifier
    days: int | None = Field(default=None, ge=0)
    hours: int | None = Field(default=None, ge=0)
    description: str | None = None


class RetentionRule(Element):
    categories: tuple[CategoryKey, ...] = ()
    data: Identifier | None = None
    """A non-category record kind, such as ``visit_statistics``."""
    days: int | None = Field(default=None, ge=0)
    """``None`` keeps the data for as long as the start event has not happened."""
    hours: int | None = Field(default=None, ge=0)
    """Added to ``days``: periods shorter than a day (``hours: 12``)."""
    after: RetentionStart = RetentionStart.COLLECTION
    description: str | None = None
    stages: tuple[RetentionStage, ...] = ()
    """After the period, in order (trash, then backups)."""
    recipient: Identifier | None = None
    """Retention at this recipient, rather than ours."""


class ChildRule(Element):
    """A rule for people under an age (GDPR art. 8 under 16, CCPA sale under 16)."""

    under: int = Field(ge=1, le=21)
    requires: ChildRequirement
    jurisdictions: tuple[Identifier, ...] = ()
    description: str | None = None


class Children(Element):
    minimum_age: int | None = Field(default=None, ge=0)
    """Nobody younger may give us data; ``None`` sets no minimum age."""
    age_gate: bool | None = None
    """Forms ask the age; by default exactly when ``minimum_age`` is set."""
    on_actual_knowledge: ChildAction = ChildAction.DELETE
    description: str | None = None
    rules: tuple[ChildRule, ...] = ()

    @property
    def asks_age(self) -> bool:
        """Whether forms ask the person's age (the age gate)."""
        return self.minimum_age is not None if self.age_gate is None else self.age_gate


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
    notice_purpose: Identifier | None = None
    """The declared purpose a change notice is emailed under (a service message); without
    one, people are told by posting alone."""
    description: str | None = None


class IndependentBody(Element):
    name: str
    url: str | None = None
    email: str | None = None
    jurisdictions: tuple[Identifier, ...] = ()
    """For people there (everyone when empty)."""


class Complaints(Element):
    acknowledge_days: int | None = Field(default=None, ge=1)
    """Days to acknowledge a complaint; no deadline is promised when absent."""
    resolve_days: int | None = Field(default=None, ge=1)
    contact: Identifier
    """The role of the organisation contact that receives complaints."""
    independent_body: IndependentBody | None = None
    bodies: tuple[IndependentBody, ...] = ()
    """Further bodies (a supervisory authority per jurisdiction)."""
    escalation: tuple[str, ...] = ()
    """The steps, in order, if a complaint is not resolved."""
    share_text_with_body: bool = False
    """An escalated complaint's email to the body carries the person's own words;
    otherwise only its reference and dates."""
    description: str | None = None


class LegalDisclosure(Element):
    basis: DisclosureBasis
    description: str
    conditions: tuple[str, ...] = ()
    """What must hold before we disclose (a valid order, narrowest scope)."""
    requires_document: bool = False
    """Disclosed only against a document whose reference is recorded."""
    notify_person: bool = False
    """We tell the person, unless the law forbids it."""


class Sharing(Element):
    sells_personal_data: bool = False
    shares_for_advertising: bool = False
    """Shares personal data for cross-context behavioural advertising (CPRA "sharing")."""
    discloses_for_own_purposes: bool = False
    """Discloses personal data to third parties for those parties' own purposes."""
    commercial_sharing: bool = False
    """Whether personal data may go to third parties for their commercial purposes."""
    opt_out: tuple[OptOut, ...] = ()
    """How to opt out of selling and sharing."""
    opt_out_jurisdictions: tuple[Identifier, ...] = ()
    """Where the opt-out is offered (everywhere when empty)."""
    description: str | None = None


class TransferFlow(Element):
    """One flow of data abroad and the safeguard it rests on."""

    to: tuple[str, ...] = Field(min_length=1)
    """Destination countries (ISO codes)."""
    recipients: tuple[Identifier, ...] = ()
    """Only to these recipients (any when empty)."""
    jurisdictions: tuple[Identifier, ...] = ()
    """Only data of people there (anyone's when empty)."""
    mechanism: TransferMechanism
    framework: str | None = None
    """For ``framework``: which (``EU-U.S. Data Privacy Framework``)."""
    description: str | None = None


class Transfers(Element):
    countries: tuple[str, ...] = ()
    mechanism: str | None = None
    description: str | None = None
    flows: tuple[TransferFlow, ...] = ()


class Signal(Element):
    """A browser's privacy signal, honoured or not, and where."""

    kind: SignalKind
    honoured: bool
    jurisdictions: tuple[Identifier, ...] = ()
    """Honoured for people there (everywhere when empty)."""
    effects: tuple[SignalEffect, ...] = ()
    """What an honoured signal opts the person out of (all three when empty)."""
    description: str | None = None


class AutomatedDecision(Element):
    """A decision made by automated means alone, with real effect on the person."""

    id: Identifier
    name: str
    logic: str
    """How it decides, in plain words."""
    effects: str
    """What it means for the person."""
    purposes: tuple[Identifier, ...] = ()
    human_review: bool = True
    """The person may ask for a person to review it."""


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
    languages: tuple[LanguageTag, ...] = Field(default=("en",), min_length=1)
    """Languages people are addressed in (BCP 47 tags, ``en``, ``de``, ``pt-BR``): replies
    saying "unsubscribe" are understood in each."""
    organisation: Organisation
    jurisdictions: tuple[Jurisdiction, ...] = ()
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
    signals: tuple[Signal, ...] = ()
    automated_decisions: tuple[AutomatedDecision, ...] = ()
    security: Security
    notices: tuple[Notice, ...] = ()
    translations: dict[LanguageTag, dict[str, Any]] = Field(default_factory=dict)
    """The statement's text in its other languages, by language: shaped like the
    statement, lists with ids as mappings by id (``keepfaith.statement.translations``)."""

    # Look-ups by id; cheap enough to compute on demand for a statement's size.
    def category(self, key: str) -> Category:
        return next(c for c in self.categories if c.id == key)

    def purpose(self, purpose_id: str) -> Purpose:
        return next(p for p in self.purposes if p.id == purpose_id)

    def recipient(self, recipient_id: str) -> Recipient:
        return next(r for r in self.recipients if r.id == recipient_id)

    def collection_point(self, point_id: str) -> CollectionPoint:
        return next(p for p in self.collection_points if p.id == point_id)

    def jurisdiction_of(self, region: str) -> str | None:
        """The id of the jurisdiction whose regions match ``region`` (``US-CA``, ``DE``):
        an exact code first, then its country (``US-CA`` is in ``US``)."""
        code = region.strip().upper()
        for candidate in (code, code.split("-")[0]):
            for j in self.jurisdictions:
                if candidate in j.regions:
                    return j.id
        return None

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
