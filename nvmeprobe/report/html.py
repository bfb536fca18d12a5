"""The report as one self-contained HTML document: PNGs inlined as base64 data URIs, no scripts,
no external resources, so it opens offline and can be mailed as one file."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from html import escape

from nvmeprobe import __version__

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
table {
  border-collapse: collapse; margin: 0.5em 2em 1em 0; display: inline-table; vertical-align: top;
}
td, th { padding: 2px 10px; border-bottom: 1px solid #eee; text-align: left; }
th { color: #555; font-weight: normal; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-weight: bold; margin-bottom: 0.3em; }
p.note { color: #777; font-style: italic; } .unknown { color: #999; }
tr.outlier td { background: #fde8e8; }
"""


@dataclass(frozen=True)
class Plot:
    """One plot of a profile: its PNG, or the one-line note that replaces it."""

    key: str
    title: str
    png: bytes | None = None
    note: str | None = None


@dataclass
class Section:
    """One profile's part of the report."""

    anchor: str
    heading: str
    identity: list[tuple[str, str | None]]
    findings: list[tuple[str, str | None]]
    findings_origin: str
    plots: list[Plot] = field(default_factory=list)


@dataclass
class Grid:
    """A table with a header row; `flagged` rows (outliers) are highlighted."""

    title: str
    header: list[str]
    rows: list[list[str]]
    flagged: list[bool] = field(default_factory=list)


@dataclass
class FleetSection:
    """The fleet view of one model: notes, then tables."""

    anchor: str
    heading: str
    notes: list[str]
    grids: list[Grid]


def _grid(grid: Grid) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in grid.header)
    flags = grid.flagged or [False] * len(grid.rows)
    body = "".join(
        ('<tr class="outlier">' if flag else "<tr>")
        + "".join(f"<td>{escape(cell)}</td>" for cell in row)
        + "</tr>"
        for row, flag in zip(grid.rows, flags)
    )
    return f"<table><caption>{escape(grid.title)}</caption><tr>{head}</tr>{body}</table>"


def _table(title: str, rows: list[tuple[str, str | None]]) -> str:
    body = "".join(
        f"<tr><th>{escape(label)}</th><td>"
        + (escape(value) if value is not None else '<span class="unknown">unknown</span>')
        + "</td></tr>"
        for label, value in rows
    )
    return f"<table><caption>{escape(title)}</caption>{body}</table>"


def _plot(plot: Plot, anchor: str) -> str:
    ident = f"{anchor}-{plot.key}"
    if plot.png is None:
        return (
            f'<figure id="{escape(ident)}" class="missing"><figcaption>{escape(plot.title)}'
            f'</figcaption><p class="note">{escape(plot.note or "no data")}</p></figure>'
        )
    data = base64.b64encode(plot.png).decode("ascii")
    return (
        f'<figure id="{escape(ident)}" class="plot"><figcaption>{escape(plot.title)}</figcaption>'
        f'<img alt="{escape(plot.title)}" src="data:image/png;base64,{data}"></figure>'
    )


def render_html(
    sections: list[Section],
    title: str = "nvmeprobe report",
    fleets: list[FleetSection] | None = None,
) -> str:
    """The whole document: fleet views first, then one section per profile."""
    fleets = fleets or []
    entries: list[Section | FleetSection] = [*fleets, *sections]
    contents = "".join(
        f'<li><a href="#{escape(s.anchor)}">{escape(s.heading)}</a></li>' for s in entries
    )
    parts = [
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>"
        f"<p>nvmeprobe {escape(__version__)}; {len(sections)} profile(s).</p><ul>{contents}</ul>"
    ]
    for fleet in fleets:
        parts.append(f'<section id="{escape(fleet.anchor)}"><h2>{escape(fleet.heading)}</h2>')
        parts.extend(f"<p>{escape(note)}</p>" for note in fleet.notes)
        parts.extend(_grid(grid) for grid in fleet.grids)
        parts.append("</section>")
    for section in sections:
        parts.append(f'<section id="{escape(section.anchor)}"><h2>{escape(section.heading)}</h2>')
        parts.append(_table("drive", section.identity))
        parts.append(_table(f"findings ({section.findings_origin})", section.findings))
        parts.extend(_plot(plot, section.anchor) for plot in section.plots)
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "".join(parts)
