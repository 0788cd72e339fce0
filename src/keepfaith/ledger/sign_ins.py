"""Requests for a privacy-center sign-in link: counted per address and per client.

A person who types their address gets a link by email (``keepfaith.messaging.sign_in``).
Each request is a row of two keyed digests, the address's and the client's (never the
address or the IP address themselves), so that the requests of the last hour can be
counted for either and the sending bounded, and old rows are dropped as new ones come.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from keepfaith.ledger.base import Id, Tenant, When, metadata
from keepfaith.ledger.crypto import tokens
from keepfaith.ledger.transaction import Transaction

sign_in_requests = sa.Table(
    "sign_in_requests",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("address_digest", sa.String(64), nullable=False),
    sa.Column("client_digest", sa.String(64), nullable=False),
    sa.Column("sent", sa.Boolean, nullable=False),
    sa.Column("at", When, nullable=False),
    sa.Index("ix_sign_in_requests_address", "tenant", "address_digest", "at"),
    sa.Index("ix_sign_in_requests_client", "client_digest", "at"),
)

WINDOW = dt.timedelta(hours=1)
"""The span requests are counted over."""


def client_digest(key: str, client: str) -> str:
    """The stored form of a client's address."""
    return tokens.keyed_digest(key, "sign-in.client", client)


def recent(tx: Transaction, tenant: str, address_digest: str, client: str) -> tuple[int, int]:
    """How many requests the last hour saw for this address (in this tenant) and from
    this client (in any tenant)."""
    since = tx.now() - WINDOW
    table = sign_in_requests
    by_address = tx.connection.execute(
        sa.select(sa.func.count()).where(
            table.c.tenant == tenant, table.c.address_digest == address_digest, table.c.at > since
        )
    ).scalar_one()
    by_client = tx.connection.execute(
        sa.select(sa.func.count()).where(table.c.client_digest == client, table.c.at > since)
    ).scalar_one()
    return int(by_address), int(by_client)


def add(tx: Transaction, tenant: str, address_digest: str, client: str, *, sent: bool) -> None:
    """Count one request, and drop those older than the window (nothing needs them)."""
    now = tx.now()
    tx.connection.execute(sign_in_requests.delete().where(sign_in_requests.c.at < now - WINDOW))
    tx.connection.execute(
        sign_in_requests.insert().values(
            tenant=tenant, address_digest=address_digest, client_digest=client, sent=sent, at=now
        )
    )
