"""Scheduled jobs: the daily reminder runs are queued once per organization and day, by any
number of workers, a day ahead (a restart never skips a day); without SMTP a run sends nothing
and says so (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from medcoder.cli import app
from medcoder.errors import InputError
from medcoder.store.db import make_engine, make_session_factory, utcnow
from medcoder.store.jobs_models import Job
from medcoder.store.models import Organization
from medcoder.worker import Worker, claim
from medcoder.worker.scheduled import (
    NOT_CONFIGURED,
    SEND_REMINDERS,
    Scheduler,
    SendRemindersHandler,
    SmtpSettings,
    reminder_hour_from_env,
    schedule_key,
)

MONDAY_6AM = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def factory(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(fresh_db_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def make_orgs(factory: sessionmaker[Session], *names: str) -> list[str]:
    with factory() as session, session.begin():
        orgs = [Organization(name=name) for name in names]
        session.add_all(orgs)
        session.flush()
        return [org.id for org in orgs]


def reminder_jobs(factory: sessionmaker[Session]) -> list[Job]:
    with factory() as session:
        return list(
            session.scalars(
                select(Job).where(Job.kind == SEND_REMINDERS).order_by(Job.run_after, Job.org_id)
            )
        )


def test_runs_are_queued_once_per_org_and_day(factory: sessionmaker[Session]) -> None:
    north, south = make_orgs(factory, "North Clinic", "South Clinic")
    now = [MONDAY_6AM]
    first = Scheduler(factory, hour=8, clock=lambda: now[0])
    assert first.tick() == 4  # today and tomorrow, for each organization
    jobs = reminder_jobs(factory)
    assert [(j.org_id, j.payload, j.run_after, j.status) for j in jobs] == [
        (org, {"org_id": org, "day": day}, at, "queued")
        for day, at in (
            ("2026-11-23", dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)),
            ("2026-11-24", dt.datetime(2026, 11, 24, 8, tzinfo=dt.UTC)),
        )
        for org in sorted((north, south))
    ]
    assert {j.idempotency_key for j in jobs} == {
        schedule_key(SEND_REMINDERS, org, day)
        for org in (north, south)
        for day in (dt.date(2026, 11, 23), dt.date(2026, 11, 24))
    }
    # A second worker ticking at the same time adds nothing.
    assert Scheduler(factory, hour=8, clock=lambda: now[0]).tick() == 0
    # A new organization: the same scheduler does not look again before `every` (5 min).
    (west,) = make_orgs(factory, "West Clinic")
    now[0] += dt.timedelta(minutes=4)
    assert first.tick() == 0
    now[0] += dt.timedelta(minutes=1)
    assert first.tick() == 2
    # The next day, only the day after is new.
    now[0] = MONDAY_6AM + dt.timedelta(days=1, hours=3)
    assert first.tick() == 3
    assert len(reminder_jobs(factory)) == 9
    assert {j.payload["day"] for j in reminder_jobs(factory) if j.org_id == west} == {
        "2026-11-23",
        "2026-11-24",
        "2026-11-25",
    }


def test_a_worker_down_at_the_hour_still_runs_that_day(factory: sessionmaker[Session]) -> None:
    (org,) = make_orgs(factory, "Night Clinic")
    Scheduler(factory, hour=8, clock=lambda: MONDAY_6AM).tick()
    # No worker runs until Tuesday 10:00 (restart); Tuesday's run was queued on Monday.
    tuesday_10am = MONDAY_6AM + dt.timedelta(days=1, hours=4)
    claimed = claim(
        factory,
        worker_id="back",
        lease=dt.timedelta(seconds=30),
        limit=10,
        kinds=(SEND_REMINDERS,),
        now=tuesday_10am,
    )
    assert sorted(job.payload["day"] for job in claimed) == ["2026-11-23", "2026-11-24"]
    assert {job.org_id for job in claimed} == {org}
    # Before the hour nothing is due yet.
    assert (
        claim(
            factory,
            worker_id="early",
            lease=dt.timedelta(seconds=30),
            kinds=(SEND_REMINDERS,),
            now=MONDAY_6AM + dt.timedelta(days=2),
        )
        == []
    )


def test_without_smtp_the_run_is_done_with_a_note(
    factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    (org,) = make_orgs(factory, "Quiet Clinic")
    handlers = {SEND_REMINDERS: SendRemindersHandler(environ={})}
    workers = [
        Worker(factory, handlers, worker_id=f"w{i}", before_claim=Scheduler(factory, hour=0).tick)
        for i in range(2)
    ]
    with caplog.at_level(logging.WARNING, logger="medcoder.worker"):
        stats = [w.run_until_idle() for w in workers]
    assert [s.done for s in stats] == [1, 0]  # today's run, once; the second worker had none
    today = utcnow().date()
    jobs = {j.payload["day"]: j for j in reminder_jobs(factory)}
    assert set(jobs) == {today.isoformat(), (today + dt.timedelta(days=1)).isoformat()}
    done = jobs[today.isoformat()]
    assert (done.org_id, done.status, done.attempts) == (org, "done", 1)
    assert done.result == {"sent": 0, "note": NOT_CONFIGURED}
    assert jobs[(today + dt.timedelta(days=1)).isoformat()].status == "queued"
    assert any(NOT_CONFIGURED in r.getMessage() for r in caplog.records)


def test_a_run_for_an_organization_that_is_gone_is_dead(factory: sessionmaker[Session]) -> None:
    from medcoder.worker import enqueue

    with factory() as session, session.begin():
        enqueue(session, kind=SEND_REMINDERS, payload={"org_id": "0" * 32, "day": "2026-11-23"})
    environ = {"MEDCODER_SMTP_HOST": "127.0.0.1", "MEDCODER_SMTP_FROM": "billing@example.org"}
    stats = Worker(factory, {SEND_REMINDERS: SendRemindersHandler(environ)}).run_until_idle()
    assert stats.dead == 1
    (job,) = reminder_jobs(factory)
    assert job.last_error == f"PermanentJobError: organization {'0' * 32} does not exist"


def test_settings_from_the_environment() -> None:
    assert SmtpSettings.from_env({}) is None
    assert SmtpSettings.from_env(
        {
            "MEDCODER_SMTP_HOST": "mail.example.org",
            "MEDCODER_SMTP_PORT": "2525",
            "MEDCODER_SMTP_FROM": "billing@example.org",
            "MEDCODER_SMTP_USER": "billing",
            "MEDCODER_SMTP_PASSWORD": "s3cret",
            "MEDCODER_SMTP_STARTTLS": "false",
        }
    ) == SmtpSettings("mail.example.org", 2525, "billing@example.org", False, "billing", "s3cret")
    defaults = SmtpSettings.from_env({"MEDCODER_SMTP_HOST": "h", "MEDCODER_SMTP_FROM": "a@b.c"})
    assert defaults == SmtpSettings("h", 587, "a@b.c", True)
    with pytest.raises(InputError, match="MEDCODER_SMTP_FROM"):
        SmtpSettings.from_env({"MEDCODER_SMTP_HOST": "h"})
    with pytest.raises(InputError, match="MEDCODER_SMTP_PORT must be a port number"):
        SmtpSettings.from_env(
            {"MEDCODER_SMTP_HOST": "h", "MEDCODER_SMTP_FROM": "a@b.c", "MEDCODER_SMTP_PORT": "x"}
        )
    assert reminder_hour_from_env({}) is None
    assert reminder_hour_from_env({"MEDCODER_REMINDER_HOUR": "7"}) == 7
    with pytest.raises(InputError, match="from 0 to 23"):
        reminder_hour_from_env({"MEDCODER_REMINDER_HOUR": "24"})


def test_worker_command_refuses_a_bad_hour(fresh_db_url: str) -> None:
    result = CliRunner().invoke(
        app,
        ["worker", "--once"],
        env={"MEDCODER_DATABASE_URL": fresh_db_url, "MEDCODER_REMINDER_HOUR": "8am"},
    )
    assert result.exit_code == 2
    assert "MEDCODER_REMINDER_HOUR must be an hour from 0 to 23 (UTC), got '8am'" in " ".join(
        result.output.split()
    )
