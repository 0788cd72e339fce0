"""The pages of changes: staff publish after seeing the diff; a person answers a notice's
link or the privacy center, and sees what changed since the version they accepted."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from fastapi import FastAPI

from keepfaith.changes import answers
from keepfaith.collect.links import link_token
from keepfaith.ledger import changes as pending
from keepfaith.ledger import records, subjects
from keepfaith.ledger.staff import Role
from tests.changes.conftest import new_version
from tests.web.conftest import SECRET, form_token

PUBLISH = "/admin/t/parature/publish"


def customer(app: FastAPI, address: str) -> subjects.Subject:
    with app.state.ledger.transaction() as tx:
        ann = subjects.add(tx, "parature", "customer")
        records.add(tx, ann, "user.contact.email", address, collection_point="registration")
    return ann


def publish_by_page(staff: httpx.Client) -> httpx.Response:
    text = new_version("parature", "2026")
    token = form_token(staff, PUBLISH)
    shown = staff.post(PUBLISH, data={"text": text, "csrf_token": token})
    assert shown.status_code == 200, shown.text
    assert "Material: " in shown.text and "partner_offers" in shown.text
    assert "PA-32" in shown.text and 'id="confirm"' in shown.text
    return staff.post(PUBLISH, data={"text": text, "confirm": "yes", "csrf_token": token})


def test_staff_see_the_diff_then_publish_and_the_person_accepts_by_the_link(
    app: FastAPI,
    client: httpx.Client,
    staff_client: Callable[..., httpx.Client],
) -> None:
    ann = customer(app, "ann@example.org")
    done = publish_by_page(staff_client(Role.PRIVACY_OFFICER))
    assert done.status_code == 200 and 'id="published"' in done.text
    with app.state.ledger.reading() as tx:
        [change] = pending.of_subject(tx, ann.id)
        [publication] = pending.publications_of(tx, "parature")
    assert publication.published_by.endswith("@example.com") or publication.published_by
    path = f"/t/parature/changes/{answers.link_token(SECRET, change.id)}"
    page = client.get(path + "?answer=accepted")
    assert page.status_code == 200 and "partner_offers" in page.text
    assert 'value="accepted" autofocus' in page.text
    token = form_token(client, path)
    answered = client.post(path, data={"answer": "accepted", "csrf_token": token})
    assert answered.status_code == 200 and "new terms apply" in answered.text
    assert app.state.engine.may(ann, "partner_offers", "user.contact.email").allowed
    again = client.post(path, data={"answer": "refused", "csrf_token": token})
    assert again.status_code == 409


def test_the_privacy_center_shows_the_changes_since_the_accepted_version(
    app: FastAPI,
    client: httpx.Client,
    staff_client: Callable[..., httpx.Client],
) -> None:
    ann = customer(app, "ann@example.org")
    publish_by_page(staff_client(Role.PRIVACY_OFFICER))
    bearer = {"Authorization": f"Bearer {link_token(SECRET, 'parature', str(ann.id))}"}
    page = client.get("/t/parature/privacy-center/changes", headers=bearer)
    assert page.status_code == 200
    assert "/t/parature/versions/2010" in page.text and "/t/parature/versions/2026" in page.text
    assert "partner_offers" in page.text and 'id="answer"' in page.text
    old = client.get("/t/parature/versions/2010")
    assert old.status_code == 200 and "partner_offers" not in old.text
    refused = client.post(
        "/t/parature/privacy-center/changes", data={"answer": "refused"}, headers=bearer
    )
    assert refused.status_code == 403, "a form post needs the CSRF token"


def test_bad_links_and_strangers_are_refused_without_a_500(
    app: FastAPI, client: httpx.Client
) -> None:
    for token in ("1-" + "0" * 32, "abc", "%00", "1-" + "f" * 500, "é"):
        page = client.get(f"/t/parature/changes/{token}")
        assert 400 <= page.status_code < 500, (token, page.status_code)
        page = client.get(f"/t/parature/transfer/{token}")
        assert 400 <= page.status_code < 500, (token, page.status_code)
    assert client.get(PUBLISH).status_code == 401
    assert client.post(PUBLISH, data={"text": "x"}).status_code == 401
    assert client.get("/t/parature/privacy-center/changes").status_code == 401


def test_a_broken_statement_is_refused_with_its_line_and_nothing_is_published(
    app: FastAPI, staff_client: Callable[..., httpx.Client]
) -> None:
    staff = staff_client(Role.PRIVACY_OFFICER)
    token = form_token(staff, PUBLISH)
    text = new_version("parature", "2026").replace("basis: opt_out", "basis: maybe", 1)
    refused = staff.post(PUBLISH, data={"text": text, "confirm": "yes", "csrf_token": token})
    assert refused.status_code == 422
    assert re.search(r"<published text>:\d+:\d+: purposes\[0\]\.basis", refused.text)
    with app.state.ledger.reading() as tx:
        assert pending.publications_of(tx, "parature") == []
    support = staff_client(Role.SUPPORT_AGENT)
    assert support.get(PUBLISH).status_code == 403
