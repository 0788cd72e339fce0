"""Every rule of the engine, as a table: a subject snapshot, a question, the answer.

These run the pure rules (no database) against ``fixtures/rules.yaml``, whose elements
each carry their own made-up clause id, so each row also checks which element decided.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import keepfaith
from keepfaith.engine import Decision, SubjectState, compile_statement, evaluate
from tests.ledger.support import RULES

STATEMENT = keepfaith.load(RULES)
COMPILED = compile_statement(STATEMENT)
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
EMAIL, NAME, CARD = "user.contact.email", "user.name", "user.financial.credit_card"
LOCATION = "user.location"


def state(collected: dict[str, tuple[str, set[str]]] | None = None, **changes: Any) -> SubjectState:
    """A snapshot: ``collected`` maps category -> (collection point, stated purposes)."""
    if collected is None:
        collected = {EMAIL: ("signup", {"account", "billing"}), NAME: ("signup", {"account"})}
    values: dict[str, Any] = {
        "tenant": "rules",
        "version": "1",
        "kind": "customer",
        "subject_id": 1,
        "collected": {c: frozenset(p) for c, (_, p) in collected.items()},
        "points": {c: frozenset({point}) for c, (point, _) in collected.items()},
    }
    values.update(changes)
    return SubjectState(**values)


def given(*choices: str) -> dict[str, str]:
    return dict.fromkeys(choices, "given")


def withdrawn(*choices: str) -> dict[str, str]:
    return dict.fromkeys(choices, "withdrawn")


NEWS = {EMAIL: ("signup", {"account", "newsletter"})}
ADS = {EMAIL: ("signup", {"account", "ads"}), NAME: ("signup", {"ads"})}
NEWS_PARTNER = {EMAIL: ("signup", {"product_news"})}
APP = {LOCATION: ("app", {"routing"})}

# id, snapshot, purpose, categories, recipient, allowed, clauses of the deciding element
CASES: list[tuple[str, SubjectState, str, tuple[str, ...], str | None, bool, tuple[str, ...]]] = [
    ("required use of data collected for it", state(), "account", (EMAIL,), None, True, ("TT-30",)),
    ("undeclared purpose", state(), "profiling", (EMAIL,), None, False, ("TT-00",)),
    ("undeclared category", state(), "account", ("user.dna",), None, False, ("TT-00",)),
    ("category the purpose does not use", state(), "account", (CARD,), None, False,
     ("TT-30", "TT-12")),
    ("purpose limitation: another form's purpose", state(), "follow_up", (EMAIL,), None, False,
     ("TT-20", "TT-63")),
    ("purpose limitation: inquiry data for the account",
     state({EMAIL: ("inquiry", {"follow_up"})}), "account", (EMAIL,), None, False,
     ("TT-21", "TT-63")),
    ("no data of the category: nothing to limit", state({}), "account", (EMAIL,), None, True,
     ("TT-30",)),
    ("new use with explicit consent (ES-03)", state(consent=given("follow_up")), "follow_up",
     (EMAIL,), None, True, ("TT-33",)),
    ("opt-out new use before the person was told", state(), "ads", (EMAIL,), None, False,
     ("TT-20", "TT-63")),
    ("opt-out new use once told", state(notified={"ads": T0}), "ads", (EMAIL,), None, True,
     ("TT-35",)),
    ("opt-out new use told but objected", state(notified={"ads": T0}, consent=withdrawn("ads")),
     "ads", (EMAIL,), None, False, ("TT-35",)),
    ("opt-in on data not collected for it", state(), "newsletter", (EMAIL,), None, False,
     ("TT-20", "TT-63", "TT-32")),
    ("opt-in without consent", state(NEWS), "newsletter", (EMAIL,), None, False, ("TT-32",)),
    ("opt-in with consent", state(NEWS, consent=given("newsletter")), "newsletter", (EMAIL,),
     None, True, ("TT-32",)),
    ("opt-in withdrawn", state(NEWS, consent=withdrawn("newsletter")), "newsletter", (EMAIL,),
     None, False, ("TT-32",)),
    ("opt-out allowed until objection", state(ADS), "ads", (EMAIL, NAME), None, True,
     ("TT-35",)),
    ("opt-out objected", state(ADS, consent=withdrawn("ads")), "ads", (EMAIL,), None, False,
     ("TT-35",)),
    ("GPC objects to advertising", state(ADS, gpc=True), "ads", (EMAIL,), None, False,
     ("TT-35",)),
    ("GPC leaves required uses alone", state(gpc=True), "account", (EMAIL,), None, True,
     ("TT-30",)),
    ("personal data is never sold", state(), "sell", (EMAIL,), None, False, ("TT-64", "TT-40")),
    ("card never used commercially", state({CARD: ("signup", {"billing"})}), "card_offers",
     (CARD,), None, False, ("TT-12", "TT-41")),
    ("survey data never used commercially",
     state({EMAIL: ("survey", {"research"})}, consent=given("product_news")), "product_news",
     (EMAIL,), None, False, ("TT-22",)),
    ("survey data for its own purpose", state({EMAIL: ("survey", {"research"})}), "research",
     (EMAIL,), None, True, ("TT-34",)),
    ("undeclared recipient", state(), "account", (EMAIL,), "broker", False, ("TT-64",)),
    ("processor for a purpose it does not serve", state(), "billing", (NAME,), "mailer", False,
     ("TT-50",)),
    ("processor for its purpose", state(), "account", (EMAIL, NAME), "mailer", True,
     ("TT-30", "TT-50")),
    ("recipient beyond its categories", state(ADS), "ads", (EMAIL, NAME), "partners", False,
     ("TT-52",)),
    ("affiliate without opt-in", state(NEWS, consent=given("newsletter")), "newsletter",
     (EMAIL,), "affiliates", False, ("TT-51", "TT-32")),
    ("affiliate after opt-in",
     state(NEWS, consent=given("newsletter", "recipient:affiliates")), "newsletter", (EMAIL,),
     "affiliates", True, ("TT-32", "TT-51")),
    ("partner until opt-out", state(NEWS_PARTNER), "product_news", (EMAIL,), "partners", True,
     ("TT-37", "TT-52")),
    ("partner after opt-out", state(NEWS_PARTNER, consent=withdrawn("recipient:partners")),
     "product_news", (EMAIL,), "partners", False, ("TT-52",)),
    ("GPC objects to opt-out sharing with partners", state(NEWS_PARTNER, gpc=True),
     "product_news", (EMAIL,), "partners", False, ("TT-52",)),
    ("location for its one purpose and recipient", state(APP), "routing", (LOCATION,), "dc",
     True, ("TT-36", "TT-53")),
    ("location for another purpose", state(APP), "ads", (LOCATION,), None, False,
     ("TT-35", "TT-13")),
    ("location to another recipient", state(APP), "routing", (LOCATION,), "partners", False,
     ("TT-52",)),
    ("location after opt-out", state(APP, consent=withdrawn("routing")), "routing", (LOCATION,),
     "dc", False, ("TT-36",)),
    ("session customer gets its own point's data",
     state({EMAIL: ("webinar", {"webinar"})}, kind="visitor"), "webinar", (EMAIL,), "host",
     True, ("TT-38", "TT-54")),
    ("session customer never gets other points' data",
     state({EMAIL: ("signup", {"webinar"})}), "webinar", (EMAIL,), "host", False, ("TT-54",)),
    ("authority only through legal disclosure", state(), "account", (NAME,), "police", False,
     ("TT-55",)),
    ("known child: no use at all", state(known_child=True), "account", (EMAIL,), None, False,
     ("TT-62",)),
    ("deactivated: nothing", state(status="deactivated"), "account", (EMAIL,), None, False,
     ("TT-61",)),
    ("deleted without a hold: not even legal", state(status="deleted"), "legal_keep", (NAME,),
     None, False, ("TT-61",)),
    ("deleted under a hold: what the hold requires", state(status="deleted",
     holds=(("legal", None),)), "legal_keep", (NAME,), None, True, ("TT-60", "TT-39")),
    ("deleted under a hold: nothing else", state(status="deleted", holds=(("legal", None),)),
     "account", (NAME,), None, False, ("TT-61",)),
    ("expired hold", state(status="deactivated", holds=(("legal", T0),)), "legal_keep", (NAME,),
     None, False, ("TT-61",)),
    ("another tenant's subject", state(tenant="acme"), "account", (EMAIL,), None, False,
     ("TT-00", "TT-01")),
    ("a subject under another version", state(version="0"), "account", (EMAIL,), None, False,
     ("TT-00", "TT-01")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("snapshot", "purpose", "categories", "recipient", "allowed", "clauses"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_rule(
    snapshot: SubjectState,
    purpose: str,
    categories: tuple[str, ...],
    recipient: str | None,
    allowed: bool,
    clauses: tuple[str, ...],
) -> None:
    decision = evaluate(COMPILED, snapshot, purpose, categories, recipient)
    assert (decision.allowed, decision.clauses) == (allowed, clauses), decision.reason
    assert decision.reason


def history(*events: tuple[dt.datetime, str]) -> SubjectState:
    items = tuple(events)
    return state(NEWS, consent={"newsletter": items[-1][1]}, history={"newsletter": items})


@pytest.mark.parametrize(
    ("at", "allowed"),
    [(T0 - DAY, False), (T0, True), (T0 + DAY, True), (T0 + 2 * DAY, False), (None, False)],
)
def test_consent_is_judged_at_the_time_asked(at: dt.datetime | None, allowed: bool) -> None:
    snapshot = history((T0, "given"), (T0 + 2 * DAY, "withdrawn"))
    decision = evaluate(COMPILED, snapshot, "newsletter", (EMAIL,), at=at)
    assert decision.allowed is allowed


@pytest.mark.parametrize(("at", "allowed"), [(T0 - DAY, True), (T0 + DAY, False)])
def test_a_hold_lasts_until_its_time(at: dt.datetime, allowed: bool) -> None:
    snapshot = state(status="deleted", holds=(("legal", T0),))
    assert evaluate(COMPILED, snapshot, "legal_keep", (NAME,), at=at).allowed is allowed


def test_without_commercial_sharing_no_third_party_gets_data_for_commerce() -> None:
    sharing = STATEMENT.sharing.model_copy(update={"commercial_sharing": False})
    strict = compile_statement(STATEMENT.model_copy(update={"sharing": sharing}))
    refused = evaluate(strict, state(NEWS_PARTNER), "product_news", (EMAIL,), "partners")
    assert (refused.allowed, refused.clauses) == (False, ("TT-64",))
    to_processor = evaluate(
        strict, state(NEWS, consent=given("newsletter")), "newsletter", (EMAIL,), "mailer"
    )
    assert to_processor.allowed


def test_decisions_are_frozen_and_can_be_required() -> None:
    decision = evaluate(COMPILED, state(), "follow_up", (EMAIL,))
    with pytest.raises(AttributeError):
        decision.allowed = True  # type: ignore[misc]
    with pytest.raises(keepfaith.NotAllowed) as caught:
        decision.require()
    assert caught.value.clauses == ("TT-20", "TT-63")
    assert Decision(True, "ok").require().allowed


def test_a_withdrawn_consent_is_refused_as_withdrawn_on_its_date() -> None:
    """Not "not collected for this purpose": the person's own act decided (issue 8)."""
    elsewhere = {EMAIL: ("inquiry", {"follow_up"})}  # not collected for the newsletter
    items = ((T0, "given"), (T0 + 2 * DAY, "withdrawn"))
    snapshot = state(elsewhere, consent={"newsletter": "withdrawn"}, history={"newsletter": items})
    refused = evaluate(COMPILED, snapshot, "newsletter", (EMAIL,))
    assert refused.reason == "the person withdrew consent to newsletter on 2024-01-03"
    assert refused.clauses == ("TT-32",)
    objected = state(ADS, consent={"ads": "withdrawn"}, history={"ads": ((T0, "withdrawn"),)})
    assert evaluate(COMPILED, objected, "ads", (EMAIL,)).reason == (
        "the person objected to ads on 2024-01-01"
    )


