"""The staff pages outside the console in German: chosen by Accept-Language or the
switch like every page, offered in every catalogue language whatever the tenant's."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from keepfaith.ledger.staff import Role
from tests.web.conftest import EZTALKS

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
PAGES = [
    ("/admin", "Mandanten", "Tenants"),
    ("/admin/staff", "Konto für Mitarbeitende hinzufügen", "Add a staff user"),
    ("/admin/jobs", "Hintergrundaufträge", "Background jobs"),
    ("/admin/t/parature/requests", "Anträge auf Betroffenenrechte", "Rights requests"),
    ("/admin/t/parature/complaints", "Keine Beschwerde.", "No complaint."),
    ("/admin/t/parature/disclosures", "Offenlegungsprotokoll", "Disclosure log"),
    ("/admin/t/parature/legal-requests", "Eine rechtliche Anfrage erfassen", "Record a"),
    ("/admin/t/parature/ropa", "Verzeichnis der Verarbeitungstätigkeiten", "Records of"),
    ("/admin/t/parature/mail", "Eine Kampagne starten", "Start a campaign"),
    ("/admin/t/parature/publish", "Eine neue Fassung von parature", "Publish a new"),
    ("/admin/t/parature/connectors", "Datenbanken des Unternehmens", "Company databases"),
    ("/admin/t/parature/visits", "Besuchsstatistiken", "Visit statistics"),
]


@pytest.mark.parametrize(("path", "german", "english"), PAGES, ids=[p for p, _, _ in PAGES])
def test_a_staff_page_comes_in_german(
    staff_client: Callable[..., httpx.Client], path: str, german: str, english: str
) -> None:
    owner = staff_client(Role.OWNER)
    page = owner.get(path, headers=GERMAN)
    assert page.status_code == 200, path
    assert '<html lang="de">' in page.text and german in page.text
    assert english not in page.text
    assert "Abmelden" in page.text and "Sign out" not in page.text
    back = owner.get(path, headers={"Accept-Language": "en"})
    assert english in back.text and '<html lang="en">' in back.text


def test_the_staff_sign_in_page_has_the_switch(client: httpx.Client) -> None:
    page = client.get("/login", headers=GERMAN)
    assert "Anmeldung für Mitarbeitende" in page.text and 'href="?lang=en"' in page.text
    assert "Staff sign-in" in client.get("/login?lang=en", headers=GERMAN).text


def test_staff_pages_speak_german_for_a_tenant_that_does_not(
    make_app: Callable[..., object], make_client: Callable[..., httpx.Client]
) -> None:
    from tests.web.conftest import sign_in

    app = make_app((EZTALKS,))
    owner = make_client(app)
    sign_in(owner, app, Role.OWNER)
    page = owner.get("/admin/t/eztalks/requests", headers=GERMAN)
    assert page.status_code == 200 and "Anträge auf Betroffenenrechte" in page.text
    # ... while the tenant's people get its own languages only.
    person = make_client(app).get("/t/eztalks/privacy-center", headers=GERMAN)
    assert '<html lang="en">' in person.text
