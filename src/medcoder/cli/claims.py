"""Placeholder while this command group is being built; replaced by its owner."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `medcoder` app (none yet)."""
