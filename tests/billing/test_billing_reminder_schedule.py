"""Payment reminders on a schedule: the worker runs each organization's daily reminder job
through the real queue and a real local SMTP server (aiosmtpd); a patient gets one reminder
for an aged balance — amount and aging in the message, nothing clinical — and a second run the
same day sends nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from billing_factories import (
    Practice,
    SmtpInbox,
    read_sample,
    smtp_inbox_fixture,  # noqa: F401 (the fixture)
)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from medcoder.cli import app
from medcoder.store.billing_models import LedgerEntryRecord, PatientReminderRecord
from medcoder.store.db import make_engine, make_session_factory, utcnow
from medcoder.store.jobs_models import Job
from medcoder.store.models import Document
from medcoder.worker import Worker, enqueue
from medcoder.worker.scheduled import SEND_REMINDERS, Scheduler, SendRemindersHandler

NOTE = "Assessment: type 2 diabetes mellitus with diabetic nephropathy E11.21; on metformin."
AGE_DAYS = 45


@pytest.fixture
def factory(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(fresh_db_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def practice(factory: sessionmaker[Session]) -> Practice:
    """The billing practice after its 835: PCN1002's patient owes $60.00, posted 45 days ago;
    their encounter has a clinical note."""
    practice = Practice(factory)
    practice.post(read_sample("era_mixed.835"))
    with factory() as s, s.begin():
        entries = s.scalars(
            select(LedgerEntryRecord).where(LedgerEntryRecord.org_id == practice.org_id)
        )
        for entry in entries:
            entry.posted_at = entry.posted_at - dt.timedelta(days=AGE_DAYS)
        s.add(
            Document(
                org_id=practice.org_id,
                encounter_id=practice.encounters["PCN1002"],
                text=NOTE,
                text_hash=hashlib.sha256(NOTE.encode()).hexdigest(),
            )
        )
    return practice


def smtp_env(port: int) -> dict[str, str]:
    return {
        "MEDCODER_SMTP_HOST": "127.0.0.1",
        "MEDCODER_SMTP_PORT": str(port),
        "MEDCODER_SMTP_FROM": "billing@riverside.example",
        "MEDCODER_SMTP_STARTTLS": "false",
    }


def scheduled_worker(factory: sessionmaker[Session], port: int, name: str) -> Worker:
    """A worker as ``medcoder worker`` runs it with MEDCODER_REMINDER_HOUR=0 (due already)."""
    return Worker(
        factory,
        {SEND_REMINDERS: SendRemindersHandler(smtp_env(port))},
        worker_id=name,
        before_claim=Scheduler(factory, hour=0).tick,
    )


def reminder_jobs(factory: sessionmaker[Session], org_id: str) -> list[Job]:
    with factory() as s:
        return list(
            s.scalars(
                select(Job)
                .where(Job.kind == SEND_REMINDERS, Job.org_id == org_id)
                .order_by(Job.run_after)
            )
        )


def assert_one_reminder(inbox: SmtpInbox, practice: Practice) -> None:
    (message,) = inbox.messages
    mail_from, recipients, received = message
    parsed = message_from_bytes(received.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert (mail_from, recipients) == ("billing@riverside.example", ["patient1@example.org"])
    assert parsed["Subject"] == "Your statement from billing test practice: $60.00 due"
    body_part = parsed.get_body(("plain",))
    assert body_part is not None
    body = body_part.get_content()
    assert "Dear Test Patient1," in body
    assert "Your balance with billing test practice is $60.00" in body
    assert f"The oldest amount has been open for {AGE_DAYS} days." in body
    raw = parsed.as_string()
    for clinical in ("E11.21", "E1121", "diabetes", "metformin", "Assessment"):
        assert clinical not in raw
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")


def test_the_scheduled_job_sends_each_reminder_once(
    factory: sessionmaker[Session], practice: Practice, smtp_inbox: tuple[SmtpInbox, int]
) -> None:
    inbox, port = smtp_inbox
    stats = scheduled_worker(factory, port, "first").run_until_idle()
    assert stats.done == 1 and stats.failed == 0
    assert_one_reminder(inbox, practice)
    today = utcnow().date()
    jobs = reminder_jobs(factory, practice.org_id)
    assert [(j.payload["day"], j.status) for j in jobs] == [
        (today.isoformat(), "done"),
        ((today + dt.timedelta(days=1)).isoformat(), "queued"),
    ]
    assert jobs[0].result == {"sent": 1, "not_sent": 0, "levels": {"reminder": 1}}
    with factory() as s:
        (record,) = s.scalars(
            select(PatientReminderRecord).where(PatientReminderRecord.org_id == practice.org_id)
        )
        assert (record.patient_id, record.level, record.statement_date) == (
            practice.patients["PCN1002"],
            "reminder",
            today,
        )

    # A restarted worker the same day: today's run is done, nothing new is queued or sent.
    again = scheduled_worker(factory, port, "restarted").run_until_idle()
    assert again.done == 0
    assert len(reminder_jobs(factory, practice.org_id)) == 2
    # A second run of the job the same day (queued by hand): it runs, and sends nothing.
    with factory() as s, s.begin():
        enqueue(
            s,
            kind=SEND_REMINDERS,
            payload={"org_id": practice.org_id, "day": today.isoformat()},
            org_id=practice.org_id,
        )
    assert scheduled_worker(factory, port, "manual").run_until_idle().done == 1
    assert len(inbox.messages) == 1
    (manual,) = [j for j in reminder_jobs(factory, practice.org_id) if j.idempotency_key is None]
    assert (manual.status, manual.result) == ("done", {"sent": 0, "not_sent": 0, "levels": {}})


def test_workers_racing_send_each_reminder_once(
    factory: sessionmaker[Session], practice: Practice, smtp_inbox: tuple[SmtpInbox, int]
) -> None:
    inbox, port = smtp_inbox
    workers = [scheduled_worker(factory, port, f"racer-{i}") for i in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        stats = list(pool.map(lambda w: w.run_until_idle(), workers))
    assert sum(s.done for s in stats) == 1 and sum(s.failed + s.lost for s in stats) == 0
    assert len(reminder_jobs(factory, practice.org_id)) == 2  # today's and tomorrow's
    assert_one_reminder(inbox, practice)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_refused_reminder_fails_the_job_and_is_sent_on_its_retry(
    factory: sessionmaker[Session], practice: Practice, smtp_inbox: tuple[SmtpInbox, int]
) -> None:
    inbox, port = smtp_inbox
    down = scheduled_worker(factory, _closed_port(), "no-server").run_until_idle()
    assert (down.done, down.failed) == (0, 1)
    today_job = reminder_jobs(factory, practice.org_id)[0]
    assert (today_job.status, today_job.attempts) == ("failed", 1)
    assert today_job.last_error == (
        "MedcoderError: 1 reminder(s) not sent (ConnectionRefusedError); 0 sent; "
        "the others are tried again"
    )
    with factory() as s, s.begin():  # the backoff has passed
        job = s.get(Job, today_job.id)
        assert job is not None
        job.run_after = utcnow() - dt.timedelta(seconds=1)
    assert scheduled_worker(factory, port, "server-up").run_until_idle().done == 1
    assert_one_reminder(inbox, practice)


def test_medcoder_worker_sends_the_reminders_on_its_schedule(
    fresh_db_url: str, practice: Practice, smtp_inbox: tuple[SmtpInbox, int]
) -> None:
    inbox, port = smtp_inbox
    env = {"MEDCODER_DATABASE_URL": fresh_db_url, "MEDCODER_REMINDER_HOUR": "0", **smtp_env(port)}
    result = CliRunner().invoke(app, ["worker", "--once", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["done"] == 1
    assert_one_reminder(inbox, practice)
    result = CliRunner().invoke(app, ["worker", "--once", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["done"] == 0
    assert len(inbox.messages) == 1
