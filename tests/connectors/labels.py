"""The true category of every column of the scanned databases, labelled by hand.

The rule: a column is personal when its values say something about a natural person the
company keeps rows of (customers, staff, employees, and people with a table of their own,
such as pagila's actors). Following Fides' own examples, a person's id (the key of a
table of people, and every key pointing at one) is ``user.unique_id``; other keys,
timestamps, flags and amounts are not personal, even in a person's row. A lookup table a
person's address points at (city, country) holds that part of the address. The
catalogue's text about works (titles, film descriptions, Chinook's artists and
composers) is not personal: the company keeps no record of those people, only of works.
Free text a person wrote is ``user.content.private``, and also ``user.contact.email``
where it holds email addresses.

Each label is a set of fideslang keys; the empty set means not personal.
"""

from __future__ import annotations

UID = "user.unique_id"
FIRST, LAST, NAME = "user.name.first", "user.name.last", "user.name"
EMAIL, PHONE, FAX = "user.contact.email", "user.contact.phone_number", "user.contact.fax_number"
STREET, CITY = "user.contact.address.street", "user.contact.address.city"
STATE, POSTAL = "user.contact.address.state", "user.contact.address.postal_code"
COUNTRY, ORG = "user.contact.address.country", "user.contact.organization"
DOB, PRIVATE = "user.demographic.date_of_birth", "user.content.private"

Labels = dict[str, dict[str, frozenset[str]]]


def _table(**columns: set[str] | frozenset[str]) -> dict[str, frozenset[str]]:
    return {name: frozenset(categories) for name, categories in columns.items()}


def _none(*columns: str) -> dict[str, frozenset[str]]:
    return {name: frozenset() for name in columns}


PAGILA: Labels = {
    "actor": _table(actor_id={UID}, first_name={FIRST}, last_name={LAST}, last_update=set()),
    "address": _table(
        address_id=set(),
        address={STREET},
        address2={STREET},
        district={STATE},
        city_id=set(),
        postal_code={POSTAL},
        phone={PHONE},
        last_update=set(),
    ),
    "category": _none("category_id", "name", "last_update"),
    "city": _table(city_id=set(), city={CITY}, country_id=set(), last_update=set()),
    "country": _table(country_id=set(), country={COUNTRY}, last_update=set()),
    "customer": _table(
        customer_id={UID},
        store_id=set(),
        first_name={FIRST},
        last_name={LAST},
        email={EMAIL},
        address_id=set(),
        activebool=set(),
        create_date=set(),
        last_update=set(),
        active=set(),
    ),
    "film": _none(
        "film_id",
        "title",
        "description",
        "release_year",
        "language_id",
        "original_language_id",
        "rental_duration",
        "rental_rate",
        "length",
        "replacement_cost",
        "rating",
        "last_update",
        "special_features",
        "fulltext",
    ),
    "film_actor": _table(actor_id={UID}, film_id=set(), last_update=set()),
    "film_category": _none("film_id", "category_id", "last_update"),
    "inventory": _none("inventory_id", "film_id", "store_id", "last_update"),
    "language": _none("language_id", "name", "last_update"),
    "payment": _table(
        payment_id=set(),
        customer_id={UID},
        staff_id={UID},
        rental_id=set(),
        amount=set(),
        payment_date=set(),
    ),
    "rental": _table(
        rental_id=set(),
        rental_date=set(),
        inventory_id=set(),
        customer_id={UID},
        return_date=set(),
        staff_id={UID},
        last_update=set(),
    ),
    "staff": _table(
        staff_id={UID},
        first_name={FIRST},
        last_name={LAST},
        address_id=set(),
        email={EMAIL},
        store_id=set(),
        active=set(),
        username={"user.account.username"},
        password={"user.authorization.password"},
        last_update=set(),
        picture={"user.content.self_image"},
    ),
    "store": _table(store_id=set(), manager_staff_id={UID}, address_id=set(), last_update=set()),
}

_ADDRESS = {
    "Address": {STREET},
    "City": {CITY},
    "State": {STATE},
    "Country": {COUNTRY},
    "PostalCode": {POSTAL},
    "Phone": {PHONE},
    "Fax": {FAX},
    "Email": {EMAIL},
}

CHINOOK: Labels = {
    "Album": _none("AlbumId", "Title", "ArtistId"),
    "Artist": _none("ArtistId", "Name"),
    "Customer": _table(
        CustomerId={UID},
        FirstName={FIRST},
        LastName={LAST},
        Company={ORG},
        SupportRepId={UID},
        **_ADDRESS,
    ),
    "Employee": _table(
        EmployeeId={UID},
        LastName={LAST},
        FirstName={FIRST},
        Title={"user.job_title"},
        ReportsTo={UID},
        BirthDate={DOB},
        HireDate=set(),
        **_ADDRESS,
    ),
    "Genre": _none("GenreId", "Name"),
    "Invoice": _table(
        InvoiceId=set(),
        CustomerId={UID},
        InvoiceDate=set(),
        BillingAddress={STREET},
        BillingCity={CITY},
        BillingState={STATE},
        BillingCountry={COUNTRY},
        BillingPostalCode={POSTAL},
        Total=set(),
    ),
    "InvoiceLine": _none("InvoiceLineId", "InvoiceId", "TrackId", "UnitPrice", "Quantity"),
    "MediaType": _none("MediaTypeId", "Name"),
    "Playlist": _none("PlaylistId", "Name"),
    "PlaylistTrack": _none("PlaylistId", "TrackId"),
    "Track": _none(
        "TrackId",
        "Name",
        "AlbumId",
        "MediaTypeId",
        "GenreId",
        "Composer",
        "Milliseconds",
        "Bytes",
        "UnitPrice",
    ),
}

AWKWARD: Labels = {
    "kd": _table(
        kd_nr={UID},
        vorname={FIRST},
        nachname={LAST},
        kd_eml={EMAIL},
        tel_nr={PHONE},
        geb_dat={DOB},
        strasse={STREET},
        plz={POSTAL},
        ort={CITY},
        iban={"user.financial.bank_account"},
        bemerkung={PRIVATE, EMAIL},
        f7={"user.government_id.national_identification_number"},
        erstellt_am=set(),
        aktiv=set(),
    ),
    "zahlung": _table(
        zlg_id=set(),
        kd_nr={UID},
        betrag=set(),
        zahlungsmittel={"user.financial.credit_card"},
        k_ref={EMAIL},
        letzte_adr={"user.device.ip_address"},
        datum=set(),
    ),
    "client": _table(
        id={UID},
        prenom={FIRST},
        nom={LAST},
        courriel={EMAIL},
        portable={PHONE},
        date_naissance={DOB},
        code_postal={POSTAL},
        ville={CITY},
        pays={COUNTRY},
        societe={ORG},
        commentaire={PRIVATE},
        cree_le=set(),
    ),
    "ticket": _table(
        ticket_id=set(),
        client_id={UID},
        sujet={PRIVATE, EMAIL},
        status=set(),
        prioritaet=set(),
    ),
}
