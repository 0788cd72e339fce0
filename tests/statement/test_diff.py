"""``keepfaith diff``: every change between two versions, weighed material or not.

Each case edits the minimal statement (the old version, the new one, or both) and
states every change expected, in order, with its weight: a case fails on a missing
change and on an unexpected one alike.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from keepfaith.cli import app
from keepfaith.statement import Statement, loads, schema
from keepfaith.statement.diff import COMMON, RULES, Change, diff, diff_files, is_material
from tests.conftest import EXAMPLES, FIXTURES

MINIMAL = (FIXTURES / "minimal.yaml").read_text(encoding="utf-8")
JURISDICTIONS_AT = "subject_kinds:\n"
JURISDICTIONS = "jurisdictions:\n  - {id: eea, name: The EEA, regions: [DE, FR]}\n"
NEWS_BASIS = (
    "    basis: opt_in\n    categories: [user.contact.email, user.name]\n    marketing: true\n"
)
SECURITY = "security:\n"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*/statement.yaml"))

PHONE = "  - id: user.contact.phone\n    name: Phone number\n"
CATEGORIES_END = "  - id: user.content.free_text\n"
NOTE_FIELD = "      - {name: note, category: user.content.free_text, free_text: true}\n"
SIGNUP_PURPOSES = "    purposes: [account, billing]\n"
RECIPIENTS = "recipients:\n"
MAILER_SENDS = (
    "    categories: [user.contact.email, user.name]\n    purposes: [newsletter, account]"
)
MAILER_BASIS = "    basis: required\n    countries: [US]\n"
COOKIES = "cookies:\n"
RIGHTS = "rights:\n"
RETENTION = (
    "  - categories: [user.financial.credit_card]\n    days: 90\n    after: account_closed\n"
)
NEW_PURPOSE = """  - id: profiling
    name: Build a profile
    basis: opt_out
    categories: [user.contact.email]
"""
PHONE_PURPOSE = """  - id: calls
    name: Call you
    basis: opt_in
    categories: [user.contact.phone]
"""
NEW_RECIPIENT = """  - id: analytics
    name: Analytics provider
    kind: partner
    categories: [user.name]
    purposes: [account]
    basis: opt_out
"""
NEW_POINT = """  - id: survey
    kind: form
    name: Survey
    subjects: [customer]
    fields:
      - {name: name, category: user.name}
    purposes: [account]
"""
PURPOSES = "purposes:\n"
NEW_COOKIE = """  - name: {name}
    party: {party}
    duration: persistent
    lifetime_days: 30
    category: {category}
