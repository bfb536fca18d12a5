"""Printing helpers shared by commands: one JSON document, tables that fit, whole paths.

Every command's human tables go through `print_table`, so they read the same
at any width (80 columns is the usual SSH session and CI log):

- identifying columns (a target, a cell id, a finding, a drive, a fleet) are
  never cut: their values are printed whole;
- when the table does not fit, headers are abbreviated first, then the least
  important columns are dropped (and named below the table), and when even
  the identifying columns do not fit side by side, each row is printed as a
  block of `column: value` lines;
- long texts repeated across rows (advice) are printed once below the table
  and referenced from the rows by number.

`print_line` prints a line that the console never wraps: paths, run ids and
commands a user copies must stay whole on their line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from nvmeprobe.unknown import jsonable

console = Console()
err_console = Console(stderr=True)


def print_json(document: Any) -> None:
    """Print exactly one JSON document on stdout."""
    print(json.dumps(jsonable(document), indent=2, default=str))


def print_line(text: str, *, to: Console | None = None, style: str | None = None) -> None:
    """Print `text` (plain, no markup) as one line the console never wraps or highlights."""
    (to or console).print(Text(text, style=style or ""), soft_wrap=True, highlight=False)


@dataclass(frozen=True)
class Col:
    """One table column.

    key: identifies the row (never cut). keep: higher is dropped later (keys are
    never dropped). short: the header when space is tight. note: the values are
    long texts (or lists of them) printed once below the table, referenced by
    number in the row.
    """

    header: str
    key: bool = False
    keep: int = 0
    short: str | None = None
    justify: str = "left"
    note: bool = False


_SHORT = 10  # a value this short ('512 MiB') is never wrapped
_LONG_WORD = 16  # a non-identifying word longer than this may be folded to make room


def _plain(value: str) -> str:
    return Text.from_markup(value).plain


def _notes(columns: Sequence[Col], rows: list[list[Any]]) -> tuple[list[list[str]], list[str]]:
    """Replace note-column values (a text or a list of texts) by '[n]' references; the
    distinct texts in order of first use."""
    texts: list[str] = []
    result = []
    for row in rows:
        row = list(row)
        for i, column in enumerate(columns):
            if column.note:
                items = [row[i]] if isinstance(row[i], str) else list(row[i] or [])
                for item in items:
                    if item and item not in texts:
                        texts.append(item)
                row[i] = " ".join(f"[{texts.index(item) + 1}]" for item in items if item)
        result.append(row)
    return result, texts


def _widths(
    columns: Sequence[Col], rows: list[list[str]], headers: list[str]
) -> tuple[list[int], list[int]]:
    """(natural, minimum) content width of each column: keys are never narrower than their
    longest value; other columns keep short values whole and wrap longer ones between words
    (a word over _LONG_WORD may fold)."""
    natural, minimum = [], []
    for i, column in enumerate(columns):
        texts = [_plain(row[i]) for row in rows] + [headers[i]]
        lines = [line for text in texts for line in text.splitlines() or [""]]
        natural.append(max(len(line) for line in lines))
        parts = [
            len(text) if len(text) <= _SHORT else max(map(len, text.split() or [""]))
            for text in texts
        ]
        minimum.append(natural[-1] if column.key else min(max(parts), _LONG_WORD))
    return natural, minimum


def _table(
    title: str | None,
    columns: Sequence[Col],
    rows: list[list[str]],
    short: bool,
    show_header: bool,
    out: Console,
    **options: Any,
) -> Table | None:
    """The table at the console's width, None when its narrowest layout does not fit."""
    headers = [(c.short or c.header) if short else c.header for c in columns]
    natural, minimum = _widths(columns, rows, headers)

    def build(widths: list[int]) -> Table:
        table = Table(title=title, title_justify="left", show_header=show_header, **options)
        for column, header, width in zip(columns, headers, widths):
            table.add_column(
                header,
                width=width,
                justify=column.justify,  # type: ignore[arg-type]
                no_wrap=column.key,
                overflow="fold",
            )
        for row in rows:
            table.add_row(*row)
        return table

    unbounded = out.options.update_width(10_000)  # measure() clamps to the width it is given
    overhead = out.measure(build(minimum), options=unbounded).minimum - sum(minimum)
    budget = out.width - overhead
    if sum(minimum) > budget:
        return None
    widths = list(natural)
    while sum(widths) > budget:  # narrow the widest column that may still wrap
        i = max((i for i in range(len(widths)) if widths[i] > minimum[i]), key=lambda i: widths[i])
        widths[i] -= 1
    return build(widths)


def _print_blocks(
    title: str | None, columns: Sequence[Col], rows: list[list[str]], out: Console
) -> None:
    """One record per block: the identifying values on a line of their own, then the other
    `column: value` pairs, as many to a line as fit."""
    if title:
        out.print(Text(title, style="bold"), soft_wrap=True, highlight=False)
    keys = [i for i, c in enumerate(columns) if c.key]
    for row in rows:
        out.print(
            Text.from_markup("  ".join(row[i] for i in keys), style="bold"),
            soft_wrap=True,
            highlight=False,
        )
        line = Text("  ")
        for i, column in enumerate(columns):
            if i in keys or not _plain(row[i]):
                continue
            field = Text.from_markup(f"{escape(column.header)}: " if column.header else "")
            field += Text.from_markup(row[i])
            if len(line.plain) > 2 and len(line.plain) + 3 + len(field.plain) > out.width:
                out.print(line, highlight=False)
                line = Text("  ")
            line += Text("   ") + field if len(line.plain) > 2 else field
        if len(line.plain) > 2:
            out.print(line, highlight=False)


def print_table(
    columns: Sequence[Col],
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = None,
    caption: str | None = None,
    show_header: bool = True,
    out: Console | None = None,
    **options: Any,
) -> None:
    """Print rows (rich markup strings; a note column's value may be a list of texts)
    under `columns`, fitted to the console width. Each note is printed once below the
    table, whole on its line (it may hold a command to copy)."""
    out = out or console
    grid, texts = _notes(columns, [list(r) for r in rows])
    shown = list(range(len(columns)))
    droppable = sorted(
        (i for i, c in enumerate(columns) if not c.key), key=lambda i: (columns[i].keep, -i)
    )

    def attempt(short: bool) -> Table | None:
        return _table(
            title,
            [columns[i] for i in shown],
            [[r[i] for i in shown] for r in grid],
            short,
            show_header,
            out,
            caption=caption,
            **options,
        )

    # full headers; then short ones, leaving out the least important columns one by one
    table = attempt(short=False)
    if table is None:
        table = attempt(short=True)
    while table is None and droppable:
        shown.remove(droppable.pop(0))
        table = attempt(short=True)
    if table is None:
        _print_blocks(title, columns, grid, out)
        shown = list(range(len(columns)))
    else:
        out.print(table)
    dropped = [columns[i].header for i in range(len(columns)) if i not in shown]
    if dropped:
        out.print(
            f"[dim]not shown at this width: {escape(', '.join(dropped))} (see --json)[/]",
            highlight=False,
        )
    for n, text in enumerate(texts, 1):
        out.print(
            Text.from_markup(f"[{n}] ") + Text.from_markup(text), highlight=False, soft_wrap=True
        )
