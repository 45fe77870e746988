"""The report's charts: one layout drawn as SVG (the page), PNG (a download) and on a PDF page, all showing the same
bars; hostile labels stay text."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PIL import Image
from pypdf import PdfReader

from humas.reports.charts import Chart, draw_pdf, layout, to_png, to_svg
from humas.reports.printable import FONT_DIR, PrintSetup, Words, pdf_class

HOSTILE = Chart('judul "<b>"', [("<script>x</script>", [("negative", 2), ("positive", 1)]), ("b", [])],
                {"negative": "Negatif"})


def test_svg_escapes_labels_and_has_no_script_or_inline_style() -> None:
    svg = str(to_svg(HOSTILE))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&#34;&lt;b&gt;&#34;" in svg
    assert svg.startswith("<svg") and svg.count("<rect") == 2 + 2  # two bars, two legend swatches
    assert "style=" not in svg  # the page CSP allows no inline style
    assert "<title>Negatif: 2</title>" in svg
    assert "—" in str(to_svg(Chart("kosong", [])))


def test_bars_are_proportional_and_stacked_in_order() -> None:
    lay = layout(Chart("t", [("a", [("within", 3), ("late", 1)]), ("b", [("within", 2)])]))
    bars = [b for b in lay.boxes if b.tip]
    assert [b.tip for b in bars] == ["within: 3", "late: 1", "within: 2"]
    a_within, a_late, b_within = bars
    assert a_late.x == a_within.x + a_within.w  # stacked
    assert abs(a_within.w / b_within.w - 3 / 2) < 1e-9 and abs(a_within.w / a_late.w - 3) < 1e-9
    assert [t.text for t in lay.texts if t.kind == "value"] == ["4", "2"]


def test_png_draws_the_same_bars_in_their_colours() -> None:
    chart = Chart("Waktu tanggap", [("respons", [("within", 3), ("late", 1)])])
    img = Image.open(io.BytesIO(to_png(chart, scale=2)))
    assert img.format == "PNG" and img.size == (2 * layout(chart).width, 2 * (layout(chart).height + 30))
    colours = {c for _n, c in img.convert("RGB").getcolors(maxcolors=1 << 16) or []}
    assert (0x27, 0xAE, 0x60) in colours and (0xC0, 0x39, 0x2B) in colours  # within green, late red
    hostile = Image.open(io.BytesIO(to_png(HOSTILE)))  # text is drawn, never interpreted
    assert hostile.size[0] == 2 * layout(HOSTILE).width


def test_pdf_draws_the_labels_and_totals_as_text() -> None:
    setup = PrintSetup(Words(), ZoneInfo("Asia/Jakarta"), datetime(2026, 3, 11, tzinfo=UTC), "cli", "", FONT_DIR)
    pdf = pdf_class()(setup, landscape=False, running_head="uji")
    pdf.add_page()
    y0 = pdf.get_y()
    chart = Chart("Komentar", [("sandbox-x", [("negative", 5), ("neutral", 7)])], {"negative": "Negatif"})
    draw_pdf(pdf, chart, 120)
    assert pdf.get_y() == y0 + 4.5 + layout(chart).height * 120 / layout(chart).width + 2  # below title and chart
    text = PdfReader(io.BytesIO(bytes(pdf.output()))).pages[0].extract_text()
    assert "Komentar" in text and "sandbox-x" in text and "12" in text and "Negatif" in text
    assert "Dicetak" in text and "kode cetak" not in text  # a report is not a recorded copy: no print code