"""


def edit(*replacements: tuple[str, str]) -> str:
    """The minimal statement with each ``old`` text (found exactly once) replaced."""
    text = MINIMAL
    for old, new in replacements:
        assert text.count(old) == 1, f"fixture changed: {old!r}"
        text = text.replace(old, new)
    return text


def after(marker: str, addition: str) -> tuple[str, str]:
    """A replacement inserting ``addition`` right after ``marker``."""
    return (marker, marker + addition)


@functools.cache
def parse(text: str) -> Statement:
    return loads(text)


def changes(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> list[Change]:
    return diff(parse(edit(*old)), parse(edit(*new)))


Edits = list[tuple[str, str]]
Expected = list[tuple[str, bool]]

# (id, edits making the old version, edits making the new version, expected changes)
CASES: list[tuple[str, Edits, Edits, Expected]] = [
    ("identical", [], [], []),
    (
        "reordered-lists-are-not-changes",
        [],
        [
            ("  - id: user.name\n    name: Name\n", ""),
            (CATEGORIES_END, "  - id: user.name\n    name: Name\n" + CATEGORIES_END),
        ],
        [],
    ),
    # --- purposes
    (
        "purpose-reworded",
        [],
        [("name: Administer your account", "name: Run your account")],
        [("text_changed", False)],
    ),
    ("purpose-added-for-held-data", [], [after(PURPOSES, NEW_PURPOSE)], [("purpose_added", True)]),
    (
        "purpose-added-for-new-data-only",
        [],
        [after(PURPOSES, PHONE_PURPOSE), (CATEGORIES_END, PHONE + CATEGORIES_END)],
        [("category_added", False), ("purpose_added", False)],
    ),
    (
        "purpose-removed",
        [after(PURPOSES, NEW_PURPOSE)],
        [],
        [("purpose_removed", False)],
    ),
    (
        "basis-opt-in-to-opt-out",
        [],
        [("basis: opt_in", "basis: opt_out")],
        [("basis_weakened", True)],
    ),
    (
        "basis-opt-out-to-required",
        [("basis: opt_in", "basis: opt_out")],
        [("basis: opt_in", "basis: required")],
        [("basis_weakened", True)],
    ),
    (
        "basis-opt-out-to-opt-in",
        [("basis: opt_in", "basis: opt_out")],
        [],
        [("basis_strengthened", False)],
    ),
    (
        "basis-required-to-legal",
        [],
        [
            (
                "    name: Take payment\n    basis: required",
                "    name: Take payment\n    basis: legal",
            )
        ],
        [("basis_changed", False)],
    ),
    (
        "purpose-uses-more-categories",
        [],
        [
            (
                "categories: [user.name, user.contact.email]\n",
                "categories: [user.name, user.contact.email, user.financial.credit_card]\n",
            )
        ],
        [("purpose_categories_added", True)],
    ),
    (
        "purpose-uses-fewer-categories",
        [],
        [("categories: [user.name, user.contact.email]\n", "categories: [user.name]\n")],
        [("purpose_categories_removed", False)],
    ),
    (
        "purpose-becomes-marketing",
        [],
        [
            after(
                "    categories: [user.device.ip_address, user.device.browser]\n",
                "    marketing: true\n    unsubscribe: [one_click]\n",
            )
        ],
        [("purpose_marketing_on", True), ("unsubscribe_route_added", False)],
    ),
    (
        "purpose-no-longer-marketing",
        [],
        [("    marketing: true\n", "")],
        [("purpose_marketing_off", False)],
    ),
    (
        "purpose-sale-advertising-commercial-on",
        [],
        [
            after(
                "    categories: [user.financial.credit_card, user.name]\n",
                "    commercial: true\n    advertising: true\n    sale: true\n",
            )
        ],
        [
            ("purpose_commercial_on", True),
            ("purpose_advertising_on", True),
            ("purpose_sale_on", True),
        ],
    ),
    (
        "unsubscribe-route-removed",
        [],
        [("unsubscribe: [one_click, reply]", "unsubscribe: [one_click]")],
        [("unsubscribe_route_removed", True)],
    ),
    (
        "preference-center-withdrawn",
        [],
        [("    preference_center: true\n", "")],
        [("preference_center_off", True)],
    ),
    # --- recipients
    ("recipient-added", [], [after(RECIPIENTS, NEW_RECIPIENT)], [("recipient_added", True)]),
    ("recipient-removed", [after(RECIPIENTS, NEW_RECIPIENT)], [], [("recipient_removed", False)]),
    (
        "recipient-receives-more",
        [],
        [
            (
                MAILER_SENDS,
                "    categories: [user.contact.email, user.name, user.financial.credit_card]\n"
                "    purposes: [newsletter, account, billing]",
            )
        ],
        [("recipient_categories_added", True), ("recipient_purposes_added", True)],
    ),
    (
        "recipient-receives-less",
        [],
        [
            (
                MAILER_SENDS,
                "    categories: [user.contact.email]\n    purposes: [newsletter]",
            )
        ],
        [("recipient_categories_removed", False), ("recipient_purposes_removed", False)],
    ),
    (
        "recipient-basis-weakened",
        [(MAILER_BASIS, MAILER_BASIS.replace("required", "opt_in"))],
        [(MAILER_BASIS, MAILER_BASIS.replace("required", "opt_out"))],
        [("basis_weakened", True)],
    ),
    (
        "recipient-in-more-countries",
        [],
        [("countries: [US]", "countries: [US, IN]")],
        [("recipient_countries_added", True)],
    ),
    (
        "recipient-kind-changed",
        [],
        [("    kind: processor\n", "    kind: partner\n")],
        [("recipient_kind_changed", True)],
    ),
    (
        "recipient-no-longer-under-contract",
        [],
        [("    under_contract: true\n", "")],
        [("recipient_under_contract_off", True)],
    ),
    (
        "recipient-bound-to-points",
        [],
        [after(MAILER_BASIS, "    collection_points: [signup]\n")],
        [("recipient_collection_points_narrowed", False)],
    ),
    (
        "recipient-unbound-from-points",
        [after(MAILER_BASIS, "    collection_points: [signup]\n")],
        [],
        [("recipient_collection_points_widened", True)],
    ),
    # --- categories and collection
    (
        "category-declared",
        [],
        [(CATEGORIES_END, PHONE + CATEGORIES_END)],
        [("category_added", False)],
    ),
    (
        "category-newly-collected",
        [],
        [
            (CATEGORIES_END, PHONE + CATEGORIES_END),
            after(NOTE_FIELD, "      - {name: phone, category: user.contact.phone}\n"),
        ],
        [("category_added", False), ("field_added", False), ("category_collected_newly", True)],
    ),
    (
        "category-collected-from-new-kind",
        [],
        [("    subjects: [visitor]\n", "    subjects: [visitor, customer]\n")],
        [
            ("collection_point_subjects_added", False),
            ("category_collected_from_new_subjects", True),
            ("category_collected_from_new_subjects", True),
        ],
    ),
    (
        "held-category-at-a-new-point",
        [],
        [after("collection_points:\n", NEW_POINT)],
        [("collection_point_added", False)],
    ),
    (
        "category-no-longer-collected",
        [],
        [(NOTE_FIELD, "")],
        [("field_removed", False), ("category_no_longer_collected", False)],
    ),
    (
        "category-no-longer-sensitive",
        [],
        [("    sensitive: true\n", "")],
        [("category_sensitive_off", True)],
    ),
    (
        "category-open-to-commercial-use",
        [],
        [("    commercial_use: false\n", "")],
        [("category_commercial_use_on", True)],
    ),
    (
        "field-made-required",
        [],
        [(NOTE_FIELD, NOTE_FIELD.replace("free_text: true", "required: true"))],
        [("field_required_on", True), ("field_free_text_changed", False)],
    ),
    (
        "field-label-reworded",
        [],
        [("label: Your name", "label: Full name")],
        [("text_changed", False)],
    ),
    (
        "point-states-a-new-purpose",
        [],
        [(SIGNUP_PURPOSES, "    purposes: [account, billing, newsletter]\n")],
        [("collection_point_purposes_added", True)],
    ),
    (
        "point-no-longer-offers-consent",
        [],
        [("    consent_for: [newsletter]\n", "")],
        [("consent_no_longer_offered", False)],
    ),
    (
        "point-no-longer-voluntary-detached-single-use",
        [after(SIGNUP_PURPOSES, "    voluntary: true\n    detached: true\n    single_use: true\n")],
        [],
        [
            ("collection_point_voluntary_off", True),
            ("collection_point_detached_off", True),
            ("collection_point_single_use_off", True),
        ],
    ),
    (
        "point-data-open-to-commercial-use",
        [after(SIGNUP_PURPOSES, "    commercial_use: false\n")],
        [],
        [("collection_point_commercial_use_on", True)],
    ),
    (
        "point-kind-changed",
        [],
        [("    kind: form\n", "    kind: import\n    source: A partner's list\n")],
        [("collection_point_kind_changed", False), ("text_changed", False)],
    ),
    # --- retention
    (
        "retention-longer",
        [],
        [(RETENTION, RETENTION.replace("90", "180"))],
        [("retention_longer", True)],
    ),
    (
        "retention-shorter",
        [],
        [(RETENTION, RETENTION.replace("90", "30"))],
        [("retention_shorter", False)],
    ),
    (
        "retention-unlimited-days",
        [],
        [(RETENTION, RETENTION.replace("    days: 90\n", ""))],
        [("retention_longer", True)],
    ),
    (
        "retention-counted-from-earlier",
        [],
        [(RETENTION, RETENTION.replace("account_closed", "collection"))],
        [("retention_start_earlier", False)],
    ),
    (
        "retention-counted-from-later",
        [(RETENTION, RETENTION.replace("account_closed", "last_activity"))],
        [],
        [("retention_start_later", True)],
    ),
    (
        "retention-rule-removed",
        [],
        [("retention:\n" + RETENTION, "")],
        [("retention_rule_removed", True)],
    ),
    (
        "retention-rule-regrouped",
        [],
        [(RETENTION, RETENTION.replace("credit_card]", "credit_card, user.name]"))],
        [("retention_rule_added", False)],
    ),
    (
        "retention-rule-reworded",
        [after(RETENTION, "    description: Kept for chargebacks.\n")],
        [after(RETENTION, "    description: Kept for disputed payments.\n")],
        [("text_changed", False)],
    ),
    # --- cookies
    (
        "first-party-necessary-cookie-added",
        [],
        [after(COOKIES, NEW_COOKIE.format(name="csrf", party="first", category="necessary"))],
        [("cookie_added", False)],
    ),
    (
        "third-party-cookie-added",
        [],
        [after(COOKIES, NEW_COOKIE.format(name="ga", party="third", category="analytics"))],
        [("cookie_added", True)],
    ),
    (
        "advertising-cookie-added",
        [],
        [after(COOKIES, NEW_COOKIE.format(name="ads", party="first", category="advertising"))],
        [("cookie_added", True)],
    ),
    (
        "cookie-removed",
        [],
        [("  - name: session\n", "  - name: sid\n")],
        [("cookie_added", False), ("cookie_removed", False)],
    ),
    (
        "cookie-made-persistent-third-party-longer",
        [("    duration: session\n", "    duration: persistent\n    lifetime_days: 30\n")],
        [
            ("    party: first\n", "    party: third\n    provider: Tracker Inc.\n"),
            ("    duration: session\n", "    duration: persistent\n    lifetime_days: 365\n"),
        ],
        [
            ("cookie_now_third_party", True),
            ("cookie_provider_changed", True),
            ("cookie_lifetime_longer", True),
        ],
    ),
    (
        "cookie-made-persistent",
        [],
        [("    duration: session\n", "    duration: persistent\n")],
        [("cookie_now_persistent", True)],
    ),
    (
        "cookie-made-refusable",
        [],
        [("category: necessary", "category: functional")],
        [("cookie_now_refusable", False)],
    ),
    (
        "cookie-made-necessary",
        [("category: necessary", "category: analytics")],
        [],
        [("cookie_now_necessary", True)],
    ),
    (
        "cookie-category-between-refusable",
        [("category: necessary", "category: analytics")],
        [("category: necessary", "category: functional")],
        [("category_changed", False)],
    ),
    (
        "cookie-purpose-changed",
        [],
        [("    purpose: account\n", "    purpose: billing\n")],
        [("cookie_purpose_changed", True)],
    ),
    # --- rights
    (
        "rights-slower",
        [],
        [("  response_days: 30\n", "  response_days: 45\n")],
        [("rights_response_days_longer", True)],
    ),
    (
        "rights-faster",
        [],
        [("  response_days: 30\n", "  response_days: 20\n")],
        [("rights_response_days_shorter", False)],
    ),
    (
        "right-removed",
        [],
        [("    - {kind: delete, handling: staff}\n", "")],
        [("right_removed", True)],
    ),
    (
        "right-added-and-self-service",
        [],
        [
            (
                "    - {kind: delete, handling: staff}\n",
                "    - {kind: delete, handling: self_service}\n"
                "    - {kind: portability, handling: staff}\n",
            )
        ],
        [("right_handling_changed", False), ("right_added", False)],
    ),
    (
        "right-slower-than-the-default",
        [],
        [("{kind: access, handling: staff}", "{kind: access, handling: staff, response_days: 45}")],
        [("right_response_days_longer", True)],
    ),
    (
        "right-days-spelled-out-as-the-default",
        [],
        [("{kind: access, handling: staff}", "{kind: access, handling: staff, response_days: 30}")],
        [("response_days_changed", False)],
    ),
    (
        "hold-added",
        [],
        [after("  holds:\n", "    - {reason: fraud, description: Fraud checks.}\n")],
        [("hold_added", True)],
    ),
    (
        "hold-scoped-to-one-category",
        [],
        [
            (
                "{reason: legal, description: Records the law requires us to keep.}",
                "{reason: legal, description: Records the law requires us to keep.,"
                " categories: [user.financial]}",
            )
        ],
        [("hold_narrowed", False)],
    ),
    (
        "hold-keeps-every-category-again",
        [
            (
                "{reason: legal, description: Records the law requires us to keep.}",
                "{reason: legal, description: Records the law requires us to keep.,"
                " categories: [user.financial]}",
            )
        ],
        [],
        [("hold_widened", True)],
    ),
    (
        "verification-added",
        [],
        [("verification: [email_link]", "verification: [email_link, login]")],
        [("verification_added", False)],
    ),
    (
        "corrections-stop-reaching-recipients",
        [],
        [after("  verification: [email_link]\n", "  corrections_reach_recipients: false\n")],
        [("corrections_reach_recipients_off", True)],
    ),
    # --- children, changes, complaints
    (
        "minimum-age-lowered",
        [],
        [("minimum_age: 13", "minimum_age: 12")],
        [("minimum_age_lowered", True)],
    ),
    (
        "minimum-age-raised",
        [],
        [("minimum_age: 13", "minimum_age: 16")],
        [("minimum_age_raised", False)],
    ),
    (
        "children-section-removed",
        [],
        [("children:\n  minimum_age: 13\n", "")],
        [("children_removed", True), ("minimum_age_lowered", True)],
    ),
    (
        "child-accounts-only-deactivated",
        [],
        [("minimum_age: 13", "minimum_age: 13\n  on_actual_knowledge: deactivate")],
        [("child_action_weakened", True)],
    ),
    (
        "changes-posted-instead-of-emailed",
        [],
        [("notify: email", "notify: post")],
        [("changes_notice_weakened", True)],
    ),
    (
        "changes-without-notice",
        [("notify: email", "notify: post")],
        [("notify: email", "notify: none")],
        [("changes_notice_weakened", True)],
    ),
    (
        "changes-notice-strengthened",
        [("notify: email", "notify: post")],
        [],
        [("changes_notice_strengthened", False)],
    ),
    (
        "changes-window-shorter",
        [],
        [("email_effective_days: 15", "email_effective_days: 10")],
        [("email_window_shorter", True)],
    ),
    (
        "changes-window-longer",
        [],
        [("post_effective_days: 30", "post_effective_days: 45")],
        [("post_window_longer", False)],
    ),
    (
        "continued-use-becomes-acceptance",
        [],
        [("acknowledgement_takes_effect: true", "continued_use_is_acceptance: true")],
        [("acknowledgement_takes_effect_off", False), ("continued_use_is_acceptance_on", True)],
    ),
    (
        "choice-on-new-use-withdrawn",
        [after("  post_effective_days: 30\n", "  choice_on_new_use: true\n")],
        [],
        [("choice_on_new_use_off", True)],
    ),
    (
        "complaints-acknowledged-later",
        [],
        [("acknowledge_days: 10", "acknowledge_days: 20")],
        [("complaint_acknowledgement_longer", True)],
    ),
    (
        "complaints-resolved-within-a-limit",
        [],
        [("acknowledge_days: 10", "acknowledge_days: 10\n  resolve_days: 30")],
        [("complaint_resolution_shorter", False)],
    ),
    (
        "complaints-independent-body-dropped",
        [],
        [("  independent_body: {name: TRUSTe, url: https://truste.example}\n", "")],
        [("independent_body_removed", True)],
    ),
    (
        "complaints-to-another-contact",
        [],
        [("  contact: privacy\n", "  contact: support\n")],
        [("complaints_contact_changed", False)],
    ),
    (
        "complaints-section-removed",
        [],
        [
            (
                "complaints:\n  acknowledge_days: 10\n  contact: privacy\n"
                "  independent_body: {name: TRUSTe, url: https://truste.example}\n",
                "",
            )
        ],
        [("complaints_removed", True)],
    ),
    # --- sharing, disclosures, transfers, anonymous data, security, notices
    (
        "selling-and-commercial-sharing-turned-on",
        [],
        [
            (
                "legal_disclosures:\n",
                "sharing:\n  sells_personal_data: true\n  commercial_sharing: true\n"
                "legal_disclosures:\n",
            )
        ],
        [("sale_on", True), ("commercial_sharing_on", True)],
    ),
    (
        "disclosure-basis-added",
        [],
        [after("legal_disclosures:\n", "  - {basis: emergency, description: To protect life.}\n")],
        [("disclosure_basis_added", True)],
    ),
    (
        "disclosure-basis-removed",
        [after("legal_disclosures:\n", "  - {basis: emergency, description: To protect life.}\n")],
        [],
        [("disclosure_basis_removed", False)],
    ),
    (
        "transfers-declared",
        [],
        [
            (
                "security:\n",
                "transfers:\n  countries: [US]\n  mechanism: Contract clauses\nsecurity:\n",
            )
        ],
        [
            ("transfers_added", False),
            ("transfer_countries_added", True),
            ("transfer_mechanism_changed", False),
        ],
    ),
    (
        "anonymous-data-may-now-be-disclosed",
        [
            (
                "security:\n",
                "anonymous_data:\n  method: Aggregation\n  may_disclose: false\nsecurity:\n",
            )
        ],
        [("security:\n", "anonymous_data:\n  method: Aggregation\nsecurity:\n")],
        [("anonymous_disclosure_on", True)],
    ),
    (
        "security-measure-added",
        [],
        [("Encrypted card numbers]", "Encrypted card numbers, Staff training]")],
        [("security_measures_added", False)],
    ),
    (
        "notice-removed",
        [
            after(
                "  measures: [Encrypted connections, Encrypted card numbers]\n",
                "notices:\n  - {id: forums, title: Forums, text: Posts are public.}\n",
            )
        ],
        [],
        [("notice_removed", True)],
    ),
    (
        "notice-reworded",
        [
            after(
                "  measures: [Encrypted connections, Encrypted card numbers]\n",
                "notices:\n  - {id: forums, title: Forums, text: Posts are public.}\n",
            )
        ],
        [
            after(
                "  measures: [Encrypted connections, Encrypted card numbers]\n",
                "notices:\n  - {id: forums, title: Forums, text: Anything posted is public.}\n",
            )
        ],
        [("text_changed", False)],
    ),
    # --- organisation, scope, subjects, version, clauses
    (
        "organisation-and-contacts",
        [],
        [
            ("name: Acme, Inc.", "name: Acme Corporation"),
            after("  contacts:\n", "    - role: dpo\n      email: dpo@acme.example\n"),
        ],
        [("text_changed", False), ("contact_added", False)],
    ),
    (
        "scope-declared",
        [],
        [("subject_kinds:\n", "scope:\n  covers: [acme.example]\nsubject_kinds:\n")],
        [("scope_added", False), ("scope_covers_added", False)],
    ),
    (
        "subject-kind-added",
        [],
        [after("subject_kinds:\n", "  - id: applicant\n    name: Job applicant\n")],
        [("subject_kind_added", False)],
    ),
    (
        "new-version",
        [],
        [
            ('version: "2024-01"', 'version: "2024-06"'),
            ("effective: 2024-01-15", "effective: 2024-06-01"),
        ],
        [("version_changed", False), ("effective_changed", False)],
    ),
    # issue 15: the newer elements, each weighed
    (
        "jurisdiction-basis-weakened",
        [
            (JURISDICTIONS_AT, JURISDICTIONS + JURISDICTIONS_AT),
            (NEWS_BASIS, NEWS_BASIS + "    bases: {eea: opt_in}\n"),
        ],
        [
            (JURISDICTIONS_AT, JURISDICTIONS + JURISDICTIONS_AT),
            (NEWS_BASIS, NEWS_BASIS + "    bases: {eea: opt_out}\n"),
        ],
        [("basis_weakened", True)],
    ),
    (
        "jurisdiction-basis-added",
        [(JURISDICTIONS_AT, JURISDICTIONS + JURISDICTIONS_AT)],
        [
            (JURISDICTIONS_AT, JURISDICTIONS + JURISDICTIONS_AT),
            (NEWS_BASIS, NEWS_BASIS + "    bases: {eea: opt_in}\n"),
        ],
        [("jurisdiction_basis_added", True)],
    ),
    (
        "sharing-for-advertising-turned-on",
        [],
        [(SECURITY, "sharing:\n  shares_for_advertising: true\n" + SECURITY)],
        [("sharing_for_advertising_on", True)],
    ),
    (
        "gpc-no-longer-honoured",
        [(SECURITY, "signals:\n  - {kind: gpc, honoured: true}\n" + SECURITY)],
        [(SECURITY, "signals:\n  - {kind: gpc, honoured: false}\n" + SECURITY)],
        [("signal_honoured_off", True)],
    ),
    (
        "transfer-flow-added",
        [],
        [(SECURITY, "transfers:\n  flows:\n    - {to: [US], mechanism: sccs}\n" + SECURITY)],
        [("transfers_added", False), ("transfer_flow_added", True)],
    ),
    (
        "rights-deadline-dropped",
        [],
        [("rights:\n  response_days: 30\n", "rights:\n")],
        [("rights_response_days_longer", True)],
    ),
    (
        "retention-stage-lengthens-the-period",
        [],
        [(RETENTION, RETENTION + "    stages: [{name: backups, days: 30}]\n")],
        [("retention_longer", True)],
    ),
    (
        "a-right-now-only-for-some-people",
        [(JURISDICTIONS_AT, JURISDICTIONS + JURISDICTIONS_AT)],
        [
            (JURISDICTIONS_AT, JURISDICTIONS + JURISDICTIONS_AT),
            (
                "    - {kind: delete, handling: staff}\n",
                "    - {kind: delete, handling: staff, jurisdictions: [eea]}\n",
            ),
        ],
        [("right_jurisdictions_narrowed", True)],
    ),
    (
        "clauses-traced",
        [],
        [
            (
                "    name: Send the newsletter\n",
                "    name: Send the newsletter\n    clauses: [ES-15]\n",
            )
        ],
        [("clauses_changed", False)],
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_each_change_is_found_and_weighed(old: Edits, new: Edits, expected: Expected) -> None:
    found = changes(old, new)
    assert [(change.kind, change.material) for change in found] == expected
    assert is_material(found) == any(material for _, material in expected)
    assert all(change.description and "\n" not in change.description for change in found)


def test_a_change_points_at_its_element_and_concerns_whom_it_affects() -> None:
    clauses = (
        "    name: Send the newsletter\n",
        "    name: Send the newsletter\n    clauses: [ES-15]\n",
    )
    (change,) = changes([clauses], [clauses, ("basis: opt_in", "basis: opt_out")])
    assert change == Change(
        kind="basis_weakened",
        path=("purposes", 2, "basis"),
        material=True,
        description="purpose 'newsletter': basis from opt_in to opt_out",
        subject_kinds=("customer",),
        clauses=("ES-15",),
    )


def test_a_removal_points_into_the_old_statement() -> None:
    (change,) = changes([after(PURPOSES, NEW_PURPOSE)], [])
    assert (change.side, change.path) == ("old", ("purposes", 0))
    assert change.subject_kinds == ("customer",)


def test_new_categories_concern_only_the_kinds_they_are_collected_from() -> None:
    widened = [("    subjects: [visitor]\n", "    subjects: [visitor, customer]\n")]
    found = [c for c in changes([], widened) if c.material]
    assert [(c.path, c.subject_kinds) for c in found] == [
        (("collection_points", 1, "fields", 0, "category"), ("customer",)),
        (("collection_points", 1, "fields", 1, "category"), ("customer",)),
    ]
    assert "user.device.ip_address" in found[0].description


def test_statement_wide_promises_concern_every_kind() -> None:
    (change,) = changes([], [("minimum_age: 13", "minimum_age: 12")])
    assert change.subject_kinds == ("customer", "visitor")
    assert change.path == ("children", "minimum_age")


def test_is_material() -> None:
    minor = Change("text_changed", ("title",), False, "the statement: title reworded")
    major = Change("recipient_added", ("recipients", 1), True, "recipient 'x' added")
    assert (is_material([]), is_material([minor]), is_material([minor, major])) == (
        False,
        False,
        True,
    )


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    """Every model reachable from ``model`` through its fields' annotations."""
    seen.add(model)
    for info in model.model_fields.values():
        for candidate in _types_in(info.annotation):
            is_model = isinstance(candidate, type) and issubclass(candidate, BaseModel)
            if is_model and candidate not in seen:
                _models(candidate, seen)
    return seen


