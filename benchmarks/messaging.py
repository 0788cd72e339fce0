"""Benchmark of the outbox: queueing a campaign to 1M subjects, and sending throughput.

    python -m benchmarks.messaging                # 1M subjects on PostgreSQL, 5,000 sent
    python -m benchmarks.messaging --quick        # 50k subjects, 1,000 sent

Part 1 bulk-loads a population on PostgreSQL (a fresh schema): every subject opted in to
the newsletter, with an address collected for it; rebuilds the allowances, and times
``campaigns.start`` (the engine's one-query audience, one ``INSERT ... SELECT`` of the
outbox rows, one job per batch). Target: at most 30 s for 1M.

Part 2 sends into a loopback SMTP sink (aiosmtpd in a process of its own, advertising
PIPELINING), in the same run: (a) the sink's ceiling, what it accepts from a minimal
pipelined client writing pre-built messages over ``smtp_connections`` sessions and doing
nothing else; (b) a plain loop of the standard library's ``smtplib`` sending the same
messages over one reused connection; (c) keepfaith's send job over the campaign's first
batches (deciding each message again, rendering, composing, sending, recording). Targets:
(c) at least 50% of (a), and ahead of (b). Part 3 times a one-click unsubscribe until
the next queued message of that person is refused (target: under 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import smtplib
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import sqlalchemy as sa

import keepfaith
from keepfaith import messaging
from keepfaith.exceptions import NotAllowed
from keepfaith.ledger import ConsentMethod, Ledger, allowances, statements, subjects
from keepfaith.ledger.messages import messages as outbox
from keepfaith.messaging import campaigns, compose, delivery, templates, unsubscribe
from keepfaith.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
STATEMENT = ROOT / "tests" / "statement" / "fixtures" / "minimal.yaml"
POSTGRES = os.environ.get(
    "KEEPFAITH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
EMAIL, NAME = "user.contact.email", "user.name"
SINK = """
import asyncio, sys
from aiosmtpd.smtp import SMTP
class Handler:
    count = 0
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        responses.insert(-1, "250-PIPELINING")
        return responses
    async def handle_DATA(self, server, session, envelope):
        Handler.count += 1
        return "250 OK"
async def main():
    handler = Handler()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="sink"), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


def load_population(ledger: Ledger, count: int) -> None:
    """``count`` active customers, each with an address collected for the newsletter and
    consent to it, bulk-loaded in a handful of statements."""
    seq = f"SELECT generate_series(1, {count}) AS n"
    now = "'2024-03-01 12:00:00'"
    steps = [
        f"""INSERT INTO subjects (id, tenant, kind, statement_version, status, known_child, gpc,
            created_at, updated_at)
            SELECT n, 'acme', 'customer', '2024-01', 'active', false, false, {now}, {now}
            FROM ({seq}) AS s""",
        f"""INSERT INTO records (id, tenant, subject_id, category, value, collection_point,
            statement_version, provenance, anonymous, collected_at, updated_at)
            SELECT n, 'acme', n, '{EMAIL}', 'person' || n || '@example.com', 'signup',
                   '2024-01', '{{}}', false, {now}, {now} FROM ({seq}) AS s""",
        f"""INSERT INTO collected_for (record_id, subject_id, category, purpose, collection_point)
            SELECT n, n, '{EMAIL}', 'newsletter', 'signup' FROM ({seq}) AS s""",
        f"""INSERT INTO consent_events (tenant, subject_id, choice, kind, method, counts, evidence,
            statement_version, at)
            SELECT 'acme', n, 'newsletter', 'given', 'explicit', true, '{{}}', '2024-01', {now}
            FROM ({seq}) AS s""",
        f"""INSERT INTO consent_state (subject_id, choice, state, at)
            SELECT n, 'newsletter', 'given', {now} FROM ({seq}) AS s""",
    ]
    with ledger.engine.begin() as connection:
        for step in steps:
            connection.execute(sa.text(step))
        connection.execute(sa.text("SELECT setval('subjects_id_seq', :n)"), {"n": count})
        connection.execute(sa.text("SELECT setval('records_id_seq', :n)"), {"n": count})
    with ledger.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            sa.text("VACUUM ANALYZE")
        )


