"""`medcoder worker`: run background jobs (document coding) from the queue in the database."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import inspect, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from medcoder.cli._common import fail
from medcoder.cli._output import console, print_json
from medcoder.errors import InputError, MedcoderError
from medcoder.store.db import database_url, make_engine, make_session_factory
from medcoder.worker.admin import job_counts, jobs_with_status, retry_dead
from medcoder.worker.process import ServeOptions, serve
from medcoder.worker.runner import WorkerConfig
from medcoder.worker.scheduled import SmtpSettings, reminder_hour_from_env

__all__ = ["register"]


def _check_database(url: str) -> None:
    """Fail clearly when the database cannot be reached or was never migrated."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        fail(f"no database at {parsed.database}: run `medcoder db upgrade` first")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
    except SQLAlchemyError as exc:
        fail(f"cannot open the database: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()
    if "jobs" not in tables:
        fail("the database has no job queue yet: run `medcoder db upgrade` first")


def worker(
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, max=64, help="Worker processes.")
    ] = 1,
    once: Annotated[
        bool, typer.Option("--once", help="Run the jobs due now, then exit (no waiting).")
    ] = False,
    poll_interval: Annotated[
        float,
        typer.Option("--poll-interval", min=0.01, help="Seconds between polls when idle."),
    ] = 1.0,
    lease: Annotated[
        float,
        typer.Option(
            "--lease",
            min=0.5,
            help="Seconds a job stays claimed without a heartbeat; a dead worker's job is "
            "retried this long after its last heartbeat.",
        ),
    ] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Run queued jobs (document coding) until SIGTERM/SIGINT; the job in hand is finished.

    The database is MEDCODER_DATABASE_URL (default: SQLite in the data home). Progress is
    logged at INFO (job ids and timings only, never note text). With MEDCODER_REMINDER_HOUR
    set, it also sends the daily payment reminders through MEDCODER_SMTP_HOST.
    """
    url = database_url()
    _check_database(url)
    try:  # the scheduled reminders' settings (docs/worker.md, "Scheduled jobs")
        reminder_hour_from_env()
        SmtpSettings.from_env()
    except InputError as exc:
        fail(str(exc))
    logging.getLogger("medcoder.worker").setLevel(logging.INFO)
    options = ServeOptions(
        url=url,
        config=WorkerConfig(lease=dt.timedelta(seconds=lease), poll_interval=poll_interval),
        concurrency=concurrency,
        once=once,
    )
    try:
        stats = serve(options)
    except MedcoderError as exc:
        fail(str(exc), code=1)
    if stats is None:
        return
    counts = {
        "done": stats.done,
        "failed": stats.failed,
        "dead": stats.dead,
        "lost": stats.lost,
        "recovered": stats.recovered,
    }
    if as_json:
        print_json(counts)
    else:
        console.print(", ".join(f"{n} {name}" for name, n in counts.items()))


jobs_app = typer.Typer(
    help="The background job queue: counts, jobs that failed, retrying dead jobs.",
    no_args_is_help=True,
)


@contextmanager
def _session() -> Iterator[Session]:
    url = database_url()
    _check_database(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@jobs_app.command("status")
def jobs_status(
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=1000, help="Failed/dead jobs to list.")
    ] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Jobs per status, and the newest failed (retrying) and dead jobs with their errors."""
    with _session() as session:
        counts = job_counts(session)
        troubled = jobs_with_status(session, ("failed", "dead"), limit=limit)
        rows = [
            {
                "id": job.id,
                "kind": job.kind,
                "status": job.status,
                "attempts": f"{job.attempts}/{job.max_attempts}",
                "run_after": job.run_after.isoformat(timespec="seconds"),
                "last_error": job.last_error or "",
            }
            for job in troubled
        ]
    if as_json:
        print_json({"counts": counts, "jobs": rows})
        return
    console.print(", ".join(f"{n} {status}" for status, n in counts.items()))
    if rows:
        table = Table(title="failed and dead jobs (newest first)")
        for column in rows[0]:
            table.add_column(column.replace("_", " "), overflow="fold")
        for row in rows:
            table.add_row(*(escape(str(v)) for v in row.values()))
        console.print(table)


@jobs_app.command("retry")
def jobs_retry(
    job_ids: Annotated[
        list[str] | None, typer.Argument(help="Dead jobs to retry (default: every dead job).")
    ] = None,
) -> None:
    """Queue dead jobs again with fresh attempts (after fixing what killed them)."""
    with _session() as session, session.begin():
        count = retry_dead(session, job_ids or ())
    if job_ids and count != len(set(job_ids)):
        fail(f"{count} of {len(set(job_ids))} jobs re-queued: the others are not dead jobs")
    console.print(f"{count} dead job(s) queued again")


def register(app: typer.Typer) -> None:
    """Add ``medcoder worker`` and ``medcoder jobs status|retry`` to the app."""
    app.command("worker")(worker)
    app.add_typer(jobs_app, name="jobs")
