"""Documents: upload a note to an encounter (queued for coding), list and read them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from medcoder.api.auditing import audit
from medcoder.api.coding_jobs import enqueue_coding, wait_for_document
from medcoder.api.deps import Principal, SessionDep, get_resources, require_roles
from medcoder.api.policy import PHI_READ, PHI_WRITE
from medcoder.api.problems import ProblemError, problem_responses
from medcoder.api.routes._common import (
    IdempotencyKey,
    idempotent,
    load_document,
    load_encounter,
    replay_headers,
    run_once,
)
from medcoder.api.schemas import BatchResult, BatchUpload, DocumentPublic
from medcoder.errors import InputError, NoteError
from medcoder.notes import read_document
from medcoder.store.crypto import digest
from medcoder.store.models import Document, Encounter

__all__ = ["document_public", "router"]

router = APIRouter(tags=["documents"])

_CONTENT_TYPES = ("text/plain", "application/json", "application/fhir+json")
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The note: plain text, a JSON envelope "
        '({"text": ..., "setting": ..., "date_of_service": ..., "patient": {...}}) or a FHIR '
        "R4 DocumentReference with an inline text attachment.",
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
            "application/fhir+json": {"schema": {"type": "object"}},
        },
    }
}


def document_public(
    document: Document,
    *,
    with_text: bool = False,
    duplicate_of: str | None = None,
    job_id: str | None = None,
) -> DocumentPublic:
    return DocumentPublic(
        id=document.id,
        encounter_id=document.encounter_id,
        kind=document.kind,
        content_type=document.content_type,
        status=document.status,
        created_at=document.created_at,
        duplicate_of=duplicate_of,
        job_id=job_id,
        text=document.text if with_text else None,
    )


def _media_type(request: Request) -> str:
    raw = request.headers.get("content-type", "text/plain")
    media = raw.split(";", 1)[0].strip().lower()
    if media not in _CONTENT_TYPES:
        raise ProblemError(
            415, f"upload the note as one of {', '.join(_CONTENT_TYPES)}, not {media or '?'}"
        )
    return media


@router.post(
    "/encounters/{encounter_id}/documents",
    status_code=201,
    response_model=DocumentPublic,
    responses={
        200: {"model": DocumentPublic, "description": "The same text was uploaded before"},
        202: {"model": DocumentPublic, "description": "?wait=true timed out: still queued"},
        **problem_responses(401, 403, 404, 413, 415, 422),
    },
    openapi_extra=_UPLOAD_BODY,
)
async def upload_document(
    encounter_id: str,
    request: Request,
    who: Annotated[Principal, Depends(require_roles(*PHI_WRITE))],
    kind: Annotated[
        str, Query(pattern=r"^[a-z_]{1,32}$", description="progress_note, discharge_summary, ...")
    ] = "progress_note",
    wait: Annotated[
        bool, Query(description="Wait for the coding to finish (needs a running worker)")
    ] = False,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Upload a note; it is stored encrypted and queued for coding. The same text uploaded
    again to the encounter returns the first document (200) instead of coding it twice."""
    resources = get_resources(request)
    media = _media_type(request)
    data = await request.body()
    if len(data) > resources.settings.max_document_bytes:
        raise ProblemError(413, f"the note is over {resources.settings.max_document_bytes} bytes")
    body = b"%s\n%s\n%s\n" % (media.encode(), kind.encode(), data)

    def create() -> tuple[int, Any]:
        with resources.session_factory() as session:
            return _store_upload(request, session, who, encounter_id, media, kind, data)

    status, payload, replayed = await run_in_threadpool(
        run_once,
        request,
        who,
        idempotency_key,
        body,
        create,
        scope=f"{who.user_id} POST /encounters/{encounter_id}/documents",
    )
    if status == 201 and not replayed:
        if resources.worker is not None:
            resources.worker.wake()
        if wait:
            final = await run_in_threadpool(
                wait_for_document,
                resources.session_factory,
                payload["id"],
                timeout=resources.settings.wait_seconds,
            )
            payload = {**payload, "status": final}
            if final not in ("coded", "failed"):
                status = 202
    return JSONResponse(payload, status_code=status, headers=replay_headers(replayed))


def _read_note(text: str, where: str) -> None:
    """Refuse now a note the worker could never code (empty, binary, malformed envelope)."""
    try:
        read_document(text, source="upload")
    except (NoteError, InputError) as exc:
        field = getattr(exc, "field", None)
        raise ProblemError(
            422, f"{where}: {exc}", field=f"{where}.{field}" if field else where
        ) from exc


