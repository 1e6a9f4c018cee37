"""Errors as RFC 9457 problem details (``application/problem+json``).

Routes and the core raise; the handlers registered here are the only place that turns an
exception into an HTTP status.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from medcoder.errors import (
    CodeError,
    InputError,
    MedcoderError,
    NoReleaseError,
    NoteError,
    TermNotFoundError,
)

__all__ = ["Problem", "ProblemError", "install_problem_handlers", "problem_responses"]

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"


class Problem(BaseModel):
    """An error response."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    field: str | None = None


class ProblemError(Exception):
    """Raised by the shell (routes, dependencies) to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or _TITLES.get(status, "Error")
        self.field = field
        self.headers = headers or {}


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def _respond(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(title=title or _TITLES.get(status, "Error"), status=status, detail=detail)
    content: dict[str, Any] = body.model_dump(exclude_none=True)
    if field:
        content["field"] = field
    return JSONResponse(content, status_code=status, headers=headers, media_type=PROBLEM_TYPE)


def _status_of(exc: MedcoderError) -> int:
    if isinstance(exc, (InputError, NoteError, CodeError, TermNotFoundError, NoReleaseError)):
        return 422
    return 500


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that answer every error as a problem document."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return _respond(
            exc.status, exc.detail, title=exc.title, field=exc.field, headers=exc.headers
        )

    async def on_medcoder(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, MedcoderError)
        field = getattr(exc, "field", None) or None
        status = _status_of(exc)
        detail = str(exc) if status < 500 else "internal error"
        return _respond(status, detail, field=field)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or None
        message = str(first.get("msg", "invalid request"))
        return _respond(422, f"{where}: {message}" if where else message, field=where)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers) if exc.headers else None
        return _respond(exc.status_code, str(exc.detail), headers=headers)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the server log (no request body, so no note text in it).
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return _respond(500, "internal error")

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(Exception, on_unexpected)
    app.add_exception_handler(MedcoderError, on_medcoder)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting problem answers for ``statuses``.

    422 is always included: any request can fail validation, and ours is a problem document,
    not FastAPI's default body.
    """
    return {
        status: {
            "model": Problem,
            "description": _TITLES.get(status, "Error"),
            "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in sorted({*statuses, 422})
    }
