"""Purpose-made terminal views of the results people read most (ICD-10-CM lookups)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from medcoder.codesets.icd10cm.index_models import IndexChild, IndexEntry
from medcoder.codesets.icd10cm.models import CodeInfo

__all__ = ["code_info_view", "index_entry_view"]

_NOTE_LABELS = {
    "inclusion": "Inclusion term",
    "includes": "Includes",
    "excludes1": "Excludes1",
    "excludes2": "Excludes2",
    "code_first": "Code first",
    "use_additional": "Use additional code",
    "code_also": "Code also",
    "notes": "Note",
}


def code_info_view(info: CodeInfo) -> RenderableType:
    """An ICD-10-CM code as a coder reads it in the Tabular List."""
    status = (
        Text(" billable ", style="bold white on green")
        if info.billable
        else Text(" not billable (header) ", style="bold white on red")
    )
    header = Text.assemble((f"{info.code}  ", "bold"), (info.title, "bold cyan"), "  ", status)
    chain = Text(" > ".join(f"{a.code} {a.title}" for a in info.ancestors), style="dim")
    parts: list[RenderableType] = [header, chain]
    if info.inclusion_terms:
        parts.append(Text("Inclusion terms: " + "; ".join(info.inclusion_terms)))
    if info.notes:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("note", no_wrap=True)
        table.add_column("from", no_wrap=True, style="dim")
        table.add_column("text")
        for note in info.notes:
            table.add_row(
                _NOTE_LABELS.get(note.kind.value, note.kind.value), note.source_code, note.text
            )
        parts.append(table)
    if info.seventh_characters:
        sevenths = "; ".join(f"{s.character} = {s.meaning}" for s in info.seventh_characters)
        source = info.seventh_characters[0].source_code
        parts.append(Text(f"7th character (from {source}): {sevenths}"))
        if info.placeholder_needed:
            parts.append(Text("Placeholder X needed to reach the 7th character.", style="yellow"))
    return Group(*parts)


def _path_line(path: tuple[str, ...], code: str | None, more: bool) -> Text:
    line = Text(" > ".join(path), style="bold")
    if code:
        line.append("  →  ")
        line.append(code, style="bold green")
        if more:
            line.append("  (incomplete: verify in the Tabular List)", style="yellow")
    return line


def _children_table(children: tuple[IndexChild, ...]) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("subterm")
    table.add_column("code")
    table.add_column("see")
    for child in children:
        term = child.term + (f" {child.nonessential}" if child.nonessential else "")
        if child.has_more or child.children:
            term += " …"
        table.add_row(term, child.code or "", child.see or child.see_also or "")
    return table


def index_entry_view(entry: IndexEntry) -> RenderableType:
    """An Alphabetic Index entry: its path and code, cross-references, subterms below."""
    parts: list[RenderableType] = [_path_line(entry.path, entry.code, entry.more_characters_needed)]
    for followed in entry.followed:
        parts.append(Text(f"followed: {followed}", style="dim"))
    if entry.nonessential:
        parts.append(Text(f"nonessential modifiers: {entry.nonessential}", style="dim"))
    if entry.see:
        parts.append(Text(f"see {entry.see}", style="yellow"))
    if entry.see_also:
        parts.append(Text(f"see also {entry.see_also}", style="yellow"))
    if entry.note:
        parts.append(Text(entry.note, style="yellow"))
    if entry.children:
        parts.append(_children_table(entry.children))
    return Group(*parts)
