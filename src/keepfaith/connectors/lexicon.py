"""What a column's name (or comment) says it holds: words, abbreviations, other languages.

A name is split into words (``BillingPostalCode``, ``kd_eml``, ``geburtsdatum``) and
looked up in the vocabulary below, longest phrase first. Some words mean a person's data
only in a table of people (``name``, ``title``, ``notes``), so they are listed apart and
the scanner applies them only there. Words that say a column is about the system
(``last_update``, ``hire_date``, ``created``) are listed too: they outweigh a value that
merely looks personal (a hire date is a date in the right range for a birth date).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

NOT_PERSONAL = ""
"""The "category" of a phrase that says a column is not personal."""

VOCABULARY: dict[str, tuple[str, ...]] = {
    "user.contact.email": (
        "email", "e mail", "mail", "eml", "email address", "emailaddress", "mail address",
        "courriel", "correo", "correo electronico", "epost", "e post", "sahkoposti",
        "posta elettronica", "mailadresse",
    ),
    "user.contact.phone_number": (
        "phone", "phone number", "phone no", "phonenumber", "telephone", "tel", "tel no",
        "telefon", "telefonnummer", "telefono", "telefone", "telephone number", "mobile",
        "mobil", "mobile number", "cell", "cellphone", "cell phone", "handy", "portable",
        "gsm", "msisdn", "ph", "phn", "tlf", "puhelin", "tfn", "numero telephone", "movil",
        "celular",
    ),
    "user.contact.fax_number": ("fax", "telefax", "fax number", "fax no"),
    "user.name.first": (
        "first name", "firstname", "fname", "first nm", "given name", "givenname", "forename",
        "vorname", "prenom", "primer nombre", "primeiro nome", "voornaam", "fornavn",
        "fornamn", "imie", "etunimi", "nombre de pila",
    ),
    "user.name.last": (
        "last name", "lastname", "lname", "last nm", "surname", "family name", "familyname",
        "nachname", "familienname", "nom de famille", "apellido", "apellidos", "sobrenome",
        "achternaam", "efternamn", "etternavn", "efternavn", "nazwisko", "cognome", "sukunimi",
    ),
    "user.name": (
        "full name", "fullname", "contact name", "customer name", "person name",
        "nombre completo", "nome completo", "display name", "name of person", "member name",
        "client name", "user full name", "cust name", "cust nm", "kundenname",
    ),
    "user.contact.address.street": (
        "address", "address1", "address2", "address line", "address line1", "address line2",
        "addr", "addr1", "addr2", "street", "street address", "strasse", "straße", "adresse",
        "anschrift", "direccion", "calle", "rue", "endereco", "via", "straat", "gatuadress",
        "billing address", "shipping address", "home address", "hausnummer", "house number",
    ),
    "user.contact.address.city": (
        "city", "town", "ort", "stadt", "wohnort", "ville", "ciudad", "cidade", "citta",
        "municipality", "locality", "plaats", "billing city", "shipping city", "kaupunki",
    ),
    "user.contact.address.state": (
        "state", "province", "region", "district", "county", "bundesland", "provincia",
        "estado", "departement", "prefecture", "billing state", "kanton",
    ),
    "user.contact.address.postal_code": (
        "postal code", "postalcode", "postcode", "post code", "zip", "zipcode", "zip code",
        "plz", "postleitzahl", "code postal", "codepostal", "cp", "codigo postal", "cep",
        "postnummer", "postcode nl", "billing postal code", "cap", "postinumero",
    ),
    "user.contact.address.country": (
        "country", "country code", "country name", "land", "pays", "pais", "billing country",
        "nationality", "nationalitaet", "staatsangehoerigkeit",
    ),
    "user.contact.organization": (
        "company", "company name", "organization", "organisation", "firma", "firmenname",
        "empresa", "societe", "entreprise", "bedrijf", "azienda",
    ),
    "user.workplace": ("employer", "workplace", "arbeitgeber", "department", "abteilung"),
    "user.job_title": (
        "job title", "jobtitle", "position", "occupation", "profession", "beruf",
        "berufsbezeichnung", "poste", "cargo", "funcion", "job",
    ),
    "user.demographic.date_of_birth": (
        "birth date", "birthdate", "date of birth", "dob", "birthday", "born", "bday",
        "geburtsdatum", "geburtstag", "geb datum", "gebdat", "date naissance",
        "date de naissance", "fecha nacimiento", "fecha de nacimiento", "data nascimento",
        "data di nascita", "geboortedatum", "fodelsedag", "syntymaaika",
    ),
    "user.demographic.gender": (
        "gender", "sex", "geschlecht", "sexe", "genero", "sexo", "geslacht", "kon",
    ),
    "user.demographic.age_range": ("age", "age range", "age group", "edad", "idade"),
    "user.demographic.marital_status": (
        "marital status", "familienstand", "etat civil", "estado civil",
    ),
    "user.demographic.race_ethnicity": ("race", "ethnicity", "ethnic group"),
    "user.demographic.religious_belief": ("religion", "religious belief", "konfession"),
    "user.demographic.language": (
        "preferred language", "language preference", "locale", "spoken language",
        "muttersprache", "sprache",
    ),
    "user.account.username": (
        "username", "user name", "login", "login name", "loginname", "screen name",
        "nickname", "handle", "benutzername", "benutzer", "nom utilisateur", "usuario",
    ),
    "user.authorization.password": (
        "password", "passwd", "pwd", "pass", "password hash", "passwordhash", "pw hash",
        "pw", "kennwort", "passwort", "mot de passe", "contrasena", "senha", "salasana",
    ),
    "user.authorization.credentials": (
        "api key", "apikey", "access token", "refresh token", "auth token", "secret",
        "otp secret", "totp secret",
    ),
    "user.device.ip_address": (
        "ip", "ip address", "ipaddress", "ip addr", "ipaddr", "remote addr", "client ip",
        "last ip", "ip adresse", "remote ip", "source ip", "login ip",
    ),
    "user.device.device_id": ("device id", "deviceid", "idfa", "gaid", "advertising id"),
    "user.device.cookie_id": ("cookie id", "visitor id", "tracking id"),
    "user.financial.credit_card": (
        "card number", "cardnumber", "credit card", "creditcard", "cc number", "ccn", "cc no",
        "card no", "pan", "kreditkarte", "kreditkartennummer", "kartennummer",
        "numero tarjeta", "numero de carte", "card num", "cc num",
    ),
    "user.financial.bank_account": (
        "iban", "bank account", "account number", "bankaccount", "bic", "swift",
        "kontonummer", "bankverbindung", "routing number", "sort code", "rib",
    ),
    "user.financial": ("salary", "income", "gehalt", "einkommen", "credit score", "salaire"),
    "user.government_id.national_identification_number": (
        "ssn", "social security", "social security number", "national id", "nationalid",
        "national insurance number", "nino", "nin", "tax id", "taxid", "tin", "steuer id",
        "steuernummer", "steuer identifikationsnummer", "nif", "nie", "dni", "cpf", "bsn",
        "personnummer", "pesel", "codice fiscale", "insee", "svnr", "sozialversicherungsnummer",
        "ahv", "id number", "personal id", "henkilotunnus",
    ),
    "user.government_id.passport_number": (
        "passport", "passport no", "passport number", "reisepass", "pass nr", "passeport",
        "pasaporte",
    ),
    "user.government_id.drivers_license_number": (
        "drivers license", "driver license", "drivers licence", "driving licence",
        "licence number", "license number", "dl number", "fuehrerschein", "fuhrerschein",
    ),
    "user.health_and_medical": (
        "diagnosis", "medical", "medical history", "health", "allergy", "allergies",
        "blood type", "medication", "diagnose", "krankheit", "condition medical",
        "treatment", "symptoms",
    ),
    "user.health_and_medical.insurance_beneficiary_id": (
        "insurance number", "health insurance number", "versichertennummer",
        "krankenversicherungsnummer",
    ),
    "user.location.precise": (
        "latitude", "longitude", "lat", "lng", "lon", "geo", "coordinates", "gps",
        "geolocation", "geo location", "breitengrad", "laengengrad",
    ),
    "user.contact.url": (
        "website", "homepage", "home page", "personal url", "profile url", "linkedin",
        "twitter", "facebook", "instagram",
    ),
    "user.content.self_image": (
        "photo", "picture", "avatar", "portrait", "profile picture", "profile photo",
        "foto", "bild", "headshot", "selfie",
    ),
    NOT_PERSONAL: (
        "last update", "last updated", "updated", "updated at", "update date", "created",
        "created at", "create date", "creation date", "modified", "modified at",
        "last modified", "timestamp", "hire date", "hiredate", "invoice date",
        "payment date", "rental date", "return date", "order date", "ship date",
        "release year", "release date", "active", "activebool", "deleted", "version",
        "rental duration", "rental rate", "replacement cost", "amount", "total",
        "unit price", "quantity", "milliseconds", "bytes", "length", "rating",
        "special features", "fulltext", "price", "status", "sort order",
        "erstellt", "geaendert", "aktualisiert", "eingestellt am", "einstelldatum",
    ),
}
"""Phrases (words separated by a space) for each category they say a column holds."""

IN_PERSON_TABLES: dict[str, tuple[str, ...]] = {
    "user.name": ("name", "nom", "nombre", "nome", "naam", "nimi", "navn", "namn"),
    "user.job_title": ("title", "titel", "titre", "titulo", "role in company"),
    "user.content.private": (
        "notes", "note", "comment", "comments", "remarks", "remark", "memo", "bemerkung",
        "bemerkungen", "notiz", "notizen", "kommentar", "anmerkung", "commentaire",
        "observaciones", "nota", "notas", "description", "bio", "about", "freitext",
        "message", "nachricht",
    ),
    "user.content.self_image": ("image", "img"),
    "user.demographic.language": ("language", "lang"),
}
"""Phrases that mean a person's data only in a table whose rows are people."""

