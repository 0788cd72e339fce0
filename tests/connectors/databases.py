"""The company databases the connector tests scan, each loaded into a database of its own.

- pagila on PostgreSQL, from ``shared/data/databases/pagila`` (psql, as its dump needs);
- chinook on SQLite (the shipped file, copied to a temporary directory) and on MariaDB
  (its MySQL script, under a unique database name);
- "awkward", made here: German abbreviations, a French CRM, columns whose names say
  nothing, free text holding email addresses, a comment that explains a cryptic column.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import DEFAULT_POSTGRES, SHARED

DATABASES = SHARED / "data" / "databases"
DEFAULT_MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test"


def _server(url: str) -> sa.URL:
    return sa.make_url(url)


@contextmanager
def pagila() -> Iterator[str]:
    """pagila loaded by psql into a fresh PostgreSQL database; its URL."""
    base = _server(os.environ.get("KEEPFAITH_TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    name = f"kf_pagila_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name)
    try:
        folder = DATABASES / "pagila"
        subprocess.run(
            [
                "psql",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                base.host or "127.0.0.1",
                "-p",
                str(base.port or 5432),
                "-U",
                base.username or "postgres",
                "-d",
                name,
                "-f",
                str(folder / "pagila-schema.sql"),
                "-f",
                str(folder / "pagila-data.sql"),
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "PGPASSWORD": base.password or ""},
        )
        loaded = sa.create_engine(url)
        with loaded.begin() as connection:
            connection.execute(sa.text("ANALYZE"))  # statistics, for TABLESAMPLE's choice
        loaded.dispose()
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def chinook_sqlite(directory: Path) -> Iterator[str]:
    copy = directory / "chinook.sqlite"
    shutil.copyfile(DATABASES / "chinook" / "Chinook_Sqlite.sqlite", copy)
    yield f"sqlite:///{copy}"


@contextmanager
def chinook_mariadb() -> Iterator[str]:
    """chinook's MySQL script run by the mysql client under a unique database name."""
    base = _server(os.environ.get("KEEPFAITH_TEST_MARIADB_URL", DEFAULT_MARIADB))
    name = f"kf_chinook_{uuid.uuid4().hex[:12]}"
    script = (DATABASES / "chinook" / "Chinook_MySql.sql").read_text(encoding="utf-8")
    command = [
        "mysql",
        "-h",
        base.host or "127.0.0.1",
        "-P",
        str(base.port or 3306),
        "-u",
        base.username or "root",
        "--default-character-set=utf8mb4",
    ]
    env = {**os.environ, "MYSQL_PWD": base.password or ""}
    subprocess.run(
        command,
        input=script.replace("`Chinook`", f"`{name}`"),
        text=True,
        check=True,
        capture_output=True,
        env=env,
    )
    try:
        yield base.set(database=name, query={"charset": "utf8mb4"}).render_as_string(
            hide_password=False
        )
    finally:
        subprocess.run(
            [*command, "-e", f"DROP DATABASE IF EXISTS `{name}`"],
            check=True,
            capture_output=True,
            env=env,
        )


# ---------------------------------------------------------------------------- awkward