def _add_document(
    request: Request,
    session: Session,
    who: Principal,
    encounter: Encounter,
    text: str,
    *,
    kind: str,
    media: str,
) -> tuple[int, DocumentPublic]:
    """Store one document and queue its coding (200 and the earlier one for a duplicate)."""
    text_hash = digest(text, purpose="documents.text")
    earlier = session.scalars(
        select(Document)
        .where(Document.encounter_id == encounter.id, Document.text_hash == text_hash)
        .order_by(Document.created_at)
    ).first()
    if earlier is not None:
        audit(
            session,
            request,
            who,
            "document.create",
            f"document/{earlier.id}",
            detail={"duplicate": True},
        )
        return 200, document_public(earlier, duplicate_of=earlier.id)
    document = Document(
        org_id=who.org_id,
        encounter_id=encounter.id,
        kind=kind,
        content_type=media,
        text=text,
        text_hash=text_hash,
        status="received",
    )
    session.add(document)
    session.flush()
    job_id = enqueue_coding(session, document)
    if encounter.status not in ("to_code", "to_review"):
        encounter.status = "to_code"
    audit(
        session,
        request,
        who,
        "document.create",
        f"document/{document.id}",
        detail={"encounter_id": encounter.id, "job_id": job_id},
    )
    return 201, document_public(document, job_id=job_id)


def _store_upload(
    request: Request,
    session: Session,
    who: Principal,
    encounter_id: str,
    media: str,
    kind: str,
    data: bytes,
) -> tuple[int, Any]:
    encounter = load_encounter(session, request, who, encounter_id)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(422, "the note must be UTF-8 text", field="body") from exc
    _read_note(text, "body")
    status, public = _add_document(request, session, who, encounter, text, kind=kind, media=media)
    session.commit()
    return status, public.model_dump(mode="json")


@router.post(
    "/documents/batch",
    status_code=201,
    response_model=BatchResult,
    responses=problem_responses(401, 403, 404, 413, 422),
)
def upload_batch(
    body: BatchUpload,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*PHI_WRITE))],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Upload notes for several encounters at once: every note is checked first, then all are
    stored and queued for coding in one transaction — or none, with the first problem named
    (``items[3].text``)."""
    limit = get_resources(request).settings.max_document_bytes
    for i, item in enumerate(body.items):
        if len(item.text.encode("utf-8")) > limit:
            raise ProblemError(413, f"items[{i}].text is over {limit} bytes")
        _read_note(item.text, f"items[{i}].text")

    def create() -> tuple[int, BatchResult]:
        encounters: dict[str, Encounter] = {}
        documents: list[DocumentPublic] = []
        for item in body.items:
            if item.encounter_id not in encounters:
                encounters[item.encounter_id] = load_encounter(
                    session, request, who, item.encounter_id
                )
            _, public = _add_document(
                request,
                session,
                who,
                encounters[item.encounter_id],
                item.text,
                kind=item.kind,
                media=item.content_type,
            )
            documents.append(public)
        session.commit()
        return 201, BatchResult(documents=documents)

    reply = idempotent(request, who, idempotency_key, body.model_dump(mode="json"), create)
    worker = get_resources(request).worker
    if worker is not None:
        worker.wake()
    return reply


@router.get(
    "/encounters/{encounter_id}/documents",
    response_model=list[DocumentPublic],
    responses=problem_responses(401, 403, 404),
)
def list_documents(
    encounter_id: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*PHI_READ))],
) -> list[DocumentPublic]:
    """The documents of an encounter (without their text)."""
    encounter = load_encounter(session, request, who, encounter_id)
    rows = session.scalars(
        select(Document)
        .where(Document.encounter_id == encounter.id)
        .order_by(Document.created_at, Document.id)
    ).all()
    audit(session, request, who, "document.list", f"encounter/{encounter.id}")
    session.commit()
    return [document_public(d) for d in rows]


@router.get(
    "/documents/{document_id}",
    response_model=DocumentPublic,
    responses=problem_responses(401, 403, 404),
)
def read_document_route(
    document_id: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*PHI_READ))],
) -> DocumentPublic:
    """One document with its text."""
    document, _ = load_document(session, request, who, document_id)
    audit(session, request, who, "document.read", f"document/{document.id}")
    session.commit()
    return document_public(document, with_text=True)
