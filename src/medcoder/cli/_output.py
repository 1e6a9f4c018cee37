"""Rendering of core results for people (Rich tables) and programs (JSON)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

__all__ = ["console", "err_console", "print_json", "render", "to_jsonable"]

console = Console()
err_console = Console(stderr=True)


def to_jsonable(value: Any) -> Any:
    """Dataclasses, enums, dates, paths, tuples -> plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [to_jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """Write ``value`` as indented JSON on stdout (no Rich markup, safe to pipe)."""
    print(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))  # noqa: T201


def _cell(value: Any, depth: int) -> RenderableType:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return render(value, depth=depth + 1)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items = list(value)
        if not items:
            return Text("—", style="dim")
        if all(dataclasses.is_dataclass(i) for i in items):
            return _rows_table(items, depth + 1)
        return Text("\n".join(str(to_jsonable(i)) for i in items))
    if value is None:
        return Text("—", style="dim")
    if isinstance(value, bool):
        return Text("yes" if value else "no", style="green" if value else "red")
    return Text(str(to_jsonable(value)))


def _rows_table(items: Sequence[Any], depth: int) -> Table:
    names = [f.name for f in dataclasses.fields(items[0])]
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for name in names:
        table.add_column(name.replace("_", " "))
    for item in items:
        table.add_row(*[_cell(getattr(item, n, None), depth) for n in names])
    return table


def render(value: Any, *, title: str | None = None, depth: int = 0) -> RenderableType:
    """A readable table of any result dataclass (nested values become nested tables)."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items = list(value)
        if items and all(dataclasses.is_dataclass(i) for i in items):
            table = _rows_table(items, depth)
            table.title = title
            return table
        return Text("\n".join(str(i) for i in items) or "(nothing)")
    if not (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        return Text(str(value))
    table = Table(show_header=False, box=None if depth else None, title=title, pad_edge=False)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for f in dataclasses.fields(value):
        table.add_row(f.name.replace("_", " "), _cell(getattr(value, f.name), depth))
    return table