def start_sink() -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE)
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def envelopes(settings: Settings, count: int) -> list[compose.Envelope]:
    """The messages (a) and (b) send: composed as keepfaith composes the newsletter."""
    statement = keepfaith.load(STATEMENT)
    rendered = templates.render(
        None,
        statement,
        statement.purpose("newsletter"),
        "notice",
        {"title": "Spring news", "text": "Three new features.", "unsubscribe_url": "https://x/u"},
        promotional=True,
    )
    now = time.time()
    import datetime as dt

    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    return [
        compose.compose(
            settings,
            message_id=n + 1,
            tenant="acme",
            to=f"person{n + 1}@example.com",
            rendered=rendered,
            promotional=True,
            now=moment,
        )
        for n in range(count)
    ]


async def ceiling(port: int, batch: list[compose.Envelope], sessions: int) -> float:
    """The sink's ceiling: pre-built messages, pipelined, over ``sessions`` connections."""

    async def one(part: list[compose.Envelope]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reader.readline()
        writer.write(b"EHLO bench\r\n")
        while not (await reader.readline()).startswith(b"250 "):
            pass
        for envelope in part:
            writer.write(
                b"MAIL FROM:<"
                + envelope.sender.encode()
                + b">\r\nRCPT TO:<"
                + envelope.recipient.encode()
                + b">\r\nDATA\r\n"
            )
            for _ in range(3):
                await reader.readline()
            writer.write(envelope.data + b".\r\n")
            await reader.readline()
        writer.write(b"QUIT\r\n")
        await writer.drain()
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one(batch[i::sessions]) for i in range(sessions)))
    return len(batch) / (time.perf_counter() - started)