GERMAN = [
    ("Jürgen", "Müller"),
    ("Anna", "Schmidt"),
    ("Lukas", "Schneider"),
    ("Marie", "Fischer"),
    ("Felix", "Weber"),
    ("Sophie", "Meyer"),
    ("Jonas", "Wagner"),
    ("Lea", "Becker"),
    ("Paul", "Schulz"),
    ("Emma", "Hoffmann"),
    ("Leon", "Koch"),
    ("Mia", "Bauer"),
    ("Finn", "Richter"),
    ("Hannah", "Klein"),
    ("Elias", "Wolf"),
    ("Lena", "Schröder"),
    ("Noah", "Neumann"),
    ("Laura", "Schwarz"),
    ("Ben", "Zimmermann"),
    ("Julia", "Braun"),
    ("Tim", "Krüger"),
    ("Sarah", "Hofmann"),
    ("Max", "Hartmann"),
    ("Lisa", "Lange"),
    ("David", "Schmitt"),
    ("Katharina", "Werner"),
    ("Jan", "Krause"),
    ("Johanna", "Meier"),
    ("Moritz", "Lehmann"),
    ("Clara", "Schmid"),
]
FRENCH = [
    ("Camille", "Martin"),
    ("Louis", "Bernard"),
    ("Chloé", "Dubois"),
    ("Hugo", "Thomas"),
    ("Manon", "Robert"),
    ("Gabriel", "Richard"),
    ("Inès", "Petit"),
    ("Arthur", "Durand"),
    ("Léa", "Leroy"),
    ("Jules", "Moreau"),
    ("Zoé", "Simon"),
    ("Raphaël", "Laurent"),
    ("Juliette", "Lefebvre"),
    ("Adam", "Michel"),
    ("Alice", "Garcia"),
    ("Lucas", "David"),
    ("Lina", "Bertrand"),
    ("Nathan", "Roux"),
    ("Rose", "Vincent"),
    ("Théo", "Fournier"),
    ("Jade", "Morel"),
    ("Tom", "Girard"),
    ("Sarah", "André"),
    ("Ethan", "Lefèvre"),
    ("Anaïs", "Mercier"),
    ("Paul", "Dupont"),
    ("Emma", "Lambert"),
    ("Victor", "Bonnet"),
    ("Eva", "François"),
    ("Noé", "Martinez"),
]
CITIES = ["Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Leipzig", "Dresden"]
VILLES = ["Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille", "Bordeaux"]

AWKWARD_COMMENTS = {("kd", "f7"): "Steueridentifikationsnummer des Kunden"}


def awkward_metadata(schema: str | None = None) -> sa.MetaData:
    metadata = sa.MetaData(schema=schema)
    text, integer = sa.Text, sa.Integer
    sa.Table(
        "kd",
        metadata,
        sa.Column("kd_nr", integer, primary_key=True),
        sa.Column("vorname", text),
        sa.Column("nachname", text),
        sa.Column("kd_eml", text),
        sa.Column("tel_nr", text),
        sa.Column("geb_dat", sa.Date),
        sa.Column("strasse", text),
        sa.Column("plz", sa.String(5)),
        sa.Column("ort", text),
        sa.Column("iban", text),
        sa.Column("bemerkung", text),
        sa.Column("f7", sa.String(11), comment=AWKWARD_COMMENTS[("kd", "f7")]),
        sa.Column("erstellt_am", sa.DateTime),
        sa.Column("aktiv", sa.Boolean),
    )
    sa.Table(
        "zahlung",
        metadata,
        sa.Column("zlg_id", integer, primary_key=True),
        sa.Column("kd_nr", integer, sa.ForeignKey("kd.kd_nr")),
        sa.Column("betrag", sa.Numeric(10, 2)),
        sa.Column("zahlungsmittel", text),
        sa.Column("k_ref", text),
        sa.Column("letzte_adr", text),
        sa.Column("datum", sa.Date),
    )
    sa.Table(
        "client",
        metadata,
        sa.Column("id", integer, primary_key=True),
        sa.Column("prenom", text),
        sa.Column("nom", text),
        sa.Column("courriel", text),
        sa.Column("portable", text),
        sa.Column("date_naissance", sa.Date),
        sa.Column("code_postal", sa.String(5)),
        sa.Column("ville", text),
        sa.Column("pays", text),
        sa.Column("societe", text),
        sa.Column("commentaire", text),
        sa.Column("cree_le", sa.DateTime),
    )
    sa.Table(
        "ticket",
        metadata,
        sa.Column("ticket_id", integer, primary_key=True),
        sa.Column("client_id", integer, sa.ForeignKey("client.id")),
        sa.Column("sujet", text),
        sa.Column("status", sa.String(20)),
        sa.Column("prioritaet", integer),
    )
    return metadata


