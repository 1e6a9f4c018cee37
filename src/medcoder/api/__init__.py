"""The HTTP API (FastAPI): patients, encounters, document upload, code review, audit.

A short tour::

    from medcoder.api import Settings, create_app
    app = create_app(Settings(database_url="sqlite:///medcoder.db", inline_coding=True))
    # uvicorn.run(app)   — or `medcoder serve`

Authentication, roles and scoping for other routers: :func:`medcoder.api.deps.require_roles`
and :data:`medcoder.api.deps.SessionDep`.
"""

from medcoder.api.app import API_PREFIX, create_app
from medcoder.api.deps import Principal, require_roles
from medcoder.api.policy import Role
from medcoder.api.settings import Settings

__all__ = ["API_PREFIX", "Principal", "Role", "Settings", "create_app", "require_roles"]