def smtplib_loop(port: int, batch: list[compose.Envelope]) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for envelope in batch:
            client.sendmail(envelope.sender, [envelope.recipient], envelope.data)
    return len(batch) / (time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--subjects", type=int, help="the campaign's population")
    parser.add_argument("--send", type=int, help="messages sent in part 2")
    parser.add_argument("--connections", type=int, default=4, help="smtp_connections")
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes sending batches side by side"
    )
    args = parser.parse_args(argv)
    population = args.subjects or (50_000 if args.quick else 1_000_000)
    count = args.send or (1_000 if args.quick else 5_000)
    print("machine load (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    schema = f"kf_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES else "?"
    url = f"{POSTGRES}{sep}options=-csearch_path%3D{schema}"
    sink, port = start_sink()
    try:
        run(url, port, population, count, args.connections, args.workers)
    finally:
        sink.kill()
        sink.wait()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run(
    url: str, port: int, population: int, count: int, connections: int, workers: int = 1
) -> None:
    settings = Settings(
        database_url=url,
        secret_key="bench-secret-key-0123456789abcdef",
        mail_from="News <news@acme.example>",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_connections=connections,
    )
    ledger = Ledger(url)
    ledger.migrate()
    statement = keepfaith.load(STATEMENT)
    with ledger.transaction() as tx:
        statements.publish(tx, statement, STATEMENT.read_text(encoding="utf-8"))
    began = time.perf_counter()
    load_population(ledger, population)
    allowances.rebuild(ledger)
    print(f"== loaded {population:,} subjects in {time.perf_counter() - began:.1f} s")
    context = {"title": "Spring news", "text": "Three new features."}
    began = time.perf_counter()
    with ledger.transaction(actor="bench") as tx:
        started = campaigns.start(
            tx, "acme", "newsletter", "notice", batch_size=settings.campaign_batch, context=context
        )
    queued = time.perf_counter() - began
    print(
        f"== part 1: campaign of {started.queued:,} messages in {started.batches:,} batches "
        f"(one job each) queued in {queued:.1f} s (target <= 30 s for 1M)"
    )
    batch = envelopes(settings, count)
    top = asyncio.run(ceiling(port, batch, settings.smtp_connections))
    plain = smtplib_loop(port, batch)
    batches = max(1, count // settings.campaign_batch)
    if workers > 1:
        sent, took, cpu_per_message = send_in_workers(settings, started.id, batches, workers)
    else:
        sent, took, cpu_per_message = send_batches(settings, started.id, range(batches))
    ours = sent / took
    print(f"== part 2: {sent:,} messages into a loopback aiosmtpd sink (another process)")
    print(
        f"  (a) sink ceiling, minimal pipelined client, {settings.smtp_connections} sessions: "
        f"{top:,.0f} msg/s"
    )
    print(f"  (b) smtplib loop, one reused connection: {plain:,.0f} msg/s")
    print(
        f"  (c) keepfaith send job (decide, render, compose, send, record), {workers} worker "
        f"process(es): {ours:,.0f} msg/s ({cpu_per_message * 1e3:.2f} ms of worker CPU a message)"
    )
    print(f"  ratios: keepfaith/ceiling {ours / top:.0%}, keepfaith/smtplib {ours / plain:.2f}x")
    one_click(ledger, settings, started.id)
    ledger.close()


def send_batches(
    settings: Settings, campaign_id: int, batches: Sequence[int]
) -> tuple[int, float, float]:
    """Send some batches of the campaign as the send job does, one after the other:
    (messages sent, wall seconds, CPU seconds a message)."""
    ledger = Ledger(settings.database_url)
    began, cpu = time.perf_counter(), time.process_time()
    sent = 0
    for number in batches:
        selection = delivery.Selection(campaign=campaign_id, batch=number)
        sent += delivery.deliver(ledger, settings, selection).get("sent", 0)
    took, used = time.perf_counter() - began, time.process_time() - cpu
    ledger.close()
    return sent, took, used / max(sent, 1)


def _warm(_: int) -> None:
    """Load keepfaith in a worker process before the clock starts."""
    import keepfaith.messaging.delivery  # noqa: F401


def send_in_workers(
    settings: Settings, campaign_id: int, batches: int, workers: int
) -> tuple[int, float, float]:
    """The batches shared by ``workers`` processes, as job workers share a campaign's
    send jobs: (messages sent, wall seconds from first to last, CPU seconds a message)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        list(pool.map(_warm, range(workers * 2)))
        shares = [range(k, batches, workers) for k in range(workers)]
        began = time.perf_counter()
        done = list(pool.map(send_batches, [settings] * workers, [campaign_id] * workers, shares))
        took = time.perf_counter() - began
    sent = sum(n for n, _, _ in done)
    cpu = sum(c * n for n, _, c in done) / max(sent, 1)
    return sent, took, cpu


def one_click(ledger: Ledger, settings: Settings, campaign_id: int) -> None:
    """Part 3: from the click to the next message of that person being refused."""
    with ledger.reading() as tx:
        row = tx.connection.execute(
            sa.select(outbox.c.id, outbox.c.subject_id)
            .where(outbox.c.campaign_id == campaign_id, outbox.c.status == "sent")
            .limit(1)
        ).one()
    context = {"title": "t", "text": "x"}
    began = time.perf_counter()
    with ledger.transaction(actor="unsubscribe") as tx:
        unsubscribe.unsubscribe(tx, row.id, ConsentMethod.LINK)
    try:
        with ledger.transaction() as tx:
            person = subjects.get(tx, "acme", row.subject_id)
            messaging.queue(tx, person, "newsletter", "notice", context=context)
        refused = False
    except NotAllowed:
        refused = True
    took = time.perf_counter() - began
    print(
        f"== part 3: one-click unsubscribe to the next message refused: {took * 1000:.0f} ms "
        f"(refused: {refused}; target < 1 s)"
    )


if __name__ == "__main__":
    main()
