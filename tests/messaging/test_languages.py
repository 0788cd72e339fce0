"""A person is written to in the language of the page they last used (issue 11).

Parature declares English, German and French. A person who filled in its registration
form on the German page is kept with ``de``, and every later email is German: a notice,
the notice of a material change, the messages about their request. One who used the
English page gets English. What a browser or an API caller sends that is no language
the statement declares (junk included) changes nothing and is never an error. Every
message goes through the outbox to the loopback SMTP sink.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from keepfaith import messaging, rights
from keepfaith.changes import publish
from keepfaith.ledger import cases, subjects
from keepfaith.messaging import referrals
from keepfaith.rights import reminders
from keepfaith.statement import load
from tests.changes.conftest import loaded, new_version
from tests.conftest import EXAMPLES, PARATURE_CONTACT
from tests.messaging.conftest import World, person
from tests.messaging.sink import Sink
from tests.messaging.test_sign_in import deliver
from tests.web.conftest import form_token

Mail = Callable[..., World]
Web = Callable[[World], httpx.Client]
FORM = "/t/parature/forms/registration"
CENTER = "/t/parature/privacy-center"
REQUESTS = "/t/parature/privacy-center/requests"
ADDRESS = "ann@example.com"
JUNK = "';DROP TABLE subjects;--, *;q=x, zz-ZZ-!!!, " + "x" * 600 + ", de;q=abc"


def registered(client: httpx.Client, accept: str) -> None:
    """Fill in Parature's registration form on the page shown for ``accept``."""
    token = form_token(client, FORM)
    data = {**PARATURE_CONTACT, "email": ADDRESS, "csrf_token": token}
    done = client.post(FORM, data=data, headers={"Accept-Language": accept})
    assert done.status_code == 201, done.text


def the_person(world: World) -> subjects.Subject:
    with world.ledger.reading() as tx:
        [only] = subjects.of_tenant(tx, "parature")
    return only


def mails_to(sink: Sink, count: int) -> list[tuple[str, str]]:
    """The subject lines and texts of the first ``count`` messages to the person."""
    sink.wait_for(count)
    return [(m.mail["Subject"], m.text) for m in sink.to(ADDRESS)]


def notice(world: World, person: subjects.Subject) -> None:
    with world.ledger.transaction(actor="test") as tx:
        messaging.queue(
            tx, person, "administrative_email", "notice", context={"title": "T", "text": "X."}
        )
    deliver(world)


def change_notice(world: World) -> None:
    text = new_version("parature", "2026")
    with world.ledger.transaction(actor="dpo") as tx:
        publish.publish(tx, loaded(text), text)
    deliver(world)


def request_refused(world: World, client: httpx.Client, accept: str) -> int:
    """A portability request made on the page for ``accept``, then refused by staff."""
    token = form_token(client, REQUESTS)
    asked = client.post(
        REQUESTS,
        data={"kind": "portability", "email": ADDRESS, "csrf_token": token},
        headers={"Accept-Language": accept},
    )
    assert asked.status_code == 200, asked.text
    with world.ledger.transaction(actor="dpo") as tx:
        [case] = cases.listing(tx, "parature")
        rights.deny(tx, "parature", case.id, "We cannot find an account for this address.")
    deliver(world)
    return case.id


def test_a_person_who_used_the_german_page_gets_every_later_email_in_german(
    mail: Mail, web: Web
) -> None:
    world = mail("parature")
    client = web(world)
    registered(client, "de-DE,de;q=0.9,en;q=0.5")
    person = the_person(world)
    assert person.language == "de"
    notice(world, person)
    [(title, text)] = mails_to(world.sink, 1)
    assert title == "T" and "Guten Tag Ann Example" in text
    assert "Ihre Einstellungen, was wir speichern" in text and "Your choices" not in text
    change_notice(world)
    title, text = mails_to(world.sink, 2)[-1]
    assert title == "Änderungen unserer Datenschutzerklärung", title
    assert "wir ändern unsere Datenschutzerklärung (Version 2026)" in text
    assert "15 Tage nach dieser E-Mail" in text and "Die neuen Bedingungen annehmen" in text
    request_refused(world, client, "de")
    told = mails_to(world.sink, 4)[-2:]  # the code, then the refusal
    assert told[0][0].startswith("Bestätigen Sie"), told[0][0]
    assert told[1][0] == "Ihre Anfrage wurde abgelehnt", told[1][0]
    assert "We cannot find an account" in told[1][1]  # staff's own words, as written
    assert not any(
        subject.startswith(("Your ", "Changes", "Confirm"))
        for subject, _ in mails_to(world.sink, 4)
    )


