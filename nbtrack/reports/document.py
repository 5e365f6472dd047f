"""The report page: a header, the dashboard's static output and each run's notes, config and summary.

Everything logged reaches this page as escaped text (``html.escape``) or inside the
dashboard's JSON block (escaped by ``json_for_html``); nothing from a run is markup. The page
loads nothing: no CDN, no font, no image from elsewhere (the dashboard's scripts are inline).
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from dataclasses import dataclass, field
from typing import Any

from nbtrack.store.logdir import flatten
from nbtrack.store.reader import RunReader

MAX_DETAIL_KEYS = 500  # config or summary entries listed per run (the run table holds them all)

STYLE = """
:root { color-scheme: light; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
       background: #fff; }
.nbtrack-report-header { padding: 16px 24px 8px; border-bottom: 1px solid #d0d7de; }
.nbtrack-report-header h1 { font-size: 22px; margin: 0 0 6px; overflow-wrap: anywhere; }
.nbtrack-report-facts { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 0; color: #57606a; }
.nbtrack-report-facts div { display: flex; gap: 6px; }
.nbtrack-report-facts dt { font-weight: 600; }
.nbtrack-report-facts dd { margin: 0; overflow-wrap: anywhere; }
.nbtrack-report-note { margin: 8px 0 0; color: #57606a; font-size: 13px; }
.nbtrack-report-problems { margin: 8px 0 0; color: #9a6700; font-size: 13px; }
.nbtrack-report-body { padding: 12px 24px; }
.nbtrack-report-runs { padding: 0 24px 24px; }
.nbtrack-report-runs h2 { font-size: 17px; margin: 16px 0 8px; }
.nbtrack-report-runs details { border: 1px solid #d0d7de; border-radius: 6px; margin: 6px 0; padding: 6px 10px; }
.nbtrack-report-runs summary { cursor: pointer; overflow-wrap: anywhere; }
.nbtrack-report-runs .notes { white-space: pre-wrap; margin: 6px 0; }
.nbtrack-report-runs table { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
.nbtrack-report-runs td, .nbtrack-report-runs th { border-top: 1px solid #eaeef2; padding: 2px 10px 2px 0;
       text-align: left; vertical-align: top; overflow-wrap: anywhere; }
.nbtrack-report-runs th { font-weight: 600; color: #57606a; }
"""


@dataclass
class Header:
    """What the report's header says."""

    title: str
    runs: list[RunReader]
    version: str
    made: float
    reduced: str  # what was reduced and how (one or two sentences)
    problems: list[str] = field(default_factory=list)


def _when(seconds: float | None) -> str:
    """A time as ``2026-12-06 12:40 UTC``.

    >>> _when(0.0), _when(None)
    ('1970-01-01 00:00 UTC', '')
    """
    if seconds is None or not math.isfinite(seconds):
        return ""
    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _span(runs: list[RunReader]) -> str:
    """From the first run's start to the last run's last write."""
    starts = [r.created for r in runs if r.created is not None]
    ends = [r.updated for r in runs if r.updated is not None] or starts
    if not starts:
        return "unknown"
    return f"{_when(min(starts))} to {_when(max(ends))}"


def _statuses(runs: list[RunReader]) -> str:
    """``"18 finished, 2 crashed"``."""
    counts: dict[str, int] = {}
    for reader in runs:
        counts[reader.status] = counts.get(reader.status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items(), key=lambda item: -item[1]))


def header_html(header: Header) -> str:
    """The header block (every value escaped)."""
    projects = sorted({r.project for r in header.runs if r.project})
    facts = [("Project" if len(projects) == 1 else "Projects", ", ".join(projects) or "none"),
             ("Runs", f"{len(header.runs)} ({_statuses(header.runs)})"), ("Time span", _span(header.runs)),
             ("Made", f"{_when(header.made)} by nbtrack {header.version}")]
    items = "".join(f"<div><dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd></div>" for k, v in facts)
    problems = ""
    if header.problems:
        listed = "".join(f"<li>{html.escape(p)}</li>" for p in header.problems[:50])
        more = f"<li>and {len(header.problems) - 50} more</li>" if len(header.problems) > 50 else ""
        problems = (f'<div class="nbtrack-report-problems"><strong>Not included:</strong> '
                    f"<ul>{listed}{more}</ul></div>")
    return (f'<header class="nbtrack-report-header"><h1>{html.escape(header.title)}</h1>'
            f'<dl class="nbtrack-report-facts">{items}</dl>'
            f'<p class="nbtrack-report-note">{html.escape(header.reduced)}</p>{problems}</header>')


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return html.escape(f"{value:.6g}")
    return html.escape(str(value))


def _table(title: str, values: dict[str, Any]) -> str:
    if not values:
        return ""
    items = list(values.items())
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{_cell(v)}</td></tr>" for k, v in items[:MAX_DETAIL_KEYS])
    more = (f"<tr><td colspan=2>and {len(items) - MAX_DETAIL_KEYS} more (in the run table above)</td></tr>"
            if len(items) > MAX_DETAIL_KEYS else "")
    return f"<table><caption hidden>{html.escape(title)}</caption><tr><th colspan=2>{html.escape(title)}</th></tr>" \
           f"{rows}{more}</table>"


def run_details_html(runs: list[RunReader]) -> str:
    """Each run's notes, config and summary, as collapsed sections (every value escaped)."""
    blocks = []
    for reader in runs:
        summary = {k: v for k, v in flatten("", reader.summary).items() if not k.startswith("_")}
        notes = reader.notes
        label = f"{reader.name} ({reader.status}, id {reader.id})"
        blocks.append(f'<details data-run="{html.escape(reader.id, quote=True)}"><summary>{html.escape(label)}'
                      f"</summary>{f'<p class=notes>{html.escape(notes)}</p>' if notes else ''}"
                      f"{_table('config', flatten('', reader.config))}{_table('summary', summary)}</details>")
    return f'<section class="nbtrack-report-runs"><h2>Runs</h2>{"".join(blocks)}</section>'


def report_page(header: Header, dashboard_html: str, runs_html: str) -> str:
    """The whole document: opens offline from ``file://`` in any browser."""
    return ('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(header.title)}</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="generator" content="nbtrack ' + html.escape(header.version, quote=True) + '">'
            f"<style>{STYLE}</style></head>\n<body>\n{header_html(header)}\n"
            f'<main class="nbtrack-report-body">\n{dashboard_html}\n</main>\n{runs_html}\n</body></html>\n')
