"""Checks shared by the loaders of rule data (coverage policies, payer files)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from medcoder.errors import InputError

__all__ = ["check_keys"]


def check_keys(
    data: object,
    allowed: Sequence[str],
    where: str,
    what: str,
    required: Sequence[str] | None = None,
) -> Mapping[str, Any]:
    """``data`` as a mapping whose keys are all ``allowed`` and include ``required``.

    Args:
        data: the decoded YAML / JSON value.
        allowed: the keys the object may have.
        where: its field path, e.g. ``"rules[2]"``, used in every message.
        what: what the object is, for the message ("policy", "max_units rule").
        required: keys that must be present (default: all of ``allowed``).

    Raises:
        InputError: not a mapping, an unknown key or a missing one (with the field path).
    """
    if not isinstance(data, Mapping):
        raise InputError(f"'{where}' must be a mapping, got {data!r}", field=where)
    for key in data:
        if key not in allowed:
            raise InputError(
                f"'{where}.{key}' is not a {what} key; expected one of: {', '.join(allowed)}",
                field=f"{where}.{key}",
            )
    for key in allowed if required is None else required:
        if key not in data:
            raise InputError(f"'{where}.{key}' is required", field=f"{where}.{key}")
    return data