PERSON_TABLES = (
    "customer", "customers", "client", "clients", "user", "users", "member", "members",
    "person", "persons", "people", "employee", "employees", "staff", "patient", "patients",
    "contact", "contacts", "subscriber", "subscribers", "account holder", "kunde", "kunden",
    "mitarbeiter", "mitglied", "mitglieder", "cliente", "clientes", "usuario", "usuarios",
    "utilisateur", "utilisateurs", "persona", "personas", "personne", "klant", "klanten",
    "guest", "guests", "student", "students", "applicant", "applicants", "lead", "leads",
    "buyer", "buyers", "passenger", "passengers", "driver", "drivers", "actor", "actors",
    "author", "authors", "profile", "profiles", "ansprechpartner", "benutzer", "kd",
)
"""Table names whose rows are people (``kd``: the German abbreviation of Kunde)."""

CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
SEPARATORS = re.compile(r"[^a-z0-9]+")
DIGITS = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")


@cache
def words(name: str) -> tuple[str, ...]:
    """A column or table name as lower-case ASCII words: ``BillingPostalCode`` -> billing
    postal code; ``Straße`` -> strasse; ``address2`` -> address 2."""
    text = CAMEL.sub(" ", name.replace("ß", "ss"))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = DIGITS.sub(" ", text)
    return tuple(word for word in SEPARATORS.split(text) if word)