def _types_in(annotation: Any) -> list[Any]:
    args = getattr(annotation, "__args__", ())
    return [annotation, *(t for arg in args for t in _types_in(arg))]


def test_every_field_of_every_section_has_a_rule() -> None:
    models = _models(schema.Statement, set())
    missing = [
        f"{model.__name__}.{name}"
        for model in models
        for name in model.model_fields
        if name not in RULES.get(model, {}) and name not in COMMON
    ]
    assert missing == []
    assert set(RULES) <= models


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.parent.name)
def test_a_statement_does_not_differ_from_itself(path: Path) -> None:
    statement = parse(path.read_text(encoding="utf-8"))
    assert diff(statement, statement) == []


def _exists(document: Any, path: tuple[str | int, ...]) -> bool:
    """Whether ``path`` leads to a value (or to an unset field of an existing element)."""
    node = document
    for step in path:
        if isinstance(node, dict) and isinstance(step, str):
            if step not in node:
                return True
            node = node[step]
        elif isinstance(node, list | tuple) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            return False
    return True


@pytest.mark.parametrize(
    ("old", "new"),
    [(EXAMPLE_FILES[0], EXAMPLE_FILES[-1]), (EXAMPLE_FILES[-1], EXAMPLE_FILES[0])],
    ids=lambda p: p.parent.name,
)
def test_every_change_between_examples_is_located_in_its_file(old: Path, new: Path) -> None:
    found = diff_files(old, new)
    assert is_material(found)
    for change in found:
        assert change.location is not None
        assert change.location.file == str(old if change.side == "old" else new)
        assert change.location.line > 1, change
    documents = {
        "old": parse(old.read_text(encoding="utf-8")).model_dump(),
        "new": parse(new.read_text(encoding="utf-8")).model_dump(),
    }
    lost = [c for c in found if not _exists(documents[c.side], c.path)]
    assert lost == []