@pytest.mark.parametrize(
    ("purpose", "categories", "recipient", "element"),
    [
        (
            "profiling",
            (EMAIL,),
            None,
            "purpose profiling is not declared in the purposes of rules 1",
        ),
        ("account", ("user.dna",), None, "category user.dna is not declared in the categories"),
        ("account", (EMAIL,), "broker", "recipient broker is not declared in the recipients"),
    ],
)
def test_an_undeclared_element_names_what_it_was_checked_against(
    purpose: str, categories: tuple[str, ...], recipient: str | None, element: str
) -> None:
    assert element in evaluate(COMPILED, state(), purpose, categories, recipient).reason


def test_gpc_refuses_from_its_time_on_and_says_since_when() -> None:
    snapshot = state(ADS, gpc=True, gpc_at=T0 + DAY)
    assert evaluate(COMPILED, snapshot, "ads", (EMAIL,), at=T0).allowed
    refused = evaluate(COMPILED, snapshot, "ads", (EMAIL,), at=T0 + 2 * DAY)
    assert not refused.allowed
    assert refused.reason == "a Global Privacy Control signal (received 2024-01-02) objects to ads"


SHARE_PURPOSE = (
    "  - {id: share_with_affiliates, name: Share with affiliates, basis: opt_in,"
    " categories: [user.contact.email], clauses: [TT-70]}\n"
)