@dataclass(frozen=True)
class Meaning:
    """A category a name says, and the phrase that said it."""

    category: str
    phrase: str
    person_only: bool = False


@cache
def _index() -> tuple[dict[str, list[tuple[tuple[str, ...], Meaning]]], list[tuple[str, Meaning]]]:
    """Phrases by their first word, and the long ones also as one word (for compounds)."""
    by_first: dict[str, list[tuple[tuple[str, ...], Meaning]]] = {}
    compounds: list[tuple[str, Meaning]] = []
    for table, person_only in ((VOCABULARY, False), (IN_PERSON_TABLES, True)):
        for category, phrases in table.items():
            for phrase in phrases:
                parts = words(phrase)
                meaning = Meaning(category, phrase, person_only)
                by_first.setdefault(parts[0], []).append((parts, meaning))
                if len("".join(parts)) >= 6:
                    compounds.append(("".join(parts), meaning))
    return by_first, compounds


@cache
def meanings(name: str) -> tuple[Meaning, ...]:
    """What a name says, best match first: a whole phrase among its words, or (for the
    compounds of German and Dutch) a long phrase written as one word. The longest phrase
    wins, so ``billing postal code`` beats ``code``."""
    parts = tuple(w for w in words(name) if not w.isdigit())
    joined = "".join(parts)
    by_first, compounds = _index()
    found: dict[Meaning, int] = {}
    for start, word in enumerate(parts):
        for phrase, meaning in by_first.get(word, ()):
            if parts[start : start + len(phrase)] == phrase:
                found[meaning] = max(found.get(meaning, 0), len("".join(phrase)))
    for compound, meaning in compounds:
        if compound in joined:
            found[meaning] = max(found.get(meaning, 0), len(compound))
    return tuple(sorted(found, key=lambda m: (-found[m], m.person_only, m.phrase)))


def _contains(parts: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(parts[i : i + size] == phrase for i in range(len(parts) - size + 1))


@cache
def is_person_table(name: str) -> bool:
    """Whether a table's name says its rows are people."""
    parts = words(name)
    return any(_contains(parts, words(noun)) for noun in PERSON_TABLES)