# --------------------------------------------------------------------------- CLI


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_exits_0_when_no_change_is_material(tmp_path: Path) -> None:
    old = write(tmp_path, "old.yaml", MINIMAL)
    new = write(tmp_path, "new.yaml", edit(("label: Your name", "label: Full name")))
    result = CliRunner().invoke(app, ["diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    line = MINIMAL[: MINIMAL.index("label: Your name")].count("\n") + 1
    assert result.stdout.splitlines() == [
        f"{new}:{line}:59: minor: field 'name' of collection point 'signup': label reworded"
        " [text_changed] (subjects: customer)",
        "1 changes, 0 material",
    ]


def test_cli_exits_1_on_a_material_change_and_speaks_json(tmp_path: Path) -> None:
    old = write(tmp_path, "old.yaml", MINIMAL)
    new = write(tmp_path, "new.yaml", edit(("minimum_age: 13", "minimum_age: 12")))
    result = CliRunner().invoke(app, ["diff", str(old), str(new), "--format", "json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout) == [
        {
            "kind": "minimum_age_lowered",
            "material": True,
            "description": "children: minimum_age from 13 to 12",
            "subject_kinds": ["customer", "visitor"],
            "clauses": [],
            "side": "new",
            "path": ["children", "minimum_age"],
            "file": str(new),
            "line": MINIMAL.count("\n", 0, MINIMAL.index("minimum_age")) + 1,
            "column": 3,
        }
    ]


def test_cli_exits_2_with_the_location_of_a_broken_statement(tmp_path: Path) -> None:
    old = write(tmp_path, "old.yaml", MINIMAL)
    new = write(tmp_path, "new.yaml", edit(("basis: opt_in", "basis: maybe")))
    result = CliRunner().invoke(app, ["diff", str(old), str(new)])
    assert result.exit_code == 2
    line = MINIMAL[: MINIMAL.index("basis: opt_in")].count("\n") + 1
    assert result.stderr.startswith(f"{new}:{line}:5: error: purposes[2].basis: ")
    assert "Traceback" not in result.output