def test_consent_to_a_sharing_purpose_counts_for_its_recipient() -> None:
    """PA-21: a purpose that is sharing itself; the latest of the two choices decides."""
    text = RULES.read_text(encoding="utf-8").replace(
        "purposes: [newsletter, ads]\n    basis: opt_in",
        "purposes: [share_with_affiliates]\n    basis: opt_in",
    )
    text = text.replace("recipients:\n", SHARE_PURPOSE + "recipients:\n", 1)
    sharing = compile_statement(keepfaith.loads(text))
    given_purpose = {"share_with_affiliates": ((T0, "given"),)}
    snapshot = state(
        {EMAIL: ("signup", {"share_with_affiliates"})},
        consent={"share_with_affiliates": "given"},
        history=given_purpose,
    )
    ask = ("share_with_affiliates", (EMAIL,))
    assert evaluate(sharing, snapshot, *ask, "affiliates").allowed
    assert evaluate(sharing, snapshot, *ask).allowed
    later = {**given_purpose, "recipient:affiliates": ((T0 + DAY, "withdrawn"),)}
    withdrawn_after = state(
        {EMAIL: ("signup", {"share_with_affiliates"})},
        consent={"share_with_affiliates": "given", "recipient:affiliates": "withdrawn"},
        history=later,
    )
    assert not evaluate(sharing, withdrawn_after, *ask, "affiliates").allowed
