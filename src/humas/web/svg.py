"""A small server-side SVG bar chart (no script, no inline style: it passes the page's CSP).

Every text is escaped; the result is :class:`markupsafe.Markup` for the templates.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = {"negative": "#c0392b", "neutral": "#7f8c8d", "positive": "#27ae60", "posts": "#1f6feb",
           "comments": "#8e44ad", "within": "#27ae60", "late": "#c0392b"}
FALLBACK = ("#1f6feb", "#e67e22", "#16a085", "#8e44ad", "#c0392b", "#7f8c8d")


def color(key: str, i: int) -> str:
    return PALETTE.get(key, FALLBACK[i % len(FALLBACK)])


def stacked_bars(rows: Sequence[tuple[str, Sequence[tuple[str, float]]]], *, title: str,
                 legend: dict[str, str] | None = None, width: int = 640, bar: int = 22) -> Markup:
    """Horizontal stacked bars, one row per label: ``[(label, [(key, value), ...]), ...]``.

    ``legend`` maps a key to the text shown for it. An empty chart says so instead of drawing nothing.
    """
    label_w, pad, gap = 150, 8, 8
    keys: list[str] = []
    for _, parts in rows:
        for k, _v in parts:
            if k not in keys:
                keys.append(k)
    total_max = max((sum(v for _, v in parts) for _, parts in rows), default=0) or 1
    chart_w = width - label_w - 2 * pad - 40
    height = pad * 2 + 24 + max(len(rows), 1) * (bar + gap) + 24
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
           f'role="img" aria-label="{escape(title)}">', f"<title>{escape(title)}</title>"]
    y = pad + 24
    if not rows:
        out.append(f'<text x="{pad}" y="{y + bar // 2}" class="empty">—</text>')
    for label, parts in rows:
        out.append(f'<text x="{pad}" y="{y + bar * 0.7:.0f}" class="label">{escape(label[:24])}</text>')
        x = float(label_w)
        for k, v in parts:
            if v <= 0:
                continue
            w = chart_w * v / total_max
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="{color(k, keys.index(k))}">'
                       f"<title>{escape(legend.get(k, k) if legend else k)}: {v:g}</title></rect>")
            x += w
        total = sum(v for _, v in parts)
        out.append(f'<text x="{x + 4:.1f}" y="{y + bar * 0.7:.0f}" class="value">{total:g}</text>')
        y += bar + gap
    lx = float(label_w)
    for i, k in enumerate(keys):
        out.append(f'<rect x="{lx:.0f}" y="{pad}" width="12" height="12" fill="{color(k, i)}"/>')
        text = legend.get(k, k) if legend else k
        out.append(f'<text x="{lx + 16:.0f}" y="{pad + 11}" class="legend">{escape(text)}</text>')
        lx += 24 + 8 * len(text)
    out.append("</svg>")
    return Markup("".join(out))
