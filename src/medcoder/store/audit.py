"""The audit trail: append-only, hash-chained events, and their verification.

Each event says who (``actor``: ``user:<id>``, ``worker``, ``cli``), did what (``action``:
``patient.read``, ``document.create``, ``login`` ...), to which resource (``patient/<id>`` —
ids only, never PHI), when (UTC), from where (``ip``) and with what outcome (``success``,
``denied``, ``failure``). Events are numbered by ``seq`` and chained::

    hash = SHA-256(prev_hash || canonical JSON of the event)

where ``prev_hash`` is the hash of the event before (64 zeros for the first) and the canonical
JSON holds every column but ``seq`` and ``hash`` with sorted keys. The one-row table
``audit_chain_head`` holds the newest ``seq`` and hash: writers lock it (so the chain never
forks) and :func:`verify` uses it to notice events deleted from the end.

Nothing in medcoder updates or deletes an event; the migration adds triggers refusing UPDATE
and DELETE. Someone with administrator rights on the database can still drop them — which is
what :func:`verify` is for: it names the first event that was edited, deleted or reordered.

An event is written in the caller's transaction: a change and its audit event commit together.
Record it last, just before the commit: it locks the chain head until the commit.
Record denied or failed attempts in a transaction of their own, so a rollback does not take the
event with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from medcoder.errors import MedcoderError
from medcoder.store.db import new_id, utcnow
from medcoder.store.models import AuditChainHead, AuditEvent

__all__ = [
    "GENESIS_HASH",
    "OUTCOMES",
    "AuditError",
    "AuditProblem",
    "DetailValue",
    "VerifyResult",
    "event_hash",
    "head",
    "list_events",
    "record",
    "verify",
]

GENESIS_HASH = "0" * 64
OUTCOMES = ("success", "denied", "failure")
ProblemKind = Literal["edited", "deleted", "reordered"]
DetailValue = str | int | bool | None


class AuditError(MedcoderError):
    """The audit trail cannot be written or read (not its verification result)."""


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(event: AuditEvent) -> str:
    """The hash the event's content and ``prev_hash`` call for (compare with ``event.hash``)."""
    body = {
        "id": event.id,
        "at": _iso(event.at),
        "org_id": event.org_id,
        "actor": event.actor,
        "action": event.action,
        "resource": event.resource,
        "outcome": event.outcome,
        "ip": event.ip,
        "detail": event.detail,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256((event.prev_hash + canonical).encode()).hexdigest()


def record(
    session: Session,
    actor: str,
    action: str,
    resource: str,
    outcome: str = "success",
    ip: str | None = None,
    *,
    org_id: str | None = None,
    detail: Mapping[str, DetailValue] | None = None,
) -> AuditEvent:
    """Append an event to the chain in the session's transaction (flushed, not committed).

    Args:
        actor: who: ``user:<id>``, ``worker``, ``cli``, ``anonymous``.
        action: what, as ``<resource kind>.<verb>`` (``patient.read``) or a word (``login``).
        resource: which, by id (``patient/<id>``); never a name or other PHI.
        outcome: ``success``, ``denied`` or ``failure``.
        ip: the client address, when there is one.
        org_id: the organization whose data it is (``None`` for system events).
        detail: small, PHI-free facts (counts, status changes, a code).

    Raises:
        ValueError: an unknown outcome.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
    head = _head(session, lock=True)
    event = AuditEvent(
        id=new_id(),
        seq=head.seq + 1,
        at=utcnow(),
        org_id=org_id,
        actor=actor,
        action=action,
        resource=resource,
        outcome=outcome,
        ip=ip,
        detail=dict(detail) if detail else None,
        prev_hash=head.hash,
        hash="",
    )
    event.hash = event_hash(event)
    session.add(event)
    head.seq = event.seq
    head.hash = event.hash
    session.flush()
    return event


def _head(session: Session, *, lock: bool) -> AuditChainHead:
    # populate_existing: a head loaded by an earlier transaction of this session is stale.
    query = select(AuditChainHead).where(AuditChainHead.id == 1)
    if lock:
        query = query.with_for_update()
    head = session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
    if head is None:
        raise AuditError(
            "the audit chain head is missing: create the database with `medcoder db upgrade`"
        )
    return head


@dataclass(frozen=True)
class AuditProblem:
    """The first event where the chain breaks: its id (empty when the event itself is gone),
    1-based position in ``seq`` order, ``seq``, what is wrong and a one-line explanation."""

    kind: ProblemKind
    event_id: str
    position: int
    seq: int
    message: str


@dataclass(frozen=True)
class VerifyResult:
    """``ok`` when every event matches its hash and the chain runs unbroken to the head."""

    checked: int
    problem: AuditProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(
    session: Session, *, anchors: Mapping[int, str] | None = None, batch_size: int = 1000
) -> VerifyResult:
    """Walk the chain from the first event to the head and report the first break.

    Args:
        anchors: ``{seq: hash}`` heads written down earlier (:func:`head`) somewhere the
            database's administrators cannot write; each must still be in the chain. This
            catches a chain rewritten from some event onward, which the chain alone cannot.

    Events appended while it runs (after the head it read first) are not checked.
    """
    pinned = dict(anchors or {})
    head_row = _head(session, lock=False)
    head_seq, head_hash = head_row.seq, head_row.hash
    expected = GENESIS_HASH
    previous: AuditEvent | None = None
    position = 0
    query = select(AuditEvent).where(AuditEvent.seq <= head_seq).order_by(AuditEvent.seq)
    # yield_per streams (a server-side cursor on PostgreSQL): close it even when stopping early.
    with session.execute(query.execution_options(yield_per=batch_size)) as rows:
        for event in rows.scalars():
            position += 1
            problem = _check(session, event, position, expected, previous)
            if problem is None and pinned.get(event.seq, event.hash) != event.hash:
                problem = AuditProblem(
                    "edited",
                    event.id,
                    position,
                    event.seq,
                    f"its hash is not the anchored {pinned[event.seq][:12]}...: the chain was "
                    "rewritten from here or before",
                )
            if problem is not None:
                return VerifyResult(checked=position - 1, problem=problem)
            expected = event.hash
            previous = event
    last_seq = previous.seq if previous is not None else 0
    beyond = sorted(seq for seq in pinned if seq > last_seq)
    if last_seq != head_seq or expected != head_hash or beyond:
        missing = max([head_seq, *beyond]) - last_seq
        if missing > 0:
            kind: ProblemKind = "deleted"
            message = (
                f"the events end at seq {last_seq}, but the chain "
                f"{'head' if head_seq > last_seq else 'anchor'} says seq "
                f"{max([head_seq, *beyond])}: {missing} event(s) deleted from the end"
            )
        else:
            kind = "edited"
            message = f"the chain head (seq {head_seq}) does not match the last event"
        return VerifyResult(
            checked=position,
            problem=AuditProblem(kind, "", position + 1, last_seq + 1, message),
        )
    return VerifyResult(checked=position, problem=None)


def head(session: Session) -> tuple[int, str]:
    """The newest event's ``(seq, hash)`` — write it down elsewhere to anchor the chain."""
    row = _head(session, lock=False)
    return row.seq, row.hash


def _check(
    session: Session,
    event: AuditEvent,
    position: int,
    expected: str,
    previous: AuditEvent | None,
) -> AuditProblem | None:
    def problem(kind: ProblemKind, message: str) -> AuditProblem:
        return AuditProblem(kind, event.id, position, event.seq, message)

    if event_hash(event) != event.hash:
        return problem("edited", "its content does not match its hash (a column was changed)")
    previous_seq = previous.seq if previous is not None else 0
    if event.prev_hash != expected:
        owner = session.scalars(
            select(AuditEvent).where(AuditEvent.hash == event.prev_hash)
        ).first()
        if owner is not None:
            return problem(
                "reordered",
                f"in the chain it follows event {owner.id} (seq {owner.seq}), "
                f"but it sits at seq {event.seq}",
            )
        if event.seq != previous_seq + 1:
            return problem(
                "deleted",
                f"the event(s) before it are missing (seq {previous_seq + 1}..{event.seq - 1})",
            )
        if previous is None:
            return problem(
                "deleted", "the event(s) before it, at the start of the chain, are missing"
            )
        return AuditProblem(
            "edited",
            previous.id,
            position - 1,
            previous.seq,
            f"its hash was rewritten: the next event (seq {event.seq}) was chained to another",
        )
    if event.seq != previous_seq + 1:
        return problem("edited", f"its seq was changed (expected {previous_seq + 1})")
    return None


def list_events(
    session: Session,
    *,
    org_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    resource: str | None = None,
    outcome: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    before_seq: int | None = None,
) -> Sequence[AuditEvent]:
    """Events, newest first, filtered; ``action`` ending in ``.`` matches a prefix
    (``patient.``). Page with ``before_seq`` = the smallest ``seq`` of the previous page."""
    query: Select[AuditEvent] = select(AuditEvent)
    filters: list[Any] = []
    if org_id is not None:
        filters.append(AuditEvent.org_id == org_id)
    if actor is not None:
        filters.append(AuditEvent.actor == actor)
    if action is not None:
        filters.append(
            AuditEvent.action.startswith(action, autoescape=True)
            if action.endswith(".")
            else AuditEvent.action == action
        )
    if resource is not None:
        filters.append(AuditEvent.resource == resource)
    if outcome is not None:
        filters.append(AuditEvent.outcome == outcome)
    if since is not None:
        filters.append(AuditEvent.at >= since)
    if until is not None:
        filters.append(AuditEvent.at < until)
    if before_seq is not None:
        filters.append(AuditEvent.seq < before_seq)
    query = query.where(*filters).order_by(AuditEvent.seq.desc()).limit(limit)
    return session.scalars(query).all()
