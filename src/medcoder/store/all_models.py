"""Import every module that defines tables, so that ``Base.metadata`` knows them all.

Alembic's env.py and anything that walks ``Base.metadata`` (key rotation) import this module.
The jobs, claims and billing model modules are added by their owners; until all of them exist
a missing one is skipped (only that module missing, nothing else).
"""

from __future__ import annotations

import importlib

import medcoder.store.models  # noqa: F401  (registers the core tables)
from medcoder.store.db import Base

__all__ = ["Base", "OPTIONAL_MODEL_MODULES", "loaded_modules"]

OPTIONAL_MODEL_MODULES = (
    "medcoder.store.jobs_models",
    "medcoder.store.claims_models",
    "medcoder.store.billing_models",
    "medcoder.store.idempotency_models",
)

loaded_modules: list[str] = ["medcoder.store.models"]

for _name in OPTIONAL_MODEL_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        if exc.name != _name:
            raise
    else:
        loaded_modules.append(_name)
