"""Campaigns: the engine's audience, one job per batch, pause and resume, and a worker
killed with SIGKILL mid-campaign that, restarted, sends nobody twice and skips nobody."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keepfaith import jobs
from keepfaith.cli import app
from keepfaith.exceptions import Conflict, NotAllowed, NotFound
from keepfaith.ledger import ConsentKind, consents
from keepfaith.messaging import campaigns
from tests.conftest import ROOT
from tests.ledger.support import KEY
from tests.messaging.conftest import World, person

Mail = Callable[..., World]
NEWS = {"title": "Our spring news", "text": "Three new features."}
KEEPFAITH = Path(sys.executable).with_name("keepfaith")


def audience(world: World, count: int, *, offset: int = 0) -> list[str]:
    """``count`` customers who opted in to marketing email; their addresses."""
    emails = [f"person{offset + n}@example.org" for n in range(count)]
    for address in emails:
        person(
            world.ledger,
            "parature",
            "customer",
            "registration",
            address,
            consent=("marketing_email",),
        )
    return emails


def start(world: World, batch_size: int = 2) -> campaigns.Campaign:
    with world.ledger.transaction(actor="test") as tx:
        return campaigns.start(
            tx, "parature", "marketing_email", "notice", batch_size=batch_size, context=NEWS
        )


def test_a_campaign_reaches_exactly_the_engines_audience_in_batches(mail: Mail) -> None:
    world = mail("parature")
    chosen = audience(world, 5)
    person(world.ledger, "parature", "customer", "registration", "never@example.org")
    gone = person(
        world.ledger,
        "parature",
        "customer",
        "registration",
        "gone@example.org",
        consent=("marketing_email",),
    )
    with world.ledger.transaction() as tx:
        consents.record(tx, gone, "marketing_email", kind=ConsentKind.WITHDRAWN)
    started = start(world, batch_size=2)
    assert (started.queued, started.batches, started.progress) == (5, 3, {"queued": 5})
    assert started.clauses == ("PA-17", "PA-29")
    sends = [j for j in jobs.list_jobs(world.ledger, None, 50) if j.task == "messaging.send"]
    assert len(sends) == 3  # one job per batch
    world.work()
    arrived = world.sink.wait_for(5)
    assert sorted(r.recipients[0] for r in arrived) == sorted(chosen)
    assert all(r.mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for r in arrived)
    with world.ledger.reading() as tx:
        done = campaigns.get(tx, started.id)
    assert done.progress == {"sent": 5} and campaigns.status_of(done) == "done"


def test_a_paused_campaign_sends_nothing_more_until_resumed(mail: Mail) -> None:
    world = mail("parature")
    audience(world, 4)
    started = start(world, batch_size=1)
    with world.ledger.transaction() as tx:
        paused = campaigns.pause(tx, started.id)
    assert paused.status == "paused"
    world.work()
    assert world.sink.received == []
    with world.ledger.reading() as tx:
        assert campaigns.get(tx, started.id).progress == {"queued": 4}
    with pytest.raises(Conflict), world.ledger.transaction() as tx:
        campaigns.pause(tx, started.id)
    with world.ledger.transaction() as tx:
        campaigns.resume(tx, started.id)
    world.work()
    assert len(world.sink.wait_for(4)) == 4
    with world.ledger.reading() as tx:
        assert campaigns.get(tx, started.id).progress == {"sent": 4}


def test_a_pause_mid_batch_stops_at_the_end_of_the_round(mail: Mail) -> None:
    """A batch is decided as one chunk, but sent in rounds: a pause that commits while
    the batch is being sent stops it after the round in flight, not at the batch's end."""
    world = mail("parature", smtp_connections=1)
    audience(world, 6)
    started = start(world, batch_size=6)

    def pause_once(envelope: object) -> None:
        if len(world.sink.received) == 0:
            with world.ledger.transaction() as tx:
                campaigns.pause(tx, started.id)

    world.sink.on_data = pause_once
    world.work()
    sent = len(world.sink.received)
    assert 1 <= sent < 6, "stopped after the round in flight"
    with world.ledger.reading() as tx:
        assert campaigns.get(tx, started.id).progress == {"sent": sent, "queued": 6 - sent}
    world.sink.on_data = None
    with world.ledger.transaction() as tx:
        campaigns.resume(tx, started.id)
    world.work()
    arrived = world.sink.wait_for(6)
    assert len({m.recipients for m in arrived}) == 6, "each person once"


