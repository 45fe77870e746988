"""The report's bar charts, laid out once and drawn three ways: SVG for the page, PNG for a download, and straight
onto a PDF page (:mod:`humas.reports.export`).

A :class:`Chart` is data (rows of stacked values and the words of its legend); :func:`layout` turns it into boxes
and texts in pixel units, so the three renderers cannot disagree on what a chart shows. The SVG has no script and no
inline style (it passes the page's CSP) and escapes every text; the PNG and PDF use the DejaVu font shipped for the
printable records, which covers the Indonesian alphabet and replaces what it lacks.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from humas.reports.weekly import LABELS, WeekReport

PALETTE = {"negative": "#c0392b", "neutral": "#7f8c8d", "positive": "#27ae60", "posts": "#1f6feb",
           "comments": "#8e44ad", "within": "#27ae60", "late": "#c0392b"}
FALLBACK = ("#1f6feb", "#e67e22", "#16a085", "#8e44ad", "#c0392b", "#7f8c8d")
FONT = Path(__file__).resolve().parent / "fonts" / "DejaVuSansCondensed.ttf"
LABEL_CHARS = 24  # a row's label is cut here (account names, step ids)
ENGAGEMENT = ("likes", "comments", "shares")


def color(key: str, i: int) -> str:
    return PALETTE.get(key, FALLBACK[i % len(FALLBACK)])


@dataclass(frozen=True)
class Chart:
    """Horizontal stacked bars, one row per label: ``[(label, [(key, value), ...]), ...]``; ``legend`` maps a key
    to the words shown for it."""

    title: str
    rows: Sequence[tuple[str, Sequence[tuple[str, float]]]]
    legend: Mapping[str, str] = field(default_factory=dict)

    def keys(self) -> list[str]:
        keys: list[str] = []
        for _, parts in self.rows:
            keys.extend(k for k, _v in parts if k not in keys)
        return keys

    def words(self, key: str) -> str:
        return self.legend.get(key, key)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    color: str
    tip: str = ""  # what a pointer over a bar says (SVG only)


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    kind: str  # label | value | legend | empty


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    boxes: list[Box]
    texts: list[Text]


def layout(chart: Chart, *, width: int = 640, bar: int = 22) -> Layout:
    label_w, pad, gap = 150, 8, 8
    keys = chart.keys()
    total_max = max((sum(v for _, v in parts) for _, parts in chart.rows), default=0) or 1
    chart_w = width - label_w - 2 * pad - 40
    height = pad * 2 + 24 + max(len(chart.rows), 1) * (bar + gap) + 24
    boxes: list[Box] = []
    texts: list[Text] = []
    y = pad + 24
    if not chart.rows:
        texts.append(Text(pad, y + bar // 2, "—", "empty"))
    for label, parts in chart.rows:
        texts.append(Text(pad, round(y + bar * 0.7), label[:LABEL_CHARS], "label"))
        x = float(label_w)
        for k, v in parts:
            if v <= 0:
                continue
            w = chart_w * v / total_max
            boxes.append(Box(x, y, w, bar, color(k, keys.index(k)), f"{chart.words(k)}: {v:g}"))
            x += w
        texts.append(Text(x + 4, round(y + bar * 0.7), f"{sum(v for _, v in parts):g}", "value"))
        y += bar + gap
    lx = float(label_w)
    for i, k in enumerate(keys):
        boxes.append(Box(lx, pad, 12, 12, color(k, i)))
        texts.append(Text(lx + 16, pad + 11, chart.words(k), "legend"))
        lx += 24 + 8 * len(chart.words(k))
    return Layout(width, height, boxes, texts)


def to_svg(chart: Chart) -> Markup:
    lay = layout(chart)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {lay.width} {lay.height}" '
           f'role="img" aria-label="{escape(chart.title)}">', f"<title>{escape(chart.title)}</title>"]
    for b in lay.boxes:
        tip = f"<title>{escape(b.tip)}</title>" if b.tip else ""
        out.append(f'<rect x="{b.x:.1f}" y="{b.y:.0f}" width="{b.w:.1f}" height="{b.h:.0f}" fill="{b.color}">{tip}'
                   "</rect>")
    for t in lay.texts:
        out.append(f'<text x="{t.x:.0f}" y="{t.y:.0f}" class="{t.kind}">{escape(t.text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def to_png(chart: Chart, *, scale: int = 2) -> bytes:
    """The chart as a PNG at ``scale`` times its layout size, with its title above it (a file has no page)."""
    from PIL import Image, ImageDraw, ImageFont

    lay = layout(chart)
    head = 30
    img = Image.new("RGB", (lay.width * scale, (lay.height + head) * scale), "white")
    draw = ImageDraw.Draw(img)
    font = {size: ImageFont.truetype(str(FONT), size * scale) for size in (11, 12, 14)}
    draw.text((8 * scale, 20 * scale), chart.title, fill="#1d2330", font=font[14], anchor="ls")
    for b in lay.boxes:
        draw.rectangle([b.x * scale, (b.y + head) * scale, (b.x + b.w) * scale - 1, (b.y + b.h + head) * scale - 1],
                       fill=b.color)
    for t in lay.texts:
        draw.text((t.x * scale, (t.y + head) * scale), t.text, fill="#1d2330",
                  font=font[11 if t.kind == "legend" else 12], anchor="ls")
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def draw_pdf(pdf: Any, chart: Chart, width_mm: float) -> None:
    """Draw the chart with its title on an fpdf2 page at the cursor, ``width_mm`` wide, and move the cursor below
    it."""
    lay = layout(chart)
    k = width_mm / lay.width
    x0 = pdf.get_x()
    pdf.font(8, True)
    pdf.cell(width_mm, 4.5, pdf.clean(chart.title, one_line=True))
    y0 = pdf.get_y() + 4.5
    for b in lay.boxes:
        pdf.set_fill_color(*_rgb(b.color))
        pdf.rect(x0 + b.x * k, y0 + b.y * k, b.w * k, b.h * k, style="F")
    pdf.set_text_color(29, 35, 48)
    for t in lay.texts:
        pdf.font(6.5 if t.kind == "legend" else 7)
        pdf.text(x0 + t.x * k, y0 + t.y * k, pdf.clean(t.text, one_line=True))
    pdf.set_text_color(0)
    pdf.set_xy(x0, y0 + lay.height * k + 2)


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return int(hex_color[1:3], 16), int(hex_color[3:5], 16), int(hex_color[5:7], 16)


# --- the report's charts --------------------------------------------------------------------------------------


def report_charts(r: WeekReport, t: Any, status: Any) -> dict[str, Chart]:
    """The four charts of the Laporan page, in the reader's words: ``t`` translates humas's Indonesian text and
    ``status`` names a sentiment label."""
    legend = {k: status(k) for k in LABELS}
    legend.update({"posts": t("Unggahan"), "comments": t("Komentar"), "within": t("Sesuai standar"),
                   "late": t("Terlambat")})
    return {
        "activity": Chart(t("Unggahan per akun"), [(a.account, [("posts", a.posts)]) for a in r.accounts], legend),
        "sentiment": Chart(t("Komentar per sentimen"),
                           [(a.account, [(k, a.labels[k]) for k in LABELS]) for a in r.accounts], legend),
        "times": Chart(t("Waktu tanggap"), [(st.step, [("within", st.within), ("late", st.late)]) for st in r.steps],
                       legend),
        "engagement": Chart(t("Interaksi per akun"),
                            [(e.account, [(k, getattr(e, k) or 0) for k in ENGAGEMENT])
                             for e in r.engagement if e.measured],
                            {"likes": t("Suka"), "comments": t("Komentar"), "shares": t("Dibagikan")}),
    }


CHARTS = ("activity", "sentiment", "times", "engagement")
