"""The Laporan as files to hand on: a PDF of the whole report (tables and charts, for the leadership's folder) and
each chart as a PNG (for a presentation or a chat group); the CSV is :func:`humas.reports.weekly.report_csv`.

A report is a summary computed from the register and the stored posts, not a record: unlike the approval sheet it
is not itself recorded, and its pages carry no print code. Texts from outside (account names, post titles) pass the
PDF's cleaning like every printed text.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from humas.errors import InvalidInput
from humas.reports.charts import CHARTS, Chart, draw_pdf, report_charts, to_png
from humas.reports.printable import FONT_DIR, PrintSetup, Words, day_text, pdf_class
from humas.reports.weekly import LABELS, WeekReport

FIGURE_WORDS = {"likes": "Suka", "comments": "Komentar", "shares": "Dibagikan", "views": "Tayangan",
                "reach": "Jangkauan"}
CADENCE_WORDS = {"met": "terpenuhi", "missed": "terlewat", "pending": "berjalan"}


def period_text(r: WeekReport, words: Words) -> str:
    """``Minggu 2026-W49 · 30 November 2026 – 6 Desember 2026``, or the range of days alone."""
    days = f"{day_text(r.start, words.lang)} – {day_text(r.until - timedelta(days=1), words.lang)}"
    return words.t("Minggu {w}", w=r.week) + f" · {days}" if r.is_week and not r.end else days


def file_stem(r: WeekReport) -> str:
    """``laporan-2026-W49`` or ``laporan-2026-12-01_2026-12-07``: ASCII, for a download's name."""
    name = r.week if not r.end else f"{r.start.isoformat()}_{(r.until - timedelta(days=1)).isoformat()}"
    return f"laporan-{name}"


def charts(r: WeekReport, words: Words) -> dict[str, Chart]:
    return report_charts(r, words.t, lambda label: words.t(words.status(label)))


def chart_png(r: WeekReport, name: str, words: Words) -> bytes:
    """One of the report's charts (``activity``, ``sentiment``, ``times``, ``engagement``) as a PNG."""
    if name not in CHARTS:
        raise InvalidInput(f"unknown chart '{name[:30]}' ({', '.join(CHARTS)})")
    return to_png(charts(r, words)[name])


def report_pdf(r: WeekReport, words: Words, *, office: str, account: str, tz: tzinfo, now: datetime, printer: str,
               font_dir: Path = FONT_DIR) -> bytes:
    t = words.t
    period = period_text(r, words)
    setup = PrintSetup(words, tz, now, printer, "", font_dir)
    pdf = pdf_class()(setup, landscape=False, running_head=f"{office} · " + t("Laporan") + f" · {period}")
    pdf.set_title(t("Laporan") + f" · {period}")
    pdf.set_author(office)
    pdf.add_page()
    if office:
        pdf.para(office.upper(), 12, bold=True, h=6)
    pdf.para(t("LAPORAN HUMAS"), 13, bold=True, h=6.5)
    pdf.para(period + (" · " + t("Akun") + f": {account}" if account else ""), 9)
    pdf.ln(1)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)
    drawn = charts(r, words)
    half = (pdf.epw - 6) / 2

    pdf.heading(t("Unggahan dan komentar per akun"))
    pdf.ensure(half * 0.5)
    y, x = pdf.get_y(), pdf.l_margin
    draw_pdf(pdf, drawn["activity"], half)
    below = pdf.get_y()
    pdf.set_xy(x + half + 6, y)
    draw_pdf(pdf, drawn["sentiment"], half)
    pdf.set_xy(x, max(below, pdf.get_y()))
    pdf.grid([t("Akun"), t("Unggahan"), t("Komentar"), *(t(words.status(k)) for k in LABELS), t("Kasus")],
             (pdf.epw - 120, 20, 20, 20, 20, 20, 20),
             [[a.account, str(a.posts), str(a.comments), *(str(a.labels[k]) for k in LABELS), str(a.cases)]
              for a in r.accounts] or [[t("Tidak ada."), "", "", "", "", "", ""]])

    pdf.heading(t("Keterlibatan"))
    pdf.para(t("Angka terakhir dari platform untuk unggahan yang terbit dalam periode ini; — berarti platform tidak "
               "memberikan angka itu."), 7.5)
    if r.posts:
        pdf.ensure(40)
        draw_pdf(pdf, drawn["engagement"], pdf.epw * 0.7)
    pdf.grid([t("Akun"), t("Terukur"), *(t(w) for w in FIGURE_WORDS.values())],
             (pdf.epw - 112, 17, 19, 19, 19, 19, 19),
             [[e.account, f"{e.measured}/{e.posts}", *(_figure(getattr(e, k)) for k in FIGURE_WORDS)]
              for e in r.engagement] or [[t("Tidak ada."), "", "", "", "", "", ""]])
    if r.top_posts:
        pdf.heading(t("Unggahan teratas"), 9.5)
        pdf.grid(["#", t("Unggahan"), t("Akun"), t("Terbit"), *(t(w) for w in FIGURE_WORDS.values())],
                 (7, pdf.epw - 142, 25, 30, 16, 16, 16, 16, 16),
                 [[str(i), pe.title or pe.remote_id, pe.account, setup.when(pe.published_at),
                   *(_figure(getattr(pe.figures, k)) for k in FIGURE_WORDS)] for i, pe in enumerate(r.top_posts, 1)])

    pdf.heading(t("Waktu tanggap"))
    pdf.para(t("Respons yang melewati mutu baku waktu saat ini: {n}", n=r.overdue_now), 9)
    if r.steps:
        pdf.ensure(30)
        draw_pdf(pdf, drawn["times"], pdf.epw * 0.7)
    pdf.grid([t("Langkah"), t("Jumlah"), t("Sesuai standar"), t("Terlambat"), t("Rata-rata"), t("Standar")],
             (pdf.epw - 100, 16, 22, 22, 20, 20),
             [[f"{st.label}\n{st.sop} · {st.step}", str(st.count), str(st.within),
               str(st.late) + (" (" + t("{n} masih terbuka", n=st.open_late) + ")" if st.open_late else ""),
               f"{st.average_minutes:.0f} m",
               f"{st.standard_minutes:g} m" if st.standard_minutes is not None else "—"] for st in r.steps]
             or [[t("Tidak ada."), "", "", "", "", ""]])

    if r.cadence:
        pdf.heading(t("Ritme publikasi"))
        pdf.grid(["SOP", t("Periode"), t("Tayang"), t("Status")], (pdf.epw - 100, 50, 20, 30),
                 [[c.sop_name, c.period.title(), str(c.published), t(CADENCE_WORDS[c.status])] for c in r.cadence])
    return bytes(pdf.output())


def _figure(value: int | None) -> str:
    return "—" if value is None else str(value)
