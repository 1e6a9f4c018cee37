"""Scheduled jobs: the daily patient payment reminders, run by the worker through the queue.

``medcoder worker`` (with ``MEDCODER_REMINDER_HOUR`` set) calls :meth:`Scheduler.tick` before
it claims jobs. A tick enqueues, for every organization, the ``send_reminders`` job of *today*
and of *tomorrow*, each with the idempotency key ``send_reminders:<org id>:<day>`` and
``run_after`` = that day at the configured hour (UTC). Because of the key:

- several workers (or processes of ``--concurrency``) ticking at once add each run once, and
  the job's lease lets only one of them run it: reminders are never sent twice;
- tomorrow's run is in the queue a day ahead, so a worker that is down at the hour (a restart,
  a deploy) runs it as soon as any worker is back: no day is skipped.

The job (:class:`SendRemindersHandler`) calls
:func:`medcoder.billing.patient_billing.send_due_reminders` for the organization as of the
job's day; that function records every reminder sent (``patient_reminders``) and sends a
patient at most one reminder per ``repeat_every_days`` — a second run the same day sends
nothing. Each reminder's record is committed before the next e-mail goes out, so a worker that
dies mid-run re-sends at most the one message in flight. Reminders the SMTP server refused make
the job fail and retry with backoff (the ones already sent are not sent again).

SMTP settings come from the environment (``MEDCODER_SMTP_HOST``, ``_PORT``, ``_USER``,
``_PASSWORD``, ``_FROM``, ``_STARTTLS``). Without ``MEDCODER_SMTP_HOST`` no e-mail is sent: the
job logs a warning and finishes with a note in its result. Nothing about patients is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from medcoder.billing.patient_billing import ReminderRun, ReminderSender, send_due_reminders
from medcoder.billing.reminders import Reminder, SmtpSender
from medcoder.billing.statements import StatementPractice
from medcoder.errors import InputError, MedcoderError
from medcoder.store.db import utcnow
from medcoder.store.jobs_models import Job
from medcoder.store.models import Organization
from medcoder.worker.queue import ClaimedJob, enqueue
from medcoder.worker.runner import Apply, PermanentJobError

__all__ = [
    "SEND_REMINDERS",
    "Scheduler",
    "SendRemindersHandler",
    "SmtpSettings",
    "enqueue_reminder_runs",
    "reminder_hour_from_env",
    "run_time",
    "schedule_key",
    "scheduler_from_env",
]

log = logging.getLogger(__name__)

SEND_REMINDERS = "send_reminders"
NOT_CONFIGURED = "SMTP is not configured (MEDCODER_SMTP_HOST): no reminders sent"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


# -- settings --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where reminders are sent from (``MEDCODER_SMTP_*``)."""

    host: str
    port: int
    sender: str
    starttls: bool
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """The settings, or None when ``MEDCODER_SMTP_HOST`` is unset (no e-mail at all).

        Raises:
            InputError: a port that is not a number, no From address, a bad STARTTLS flag.
        """
        env = os.environ if environ is None else environ
        host = env.get("MEDCODER_SMTP_HOST", "").strip()
        if not host:
            return None
        raw_port = env.get("MEDCODER_SMTP_PORT", "587").strip()
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise InputError(
                f"MEDCODER_SMTP_PORT must be a port number, got {raw_port!r}",
                field="MEDCODER_SMTP_PORT",
            )
        sender = env.get("MEDCODER_SMTP_FROM", "").strip()
        if not sender:
            raise InputError(
                "MEDCODER_SMTP_FROM (the From address) is required with MEDCODER_SMTP_HOST",
                field="MEDCODER_SMTP_FROM",
            )
        flag = env.get("MEDCODER_SMTP_STARTTLS", "true").strip().lower()
        if flag not in _TRUE | _FALSE:
            raise InputError(
                f"MEDCODER_SMTP_STARTTLS must be true or false, got {flag!r}",
                field="MEDCODER_SMTP_STARTTLS",
            )
        return cls(
            host=host,
            port=int(raw_port),
            sender=sender,
            starttls=flag in _TRUE,
            username=env.get("MEDCODER_SMTP_USER") or None,
            password=env.get("MEDCODER_SMTP_PASSWORD") or None,
        )

    def sender_client(self) -> SmtpSender:
        """The billing package's SMTP sender with these settings."""
        return SmtpSender(
            self.host,
            self.port,
            self.sender,
            starttls=self.starttls,
            username=self.username,
            password=self.password,
        )


