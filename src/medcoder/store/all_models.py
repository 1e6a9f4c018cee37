"""Import every module that defines tables, so that ``Base.metadata`` knows them all.

Alembic's env.py and anything that walks ``Base.metadata`` (key rotation) import this module.
A new model module is added here and gets its migration in ``migrations/versions``.
"""

from __future__ import annotations

import medcoder.store.billing_models
import medcoder.store.claims_models
import medcoder.store.idempotency_models
import medcoder.store.jobs_models
import medcoder.store.models
from medcoder.store.db import Base

__all__ = ["MODEL_MODULES", "Base"]

#: The modules whose tables make up the schema, in migration order.
MODEL_MODULES = tuple(
    module.__name__
    for module in (
        medcoder.store.models,
        medcoder.store.jobs_models,
        medcoder.store.claims_models,
        medcoder.store.billing_models,
        medcoder.store.idempotency_models,
    )
)