def _email(first: str, last: str, domain: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
    return f"{plain.lower()}@{domain}"


def awkward_rows(seed: int = 17) -> dict[str, list[dict[str, object]]]:
    """The awkward database's rows, the same on every run."""
    from stdnum import iban, luhn

    rng = random.Random(seed)
    today = dt.date(2026, 1, 1)
    kd, zahlung, client, ticket = [], [], [], []
    for number, (first, last) in enumerate(GERMAN, start=1):
        address = _email(first, last, rng.choice(["web.de", "gmx.de", "t-online.de"]))
        bank = f"37040044{rng.randrange(10**10):010d}"
        notes = [
            f"Rechnung bitte an {_email(first, 'buero', 'example.de')} schicken",
            "Ruft lieber abends an",
            "Stammkunde seit 2012",
            "Lieferung nur dienstags",
            f"Neue Adresse per Mail: {address}",
        ]
        kd.append(
            {
                "kd_nr": number,
                "vorname": first,
                "nachname": last,
                "kd_eml": address,
                "tel_nr": f"+49 30 {rng.randrange(2000000, 9999999)}",
                "geb_dat": dt.date(
                    rng.randrange(1945, 2003), rng.randrange(1, 13), rng.randrange(1, 29)
                ),
                "strasse": rng.choice(["Haupt", "Linden", "Garten"])
                + f"straße {rng.randrange(1, 99)}",
                "plz": f"{rng.randrange(10000, 99999)}",
                "ort": rng.choice(CITIES),
                "iban": f"DE{iban.calc_check_digits('DE00' + bank)}{bank}",
                "bemerkung": rng.choice(notes),
                "f7": f"{rng.randrange(10**10, 10**11)}",
                "erstellt_am": dt.datetime(2024, 1, 1) + dt.timedelta(hours=rng.randrange(10_000)),
                "aktiv": rng.random() < 0.9,
            }
        )
    for number in range(1, 61):
        first, last = GERMAN[number % len(GERMAN)]
        card = "4" + "".join(str(rng.randrange(10)) for _ in range(14))
        zahlung.append(
            {
                "zlg_id": number,
                "kd_nr": number % len(GERMAN) + 1,
                "betrag": rng.randrange(100, 50_000) / 100,
                "zahlungsmittel": card + luhn.calc_check_digit(card),
                "k_ref": _email(first, last, "web.de"),
                "letzte_adr": ".".join(str(rng.randrange(1, 224)) for _ in range(4)),
                "datum": today - dt.timedelta(days=rng.randrange(700)),
            }
        )
    for number, (first, last) in enumerate(FRENCH, start=1):
        client.append(
            {
                "id": number,
                "prenom": first,
                "nom": last,
                "courriel": _email(
                    first, last, rng.choice(["orange.fr", "free.fr", "laposte.net"])
                ),
                "portable": "+33 6 " + " ".join(str(rng.randrange(10, 99)) for _ in range(4)),
                "date_naissance": dt.date(
                    rng.randrange(1950, 2004), rng.randrange(1, 13), rng.randrange(1, 29)
                ),
                "code_postal": f"{rng.randrange(10000, 95999)}",
                "ville": rng.choice(VILLES),
                "pays": rng.choice(["France", "Belgique", "Suisse"]),
                "societe": rng.choice(
                    ["Dupont SARL", "Atelier Lumière", "Boulangerie du Coin", None]
                ),
                "commentaire": rng.choice(
                    ["Client fidèle", "Préfère être contacté le matin", "À relancer en mars", None]
                ),
                "cree_le": dt.datetime(2023, 6, 1) + dt.timedelta(hours=rng.randrange(20_000)),
            }
        )
    for number in range(1, 41):
        first, last = FRENCH[number % len(FRENCH)]
        subjects = [
            "Problème de connexion",
            "Facture de mars incorrecte",
            f"Merci de répondre à {_email(first, last, 'orange.fr')}",
            "Commande non reçue",
            f"Changement d'adresse mail: {_email(last, first, 'free.fr')}",
        ]
        ticket.append(
            {
                "ticket_id": number,
                "client_id": number % len(FRENCH) + 1,
                "sujet": rng.choice(subjects),
                "status": rng.choice(["open", "closed"]),
                "prioritaet": rng.randrange(1, 4),
            }
        )
    return {"kd": kd, "zahlung": zahlung, "client": client, "ticket": ticket}


def create_awkward(url: str, schema: str | None = None) -> None:
    """Create and fill the awkward database at ``url`` (in ``schema`` where given)."""
    engine = sa.create_engine(url)
    metadata = awkward_metadata(schema)
    with engine.begin() as connection:
        if schema is not None:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        metadata.create_all(connection)
        for name, rows in awkward_rows().items():
            connection.execute(
                metadata.tables[f"{schema}.{name}" if schema else name].insert(), rows
            )
    engine.dispose()