def test_a_person_who_used_the_english_page_gets_english(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    registered(client, "en-GB,en;q=0.9")
    person = the_person(world)
    assert person.language == "en"
    notice(world, person)
    change_notice(world)
    request_refused(world, client, "en")
    said = mails_to(world.sink, 4)
    assert [subject for subject, _ in said][1:] == [
        "Changes to our privacy statement",
        "Confirm it is you: Parature, Inc.",
        "Your request was refused",
    ]
    assert "Dear Ann Example" in said[0][1] and "Your choices, what we hold" in said[0][1]
    assert "It applies to you at the earliest of" in said[1][1]


def test_the_privacy_center_page_last_used_sets_the_language(mail: Mail, web: Web) -> None:
    """English form, then the privacy center with the German switch: German from then
    on; the page shown in English without any choice (junk) leaves it German."""
    world = mail("parature")
    client = web(world)
    registered(client, "en")
    person = the_person(world)
    with world.ledger.transaction(actor="test") as tx:
        subjects.set_language(tx, person, "en")
    link = messaging_link(world, person)
    visitor = web(world)
    assert visitor.get(link).status_code == 303
    assert visitor.get(f"{CENTER}?lang=de").status_code == 200
    assert the_person(world).language == "de"
    page = visitor.get(CENTER, headers={"Accept-Language": JUNK})
    assert page.headers["Content-Language"] == "de"  # the switch's cookie keeps it German
    fresh = web(world)
    assert fresh.get(link).status_code == 303
    shown = fresh.get(CENTER, headers={"Accept-Language": JUNK})
    assert shown.status_code == 200 and shown.headers["Content-Language"] == "en"
    assert the_person(world).language == "de", "a page nobody chose a language for"
    notice(world, the_person(world))
    assert "Guten Tag" in mails_to(world.sink, 1)[-1][1]


def messaging_link(world: World, person: subjects.Subject) -> str:
    from keepfaith.collect.links import link_token

    return f"{CENTER}?token={link_token(world.settings.secret_key, 'parature', str(person.id))}"


def test_the_api_takes_a_declared_language_and_ignores_junk(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    api = "/api/t/parature/collect/contact_form"
    ids = []
    for body, accept in (
        ({"language": "fr"}, JUNK),  # the field wins
        ({}, "da, fr-CA;q=0.8, en;q=0.5"),  # the header's best declared one
        ({"language": 12345}, JUNK),  # junk twice: nothing kept
        ({"language": "../../etc/passwd"}, ""),
        ({"language": "x" * 5000}, "*"),
        ({"language": ["de"]}, "tlh"),  # not text; Klingon is not declared
    ):
        fields = {**PARATURE_CONTACT, "email": f"p{len(ids)}@example.com"}
        made = client.post(
            api, json={"fields": fields, **body}, headers={"Accept-Language": accept}
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["subject"])
    with world.ledger.reading() as tx:
        kept = [subjects.get(tx, "parature", i).language for i in ids]
    assert kept == ["fr", "fr", None, None, None, None]


def test_a_request_by_api_keeps_its_language_and_junk_is_no_error(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    staff = _api_token(world)
    headers = {"Authorization": f"Bearer {staff}"}
    for email, language, accept in (
        ("a@example.com", "de-AT", ""),
        ("b@example.com", {"evil": 1}, JUNK),
        ("c@example.com", None, "de;q=0.4, xx;q=0.9"),
    ):
        body = {"kind": "portability", "email": email}
        if language is not None:
            body["language"] = language
        opened = client.post(
            "/api/t/parature/requests", json=body, headers={**headers, "Accept-Language": accept}
        )
        assert opened.status_code == 202, opened.text
    with world.ledger.reading() as tx:
        kept = {c.identity: c.language for c in cases.listing(tx, "parature")}
    assert kept == {"a@example.com": "de", "b@example.com": None, "c@example.com": "de"}
    deliver(world)
    codes = {m.recipients[0]: m.mail["Subject"] for m in world.sink.wait_for(3)}
    assert codes["a@example.com"].startswith("Bestätigen Sie")
    assert codes["b@example.com"].startswith("Confirm it is you")  # the tenant's first
    assert codes["c@example.com"].startswith("Bestätigen Sie")


def _api_token(world: World) -> str:
    from keepfaith.ledger import staff
    from keepfaith.ledger.staff import Role

    with world.ledger.transaction(actor="test") as tx:
        return staff.create_token(tx, "app", Role.SUPPORT_AGENT, tenant="parature")


def test_staff_reminders_stay_in_the_tenants_language(mail: Mail, web: Web) -> None:
    """A reminder goes to the privacy contact, not to the person: it is in the tenant's
    first language even for a request made on the German page."""
    world = mail("parature")
    client = web(world)
    token = form_token(client, REQUESTS)
    client.post(
        REQUESTS,
        data={"kind": "portability", "email": ADDRESS, "csrf_token": token},
        headers={"Accept-Language": "de"},
    )
    with world.ledger.reading() as tx:
        [case] = cases.listing(tx, "parature")
    assert case.language == "de"
    deliver(world)
    found = re.search(r"\b\d{6}\b", world.sink.wait_for(1)[0].text)
    assert found is not None
    with world.ledger.transaction(actor="web") as tx:
        rights.verify(tx, world.settings, "parature", case.id, found.group(0))
    with world.ledger.transaction(actor="jobs") as tx:
        assert [c.id for c in reminders.remind(tx, "parature", 60)] == [case.id]
    deliver(world)
    statement = load(EXAMPLES / "parature" / "statement.yaml")
    staff_address = reminders.staff_address(statement)
    assert staff_address is not None
    [reminder] = world.sink.to(staff_address)
    assert reminder.mail["Subject"] == f"Request {case.id} is due"


def test_email_this_page_is_in_the_senders_page_language(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    sent = client.post(
        "/api/t/parature/email-this-page/email_this_page",
        data={"friend_email": "fran@example.org", "your_name": "Ann", "page_url": "/t/parature/"},
        headers={"Accept-Language": "de"},
    )
    assert sent.status_code == 200, sent.text
    [arrived] = world.sink.wait_for(1)
    assert arrived.mail["Subject"] == "Ann hat Ihnen eine Seite von Parature, Inc. geschickt"


@pytest.mark.parametrize(
    ("wanted", "kept"),
    [
        ("de", "de"),
        ("DE", "de"),
        ("de-CH", "de"),
        ("de_AT", "de"),
        (" fr ", "fr"),
        ("es", None),
        ("", None),
        ("*", None),
        ("d", None),
        ("de-" + "x" * 40, None),
        (None, None),
        (7, None),
        (["de"], None),
    ],
)
def test_only_a_declared_language_is_kept(wanted: object, kept: str | None) -> None:
    statement = load(EXAMPLES / "parature" / "statement.yaml")
    assert subjects.spoken(statement, wanted) == kept


def test_a_referred_friend_keeps_the_referrers_language(mail: Mail) -> None:
    """The referral point's statement declares English only: German is ignored there,
    and the friend is written to in English; nothing fails."""
    world = mail("eztalks")
    with world.ledger.transaction() as tx:
        made = referrals.refer(
            tx,
            world.settings,
            "eztalks",
            "referral",
            friend="fran@example.org",
            friend_name="Fran",
            referrer_name="Ann",
            language="de",
        )
        assert made.subject_id is not None
        assert subjects.get(tx, "eztalks", made.subject_id).language is None
    world.work()
    [arrived] = world.sink.wait_for(1)
    assert "Ann invites you" in arrived.mail["Subject"]


def test_a_german_person_is_told_of_a_sale_in_german(mail: Mail, web: Web) -> None:
    import datetime as dt

    from keepfaith.changes import transfer

    world = mail("parature")
    registered(web(world), "de")
    with world.ledger.transaction(actor="ceo") as tx:
        transfer.announce(
            tx, "parature", "Acme Holdings", world.ledger.clock() + dt.timedelta(days=30)
        )
    world.work()
    [(title, text)] = mails_to(world.sink, 1)
    assert title == "Ein neuer Inhaber"
    assert "geht unser Unternehmen an Acme Holdings" in text and "/transfer/" in text


def test_a_complaint_made_on_the_german_page_is_answered_in_german(mail: Mail, web: Web) -> None:
    from keepfaith.rights import complaints

    world = mail("parature")
    client = web(world)
    page = "/t/parature/privacy-center/complaints"
    token = form_token(client, page)
    made = client.post(
        page,
        data={"email": ADDRESS, "text": "You kept emailing me.", "csrf_token": token},
        headers={"Accept-Language": "de-DE"},
    )
    assert made.status_code == 200, made.text
    with world.ledger.transaction(actor="dpo") as tx:
        [case] = cases.listing(tx, "parature")
        assert case.language == "de"
        complaints.acknowledge(tx, "parature", case.id)
        complaints.resolve(tx, "parature", case.id, "We stopped them.")
    deliver(world)
    said = mails_to(world.sink, 2)
    assert [title for title, _ in said] == ["Wir haben Ihre Beschwerde erhalten", "Ihre Beschwerde"]
    assert "Wir gehen ihr nach" in said[0][1] and "We stopped them." in said[1][1]


def test_one_campaign_reaches_each_person_in_their_own_language(mail: Mail, tmp_path: Path) -> None:
    """Queued set-based in one ``INSERT ... SELECT``, a campaign is still written to
    each person in their language, chosen when it is sent; a tenant's own German
    template overrides keepfaith's."""
    from keepfaith.messaging import campaigns
    from tests.messaging.conftest import person, templates

    own = templates(tmp_path, "parature", notice_de_txt="Subject: Neues\n\nUnser {{ text }}\n")
    world = mail("parature", mail_templates=own)
    people = {
        language: person(
            world.ledger, "parature", "customer", "registration", f"{language}@example.org"
        )
        for language in ("de", "en", "none", "fr")
    }
    with world.ledger.transaction() as tx:
        for language, who in people.items():
            subjects.set_language(tx, who, language)  # "none" is ignored
        started = campaigns.start(
            tx,
            "parature",
            "administrative_email",
            "notice",
            batch_size=2,
            context={"title": "News", "text": "Body."},
        )
    assert started.queued == 4
    world.work()
    said = {m.recipients[0].split("@")[0]: m for m in world.sink.wait_for(4)}
    assert said["de"].mail["Subject"] == "Neues" and "Unser Body." in said["de"].text
    assert "Ihre Einstellungen" in said["de"].text  # keepfaith's German footer
    for english in ("en", "none", "fr"):  # fr is declared, but has no template yet
        assert said[english].mail["Subject"] == "News", english
        assert "Dear Ann Example" in said[english].text, english


def test_a_german_persons_promotional_mail_tells_the_way_out_in_german(mail: Mail) -> None:
    world = mail("parature")
    addresses = {"de": "anna@example.org", "en": "ann@example.org"}
    for language, address in addresses.items():
        someone = person(
            world.ledger,
            "parature",
            "customer",
            "registration",
            address,
            consent=("marketing_email",),
        )
        with world.ledger.transaction(actor="test") as tx:
            subjects.set_language(tx, someone, language)
            messaging.queue(
                tx, someone, "marketing_email", "notice", context={"title": "T", "text": "X."}
            )
    world.work()
    world.sink.wait_for(2)
    [german] = world.sink.to(addresses["de"])
    [english] = world.sink.to(addresses["en"])
    assert (
        "E-Mails über Parature, seine Dienste und seine Partner. Widerrufen: der Abmeldelink "
        "in jeder Nachricht" in german.text
    )
    assert "To withdraw" not in german.text and "unsubscribe link" not in german.text
    assert (
        "Email about Parature, its Services and its partners. To withdraw: the unsubscribe "
        "link in every message" in english.text
    )
