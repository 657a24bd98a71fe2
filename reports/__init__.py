"""Report rendering: Jinja templates to HTML, WeasyPrint HTML to PDF, charts as inline SVG.

Shipped as ``auditkit.reports``. The services gather and redact the data; this package
only lays it out, so it is handed to them as their ``renderer``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from auditkit.reporting.audit import AuditReport, RenderedReport
from auditkit.reporting.coaching import CoachingReport, TrendPoint
from auditkit.reporting.packs import CoachingPack
from auditkit.reporting.transcripts import BundleTranscript


@functools.cache
def _environment() -> Environment:
    """The one template environment: templates are compiled once per process, not per report
    (compiling them was ~40 ms of each coaching report; Jinja renders from threads safely)."""
    env = Environment(
        loader=PackageLoader("auditkit.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        duration=format_duration,
        percent=format_percent,
        score=format_score,
        when=format_when,
    )
    return env


def format_duration(seconds: float | None) -> str:
    """``95`` → ``1 min 35 s``; ``None`` → an em dash."""
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} d {hours % 24} h"


def format_percent(value: float | None) -> str:
    """A 0–1 rate as a percentage."""
    return "—" if value is None else f"{value * 100:.0f}%"


def format_score(value: float | None) -> str:
    """A 0–100 score (IQS, criterion) with one decimal."""
    return "—" if value is None else f"{value:.1f}"


def format_when(value: str | datetime | None) -> str:
    """A ledger time as ``2024-03-04 09:12 UTC``."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else value.isoformat()
    return text[:16].replace("T", " ") + " UTC"


def trend_svg(points: Sequence[TrendPoint], *, width: int = 640, height: int = 200) -> Markup:
    """An IQS-over-time line chart (scores 0–100) as inline SVG: no JavaScript."""
    left, right, top, bottom = 44, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" class="chart" role="img" '
        f'aria-label="IQS trend, {len(points)} reviews">'
    ]
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 3:.1f}" font-size="9" fill="#6b7280" text-anchor="end">{tick}</text>'
        )
    if points:
        step = plot_w / max(len(points) - 1, 1)
        coords = [
            (
                left + (i * step if len(points) > 1 else plot_w / 2),
                top + plot_h * (1 - p.score / 100),
            )
            for i, p in enumerate(points)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1d4ed8" stroke-width="2"/>')
        for x, y in coords:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1d4ed8"/>')
        for index in sorted({0, len(points) - 1}):
            x = coords[index][0]
            anchor = "start" if index == 0 else "end"
            if len(points) == 1:
                anchor = "middle"
            parts.append(
                f'<text x="{x:.1f}" y="{height - 8}" font-size="9" fill="#6b7280" text-anchor="{anchor}">'
                f"{points[index].at[:10]}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - built from numbers and ledger dates only


def render_html(template: str, **context: Any) -> str:
    """Render one of the report templates."""
    return _environment().get_template(template).render(**context)


def preload() -> None:
    """Import WeasyPrint now (a server before serving): the first PDF then does not pay its
    import, which took longer than the layout (bench/README.md, issue 15)."""
    import weasyprint  # noqa: F401


def html_to_pdf(html: str) -> bytes:
    """Lay out HTML as a PDF with WeasyPrint (imported here: it is slow to import)."""
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf())


def render_audit(report: AuditReport) -> RenderedReport:
    """The audit report as HTML and PDF."""
    html = render_html("audit.html", report=report)
    return RenderedReport(html=html, pdf=html_to_pdf(html))


def render_transcript(transcript: BundleTranscript) -> str:
    """One conversation's redacted transcript for an export bundle, as self-contained HTML."""
    return render_html("transcript.html", t=transcript)


def render_transcripts_pdf(transcripts: Sequence[BundleTranscript]) -> bytes:
    """Every transcript of a bundle in one PDF, a conversation per page run."""
    return html_to_pdf(render_html("transcripts.html", transcripts=transcripts))


def render_coaching(report: CoachingReport) -> RenderedReport:
    """The coaching report as HTML and PDF."""
    html = render_html("coaching.html", report=report, chart=trend_svg(report.trend))
    return RenderedReport(html=html, pdf=html_to_pdf(html))


def render_pack(pack: CoachingPack) -> RenderedReport:
    """A coaching pack as HTML and PDF."""
    html = render_html("pack.html", pack=pack, report=pack)
    return RenderedReport(html=html, pdf=html_to_pdf(html))