def reminder_hour_from_env(environ: Mapping[str, str] | None = None) -> int | None:
    """``MEDCODER_REMINDER_HOUR`` (0-23, UTC): when the daily reminders run; None when unset.

    Raises:
        InputError: not an hour.
    """
    env = os.environ if environ is None else environ
    raw = env.get("MEDCODER_REMINDER_HOUR", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 <= int(raw) <= 23:
        raise InputError(
            f"MEDCODER_REMINDER_HOUR must be an hour from 0 to 23 (UTC), got {raw!r}",
            field="MEDCODER_REMINDER_HOUR",
        )
    return int(raw)


# -- the schedule ----------------------------------------------------------------------------
def run_time(day: dt.date, hour: int) -> dt.datetime:
    """When the run of ``day`` is due: that day at ``hour``:00 UTC."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def schedule_key(kind: str, org_id: str, day: dt.date) -> str:
    """The idempotency key of one organization's run of ``kind`` on ``day``."""
    return f"{kind}:{org_id}:{day.isoformat()}"


def enqueue_reminder_runs(session: Session, *, hour: int, now: dt.datetime) -> int:
    """Queue today's and tomorrow's reminder run of every organization (in the caller's
    transaction); returns how many runs were new. Runs already queued (any state) stay as they
    are."""
    today = now.astimezone(dt.UTC).date()
    days = (today, today + dt.timedelta(days=1))
    org_ids = list(session.scalars(select(Organization.id).order_by(Organization.id)))
    wanted = {schedule_key(SEND_REMINDERS, org, day): (org, day) for org in org_ids for day in days}
    known = set(
        session.scalars(select(Job.idempotency_key).where(Job.idempotency_key.in_(list(wanted))))
    )
    added = 0
    for key, (org_id, day) in wanted.items():
        if key in known:
            continue
        enqueue(
            session,
            kind=SEND_REMINDERS,
            payload={"org_id": org_id, "day": day.isoformat()},
            idempotency_key=key,
            org_id=org_id,
            run_after=run_time(day, hour),
        )
        added += 1
    return added


class Scheduler:
    """Enqueues the scheduled runs at most once per ``every`` (a worker calls :meth:`tick`
    before each claim; most ticks do nothing).

    Args:
        factory: sessions on the queue's database.
        hour: the hour (UTC) the daily reminder runs are due.
        every: how often the runs are (re-)enqueued.
        clock: the current time (tests pass their own).
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        hour: int,
        every: dt.timedelta = dt.timedelta(minutes=5),
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._factory = factory
        self.hour = hour
        self._every = every
        self._clock = clock
        self._last: dt.datetime | None = None

    def tick(self) -> int:
        """Enqueue the runs if the last tick is older than ``every``; how many were new.

        A database error is logged and tried again on the next tick: it never stops the worker.
        """
        now = self._clock()
        if self._last is not None and now - self._last < self._every:
            return 0
        try:
            with self._factory() as session, session.begin():
                added = enqueue_reminder_runs(session, hour=self.hour, now=now)
        except Exception as exc:  # noqa: BLE001 - retried on the next tick
            log.warning("scheduling failed (%s); retrying on the next tick", type(exc).__name__)
            return 0
        self._last = now
        if added:
            log.info("scheduled %d reminder run(s)", added)
        return added


def scheduler_from_env(
    factory: sessionmaker[Session], environ: Mapping[str, str] | None = None
) -> Scheduler | None:
    """The scheduler ``medcoder worker`` runs, or None when ``MEDCODER_REMINDER_HOUR`` is unset."""
    hour = reminder_hour_from_env(environ)
    return None if hour is None else Scheduler(factory, hour=hour)


# -- the job ---------------------------------------------------------------------------------
class _CommitEachSent:
    """Commits the reminders recorded so far before each new e-mail goes out.

    ``send_due_reminders`` records a reminder right after sending it; committing before the
    next send means a crash loses at most the record of the message in flight (it may be sent
    again), and no write lock is held while the SMTP server is talked to.
    """

    def __init__(self, session: Session, sender: ReminderSender) -> None:
        self._session = session
        self._sender = sender

    def send(self, reminder: Reminder, pdf: bytes | None = None) -> None:
        self._session.commit()
        self._sender.send(reminder, pdf)


def _payload(job: ClaimedJob) -> tuple[str, dt.date]:
    org_id = job.payload.get("org_id")
    day = job.payload.get("day")
    if not isinstance(org_id, str) or not isinstance(day, str):
        raise PermanentJobError(f"job {job.id}: payload needs org_id and day")
    try:
        return org_id, dt.date.fromisoformat(day)
    except ValueError:
        raise PermanentJobError(f"job {job.id}: day {day!r} is not a date") from None


def _summary(run: ReminderRun) -> dict[str, Any]:
    levels: dict[str, int] = {}
    for _, level in run.sent:
        levels[level] = levels.get(level, 0) + 1
    return {"sent": len(run.sent), "not_sent": len(run.failed), "levels": levels}


class SendRemindersHandler:
    """Runs a ``send_reminders`` job: one organization's due reminders as of the job's day.

    Args:
        environ: where the SMTP settings are read (default ``os.environ``, read per job).
        sender_for: builds the sender from the settings (tests may record instead).
    """

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        sender_for: Callable[[SmtpSettings], ReminderSender] = SmtpSettings.sender_client,
    ) -> None:
        self._environ = environ
        self._sender_for = sender_for

    def __call__(self, job: ClaimedJob, factory: sessionmaker[Session]) -> Apply:
        org_id, day = _payload(job)
        try:
            settings = SmtpSettings.from_env(self._environ)
        except InputError as exc:
            raise PermanentJobError(str(exc)) from None
        if settings is None:
            log.warning("job %s: %s", job.id, NOT_CONFIGURED)
            note: dict[str, Any] = {"sent": 0, "note": NOT_CONFIGURED}
            return lambda _session: note
        with factory() as session:
            organization = session.get(Organization, org_id)
            if organization is None:
                raise PermanentJobError(f"organization {org_id} does not exist")
            sender = _CommitEachSent(session, self._sender_for(settings))
            run = send_due_reminders(
                session,
                org_id,
                sender=sender,
                practice=StatementPractice(organization.name),
                on=day,
                actor="worker",
            )
            session.commit()
        summary = _summary(run)
        if run.failed:
            errors = sorted({error for _, error in run.failed})
            raise MedcoderError(
                f"{len(run.failed)} reminder(s) not sent ({', '.join(errors)}); "
                f"{len(run.sent)} sent; the others are tried again"
            )
        log.info("job %s: %d reminder(s) sent", job.id, summary["sent"])
        return lambda _session: summary