def test_a_campaign_nobody_may_get_or_of_an_unknown_template_is_refused(mail: Mail) -> None:
    world = mail("parature")
    person(world.ledger, "parature", "customer", "registration", "never@example.org")
    with pytest.raises(NotAllowed, match="nobody"), world.ledger.transaction() as tx:
        campaigns.start(tx, "parature", "marketing_email", "notice", batch_size=10)
    audience(world, 1)
    with pytest.raises(NotFound), world.ledger.transaction() as tx:
        campaigns.start(tx, "parature", "marketing_email", "no_such", batch_size=10)
    with pytest.raises(NotFound), world.ledger.transaction() as tx:
        campaigns.start(tx, "parature", "no_such_purpose", "notice", batch_size=10)


def environment(world: World) -> dict[str, str]:
    settings = world.settings
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KEEPFAITH_DATABASE_URL": settings.database_url,
        "KEEPFAITH_AUDIT_KEY": settings.audit_key,
        "KEEPFAITH_SECRET_KEY": settings.secret_key,
        "KEEPFAITH_ENCRYPTION_KEYS": json.dumps({"k1": KEY}),
        "KEEPFAITH_MAIL_FROM": settings.mail_from,
        "KEEPFAITH_MAIL_DOMAIN": settings.mail_domain,
        "KEEPFAITH_PUBLIC_URL": settings.public_url,
        "KEEPFAITH_SMTP_HOST": settings.smtp_host,
        "KEEPFAITH_SMTP_PORT": str(settings.smtp_port),
        "KEEPFAITH_SMTP_SECURITY": "none",
        "KEEPFAITH_SMTP_CONNECTIONS": "2",
        "KEEPFAITH_CAMPAIGN_BATCH": "5",
        "KEEPFAITH_JOBS_STALL_SECONDS": "2",
        "KEEPFAITH_JOBS_POLL_SECONDS": "0.2",
    }


def test_the_command_line_sends_a_campaign_and_shows_its_progress(mail: Mail) -> None:
    world = mail("parature")
    audience(world, 3)
    env = environment(world)
    sent = CliRunner().invoke(
        app,
        [
            "campaign",
            "send",
            "--purpose",
            "marketing_email",
            "--template",
            "notice",
            "--context",
            json.dumps(NEWS),
            "--format",
            "json",
        ],
        env=env,
    )
    assert sent.exit_code == 0, sent.output
    shown = json.loads(sent.stdout)
    assert (shown["queued"], shown["batches"], shown["status"]) == (3, 1, "running")
    worked = CliRunner().invoke(app, ["jobs", "work", "--burst"], env=env)
    assert worked.exit_code == 0, worked.output
    world.sink.wait_for(3)
    status = CliRunner().invoke(app, ["campaign", "status", str(shown["id"])], env=env)
    assert status.exit_code == 0 and "\tdone\t" in status.stdout and "3 sent" in status.stdout
    bad = CliRunner().invoke(
        app,
        [
            "campaign",
            "send",
            "--purpose",
            "marketing_email",
            "--template",
            "notice",
            "--context",
            "[1]",
        ],
        env=env,
    )
    assert bad.exit_code == 2 and "--context: error: must be a JSON object" in bad.stderr


def test_a_worker_killed_mid_campaign_then_restarted_sends_each_message_once(
    mail: Mail, tmp_path: Path
) -> None:
    world = mail("parature")
    world.sink.on_data = lambda envelope: time.sleep(0.05)  # a relay that takes its time
    chosen = audience(world, 40)
    start(world, batch_size=5)
    env = environment(world)

    log = (tmp_path / "workers.log").open("ab")

    def worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen([str(KEEPFAITH), "jobs", "work"], env=env, stdout=log, stderr=log)

    first = worker()
    try:
        deadline = time.monotonic() + 240  # generous: a loaded machine starts slowly
        while len(world.sink.received) < 8:
            assert first.poll() is None and time.monotonic() < deadline, "no mail arrived"
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = len(world.sink.received)
        assert killed_at < len(chosen)  # killed mid-campaign
        second = worker()
        try:
            world.sink.wait_for(len(chosen), timeout=300)
            time.sleep(1.0)  # anything sent twice would arrive by now
        finally:
            second.terminate()
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
        log.close()
    counts = Counter(r.recipients[0] for r in world.sink.received)
    assert sorted(counts) == sorted(chosen)
    assert set(counts.values()) == {1}, counts.most_common(3)
