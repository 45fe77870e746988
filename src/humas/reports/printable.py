"""Printable records: the approval sheet of one content (PDF) and the register (PDF or CSV).

Ponjong's SOP keeps its records "dalam bentuk softcopy dan hardcopy" and uploads only with the approval "yang telah
ditandatangani": offices print the sheet, have it signed and file it with the register. Every copy humas issues is
itself recorded in the register (``record.printed``: which document, which version or range, the file's SHA-256 and
the print code that also stands on the paper), so an auditor can match a filed sheet with its entry.

A document is laid out from a read session (no write lock is held while the PDF is built); its record is a short
transaction of its own, in which a caller's ``before_commit`` runs (the CLI writes its temporary file there): a copy
that could not be written is not recorded. The words come from the caller (:class:`Words`, the reader's language);
SOP step and role names stay Indonesian, as everywhere.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from humas import authz
from humas.authz import Actor
from humas.env import Env
from humas.errors import HumasError, InvalidInput, NotFound
from humas.sop.model import SOP
from humas.store import audit
from humas.store.models import AuditEntry, Content, Decision, PublicationJob, StepPeriod, User
from humas.store.verify import RegisterReport

log = logging.getLogger("humas.records")

#: the register's action code for a record humas issued (a sheet printed, the register exported)
ACTION_PRINTED = "record.printed"
#: a register PDF holds at most this many entries (about 120 pages); the CSV has no such bound
MAX_PDF_ENTRIES = 5000
#: the person printing from the server's shell without ``--as`` (trusted as an administrator, like every CLI command)
SHELL = Actor(id=0, name="cli", roles=frozenset({authz.ADMIN}))
FONT_DIR = Path(__file__).resolve().parent / "fonts"
_FONT_FILES = ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf")
_TABLE_NOTE = 300  # characters of a note in a table cell; the whole note follows the table
_FIRST_YEAR, _LAST_YEAR = 1970, 9998


class ExportRefused(InvalidInput):
    """The record cannot be produced as asked; ``indonesian`` is what the web interface shows."""

    def __init__(self, message: str, indonesian: str) -> None:
        super().__init__(message)
        self.indonesian = indonesian


def _same(text: str, **values: Any) -> str:
    return text.format(**values) if values else text


def _code(value: str) -> str:
    return value


@dataclass(frozen=True)
class Words:
    """The documents' words in the reader's language: ``t`` translates humas's Indonesian text (the web's
    translator), ``action`` labels a register action code, ``status`` a content or job status."""

    lang: str = "id"
    t: Callable[..., str] = _same
    action: Callable[[str], str] = _code
    status: Callable[[str], str] = _code


@dataclass(frozen=True)
class Issued:
    """A record humas issued: the file, and the register entry that records it (``seq``)."""

    data: bytes
    media_type: str
    filename: str
    code: str
    entries: int = 0
    seq: int = 0

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers that make it a download named :attr:`filename` (ASCII: built from numbers and dates)."""
        return {"content-disposition": f'attachment; filename="{self.filename}"', "cache-control": "no-store"}


# --- what to export -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterQuery:
    """Which entries of the register: local days ``since``..``until`` (both inclusive) and exact matches."""

    since: date | None = None
    until: date | None = None
    action: str = ""
    subject_type: str = ""
    subject_id: str = ""
    actor: str = ""

    @classmethod
    def parse(cls, since: str | date | None = None, until: str | date | None = None, *, action: str = "",
              subject: str = "", actor: str = "") -> RegisterQuery:
        """From what a person typed: dates as ``YYYY-MM-DD``, ``subject`` as ``TYPE:ID`` (e.g. ``content:12``)."""
        first, last = _day(since, "start"), _day(until, "end")
        if first is not None and last is not None and first > last:
            raise ExportRefused(f"the start date {first} is after the end date {last}",
                                f"Tanggal awal {first} sesudah tanggal akhir {last}.")
        stype, _, sid = (subject or "").strip().partition(":")
        return cls(first, last, (action or "").strip(), stype, sid, (actor or "").strip())

    @property
    def filters(self) -> dict[str, str]:
        """The exact-match filters that are set."""
        pairs = {"action": self.action, "subject_type": self.subject_type, "subject_id": self.subject_id,
                 "actor": self.actor}
        return {k: v for k, v in pairs.items() if v}

    def bounds(self, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
        """``since`` at local midnight and the midnight after ``until`` (exclusive), as aware times."""
        start = datetime.combine(self.since, time(0), tzinfo=tz) if self.since else None
        end = datetime.combine(self.until + timedelta(days=1), time(0), tzinfo=tz) if self.until else None
        return start, end

    def as_dict(self) -> dict[str, str]:
        out = {"since": self.since.isoformat() if self.since else "",
               "until": self.until.isoformat() if self.until else ""}
        return {**{k: v for k, v in out.items() if v}, **self.filters}


def _day(value: str | date | None, which: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        day = value
    else:
        for fmt in ("%Y-%m-%d", "%d-%m-%Y"):  # a date input's value, or the date as the pages show it
            try:
                day = datetime.strptime(value.strip(), fmt).date()
                break
            except ValueError:
                continue
        else:
            shown = value[:40]
            raise ExportRefused(f"invalid {which} date '{shown}' (use YYYY-MM-DD)",
                                f"Tanggal {'awal' if which == 'start' else 'akhir'} tidak valid: '{shown}' "
                                "(tulis TTTT-BB-HH atau HH-BB-TTTT).")
    if not _FIRST_YEAR <= day.year <= _LAST_YEAR:
        raise ExportRefused(f"invalid {which} date {day} (years {_FIRST_YEAR}-{_LAST_YEAR})",
                            f"Tanggal {day} di luar rentang tahun {_FIRST_YEAR}-{_LAST_YEAR}.")
    return day


# --- the service ----------------------------------------------------------------------------------------------


class Records:
    """Issues the printable records, each recorded in the register; one rule for the CLI, the pages and the API
    (:func:`humas.authz.require_print_records`). ``verify`` checks the whole register (chain, checkpoint, facts)
    for the register PDF's summary; a register PDF holds at most ``max_pdf_entries``."""

    def __init__(self, env: Env, verify: Callable[[], RegisterReport], *, font_dir: Path = FONT_DIR,
                 max_pdf_entries: int = MAX_PDF_ENTRIES) -> None:
        self.env = env
        self.verify = verify
        self.font_dir = font_dir
        self.max_pdf_entries = max_pdf_entries

    def sheet(self, actor: Actor, content_id: int, words: Words, *,
              before_commit: Callable[[Issued], None] | None = None) -> Issued:
        """The approval sheet of content ``content_id`` as PDF, recorded as ``record.printed``."""
        authz.require_print_records(actor, "print approval sheets")
        now = self.env.clock()
        code = _new_code()
        with self.env.db.read() as s:
            facts = _sheet_facts(self.env, s, content_id, now)
            printer = printer_name(s, actor)
        data = _render_sheet(facts, PrintSetup(words, self.env.tz, now, printer, code, self.font_dir))
        issued = Issued(data, "application/pdf", f"lembar-persetujuan-{content_id}-v{facts.version}.pdf", code)
        return self._record(actor, issued, now, before_commit, subject=("content", str(content_id)),
                            version_hash=facts.version_hash,
                            note=f"Lembar persetujuan versi {facts.version} (PDF), kode cetak {code}",
                            data={"document": "approval_sheet", "format": "pdf", "version": facts.version,
                                  "language": words.lang})

    def register(self, actor: Actor, query: RegisterQuery, fmt: str, words: Words, *,
                 before_commit: Callable[[Issued], None] | None = None) -> Issued:
        """The register (entries matching ``query``) as ``csv`` or ``pdf``, recorded as ``record.printed``."""
        if fmt not in ("csv", "pdf"):
            raise ExportRefused(f"unknown format '{fmt[:20]}' (csv or pdf)", f"Format '{fmt[:20]}' tidak dikenal "
                                "(csv atau pdf).")
        authz.require_print_records(actor, "export the register")
        now = self.env.clock()
        code = _new_code()
        since, until = query.bounds(self.env.tz)
        stamp = self.env.local(now).strftime("%Y%m%d-%H%M")
        with self.env.db.read() as s:
            if fmt == "csv":
                buf = io.StringIO()
                n = audit.export_csv(s, buf, self.env.tz, since=since, until=until, **query.filters)
                head = audit.head(s)
                issued = Issued(buf.getvalue().encode("utf-8"), "text/csv; charset=utf-8",
                                f"register-{stamp}.csv", code, n)
            else:
                facts = _register_facts(s, query, since, until, self.max_pdf_entries)
                facts.role_labels = {r[3]: self.env.sops.role_label(r[3]) for r in facts.rows if r[3]}
                printer = printer_name(s, actor)
                head = facts.head
        if fmt == "pdf":
            report = self.verify()
            office = office_name(self.env)
            data = _render_register(facts, report, office, query,
                                    PrintSetup(words, self.env.tz, now, printer, code, self.font_dir))
            issued = Issued(data, "application/pdf", f"register-{stamp}.pdf", code, len(facts.rows))
        what = f"Register ({fmt.upper()}), {issued.entries} entri" + (f", kode cetak {code}" if fmt == "pdf" else "")
        return self._record(actor, issued, now, before_commit, subject=("register", ""), version_hash="", note=what,
                            data={"document": "register", "format": fmt, "query": query.as_dict(),
                                  "entries": issued.entries, "head_seq": head[0], "head_hash": head[1],
                                  "language": words.lang})

    def _record(self, actor: Actor, issued: Issued, now: datetime, before_commit: Callable[[Issued], None] | None,
                *, subject: tuple[str, str], version_hash: str, note: str, data: dict[str, Any]) -> Issued:
        with self.env.db.session() as s:
            entry = audit.append(s, actor=actor.name, action=ACTION_PRINTED, subject_type=subject[0],
                                 subject_id=subject[1], version_hash=version_hash, note=note,
                                 data={**data, "code": issued.code, "sha256": issued.sha256,
                                       "bytes": len(issued.data)}, at=now)
            issued = replace(issued, seq=entry.seq)
            if before_commit is not None:
                before_commit(issued)
        return issued


def _new_code() -> str:
    raw = secrets.token_hex(4).upper()
    return f"{raw[:4]}-{raw[4:]}"


def office_name(env: Env) -> str:
    try:
        return env.sops.get(env.settings.default_sop).office
    except HumasError:
        return ""


def _person(user: User | None, fallback: str = "") -> str:
    if user is None:
        return fallback
    shown = user.display_name.strip()
    return f"{shown} ({user.name})" if shown and shown != user.name else user.name


def printer_name(s: Session, actor: Actor) -> str:
    if actor is SHELL:
        return "cli"
    return _person(s.execute(select(User).where(User.name == actor.name)).scalar_one_or_none(), actor.name)


# --- the approval sheet's facts -------------------------------------------------------------------------------


@dataclass
class _Step:
    step: str
    role: str
    person: str
    outcome: str
    label: str  # the SOP's own word for the decision (TERIMA, TOLAK), when it has one
    at: datetime | None
    entered: datetime | None
    due: datetime | None
    standard: timedelta | None
    note: str
    version_hash: str
    valid: bool | None  # None: not a decision
    taken: timedelta | None = None  # counted as the office calendar counts (working time, or wall time)
    late: timedelta | None = None  # past the due time (to now for the open step); None: within it, or no due time


@dataclass
class _Signature:
    role: str
    people: list[str]
    at: datetime | None


@dataclass
class _Sheet:
    content_id: int
    title: str
    status: str
    sop_id: str
    sop_name: str
    office: str
    reference: str
    version: int
    version_hash: str
    author: str
    created_at: datetime
    accounts: list[str]
    activity: str
    location: str
    caption: str
    text: str
    platform_captions: dict[str, str]
    media: list[tuple[str, str, int, str]]  # name, mime, size, sha256
    steps: list[_Step]
    signatures: list[_Signature]
    jobs: list[tuple[str, str, datetime | None, str]]  # account, state, time, url
    trail: list[tuple[int, datetime, str, str, str]]  # seq, at, actor, action, hash
    working_time: bool
    day_hours: str


_OUTCOMES = ("submitted", "approved", "rejected", "returned", "cancelled", "scheduled")


def _sheet_facts(env: Env, s: Session, content_id: int, now: datetime) -> _Sheet:
    c = s.get(Content, content_id)
    if c is None:
        raise NotFound(f"content {content_id} not found")
    sop: SOP | None
    try:
        sop = env.sops.get(c.sop_id)
    except HumasError:  # an SOP the office has since removed: the sheet still prints, with the ids it recorded
        sop = None
    decisions = list(s.execute(select(Decision).where(Decision.content_id == c.id).order_by(Decision.id)).scalars())
    periods = list(s.execute(select(StepPeriod).where(StepPeriod.subject_type == "content",
                                                      StepPeriod.subject_id == c.id)
                             .order_by(StepPeriod.id)).scalars())
    trail = list(audit.entries(s, subject_type="content", subject_id=str(c.id)))
    ids = {p.completed_by_id for p in periods if p.completed_by_id is not None}
    users = {u.id: u for u in s.execute(select(User).where(User.id.in_(ids))).scalars()} if ids else {}

    def step_of(step_id: str) -> tuple[str, timedelta | None]:
        if sop is None:
            return step_id, None
        try:
            st = sop.step(step_id)
        except KeyError:
            return step_id, None
        return st.label, st.standard if st.timed else None

    def words_of(step_id: str) -> tuple[str, str]:
        if sop is None:
            return "", ""
        try:
            st = sop.step(step_id)
        except KeyError:
            return "", ""
        return st.approve_label, st.reject_label

    rows: list[_Step] = []
    used: set[int] = set()
    for p in periods:
        label, standard = step_of(p.step_id)
        d = next((d for d in decisions if d.id not in used and d.step_id == p.step_id and p.completed_at is not None
                  and abs((d.created_at - p.completed_at).total_seconds()) < 1), None)
        if d is not None:
            used.add(d.id)
            rows.append(_decision_row(env, d, label, standard, p, words_of(d.step_id)))
            continue
        note, actor = "", ""
        if p.completed_at is not None:
            e = next((e for e in trail if abs((e.at - p.completed_at).total_seconds()) < 1
                      and e.action != ACTION_PRINTED), None)
            if e is not None:
                note, actor = e.note, e.actor
        rows.append(_Step(label, env.sops.role_label(p.role), _person(users.get(p.completed_by_id or -1), actor),
                          p.outcome or "", "", p.completed_at, p.entered_at, p.due_at, standard, note, "", None))
    for d in decisions:
        if d.id not in used:
            label, standard = step_of(d.step_id)
            rows.append(_decision_row(env, d, label, standard, None, words_of(d.step_id)))
    rows.sort(key=lambda r: (r.at is None, r.at or now))
    cal = env.calendar
    for r in rows:
        end = r.at or now
        if r.entered is not None:
            r.taken = cal.elapsed(r.entered, end)
        if r.due is not None and end > r.due:
            r.late = cal.elapsed(r.due, end)

    signatures = _signatures(env, c, sop, decisions)
    posts = select(PublicationJob).where(PublicationJob.content_id == c.id, PublicationJob.kind == "post")
    jobs: list[tuple[str, str, datetime | None, str]] = [
        (j.account, j.state, j.published_at or j.run_at, j.remote_url or "")
        for j in s.execute(posts.order_by(PublicationJob.id)).scalars()]
    return _Sheet(
        content_id=c.id, title=c.title, status=c.status, sop_id=c.sop_id, sop_name=sop.name if sop else c.sop_id,
        office=sop.office if sop else office_name(env), reference=sop.reference if sop else "", version=c.version,
        version_hash=c.version_hash, author=_person(c.created_by), created_at=c.created_at,
        accounts=list(c.accounts), activity=c.activity, location=c.location, caption=c.caption, text=c.text,
        platform_captions={str(k): str(v) for k, v in dict(c.platform_captions).items()},
        media=[(m.blob.original_name or m.sha256[:12], m.blob.mime, m.blob.size, m.sha256) for m in c.media],
        steps=rows, signatures=signatures, jobs=jobs,
        trail=[(e.seq, e.at, e.actor, e.action, e.hash) for e in trail],
        working_time=cal.working_time, day_hours=f"{cal.day_start:%H.%M}–{cal.day_end:%H.%M}",
    )


def _decision_row(env: Env, d: Decision, label: str, standard: timedelta | None, p: StepPeriod | None,
                  sop_words: tuple[str, str]) -> _Step:
    own = {"approved": sop_words[0], "rejected": sop_words[1]}.get(d.outcome, "")
    generic = ("", "setujui", "disetujui", "tolak", "ditolak")
    return _Step(label, env.sops.role_label(d.role), _person(d.user), d.outcome,
                 own if own.strip().lower() not in generic else "", d.created_at,
                 p.entered_at if p else None, p.due_at if p else None, standard, d.note, d.version_hash, d.valid)


def _signatures(env: Env, c: Content, sop: SOP | None, decisions: Sequence[Decision]) -> list[_Signature]:
    """One box per approving role of the chain (its review steps, in order), with who approved this version."""
    if sop is not None:
        roles = list(dict.fromkeys(st.role for st in sop.active_steps(set(c.flags)) if st.action == "review"))
    else:
        roles = list(dict.fromkeys(d.role for d in decisions if d.outcome == "approved"))
    out = []
    for role in roles:
        approvals = [d for d in decisions if d.role == role and d.valid and d.outcome == "approved"
                     and d.version_hash == c.version_hash]
        people = list(dict.fromkeys(_person(d.user) for d in approvals))
        out.append(_Signature(env.sops.role_label(role), people, approvals[-1].created_at if approvals else None))
    return out


# --- the register's facts -------------------------------------------------------------------------------------


@dataclass
class _Register:
    rows: list[tuple[int, datetime, str, str, str, str, str, str, str]]  # seq at actor role action subject vh note h
    head: tuple[int, str]
    range_ok: bool
    range_problem: str
    range_bad_seq: int | None
    role_labels: dict[str, str] = field(default_factory=dict)


def _register_facts(s: Session, query: RegisterQuery, since: datetime | None, until: datetime | None,
                    limit: int) -> _Register:
    count = select(func.count()).select_from(AuditEntry)
    for key, value in query.filters.items():
        count = count.where(getattr(AuditEntry, key) == value)
    if since is not None:
        count = count.where(AuditEntry.at >= since)
    if until is not None:
        count = count.where(AuditEntry.at < until)
    n = s.execute(count).scalar_one()
    if n > limit:
        raise ExportRefused(
            f"the register PDF holds at most {limit} entries and these are {n}: choose a shorter period "
            "(or export CSV)",
            f"PDF register memuat paling banyak {limit} entri, pilihan ini {n} entri: persempit rentang "
            "tanggal (atau unduh CSV).")
    entries = list(audit.entries(s, since=since, until=until, **query.filters))
    ok, bad, problem = _check_range(s, entries)
    rows = [(e.seq, e.at, e.actor, e.role, e.action,
             f"{e.subject_type}:{e.subject_id}" if e.subject_type else "", e.version_hash, e.note, e.hash)
            for e in entries]
    return _Register(rows, audit.head(s), ok, problem, bad)


def _check_range(s: Session, entries: Sequence[AuditEntry]) -> tuple[bool, int | None, str]:
    """The chain at the printed entries: each matches its hash and links to the entry before it in the register
    (printed or not: a filter or a day's edge leaves some out, and those are read for their hash). ``(ok, first bad
    seq, problem)``; ``missing`` when the entry before one is gone."""
    wanted = sorted({e.seq - 1 for i, e in enumerate(entries)
                     if e.seq > 1 and (i == 0 or entries[i - 1].seq != e.seq - 1)})
    known: dict[int, str] = {}
    for i in range(0, len(wanted), 500):
        rows = s.execute(select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq.in_(wanted[i:i + 500])))
        known.update({seq: h for seq, h in rows})
    for i, e in enumerate(entries):
        if audit.entry_hash(e.prev_hash, e) != e.hash:
            return False, e.seq, "content"
        if e.seq == 1:
            expected: str | None = audit.GENESIS
        elif i > 0 and entries[i - 1].seq == e.seq - 1:
            expected = entries[i - 1].hash
        else:
            expected = known.get(e.seq - 1)
        if expected is None:
            return False, e.seq - 1, "missing"
        if expected != e.prev_hash:
            return False, e.seq, "link"
    return True, None, ""


# --- words, times and durations -------------------------------------------------------------------------------

_MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def day_text(d: date, lang: str) -> str:
    """``12 Januari 2026`` (Indonesian) or ``12 January 2026``."""
    return f"{d.day} {_MONTHS.get(lang, _MONTHS['id'])[d.month - 1]} {d.year}"


def when_text(dt: datetime, tz: tzinfo, lang: str) -> str:
    """``12 Januari 2026 10.05 WIB`` (Indonesian, the local zone's abbreviation) or ``12 January 2026 10:05 WIB``."""
    local = dt.astimezone(tz)
    sep = "." if lang == "id" else ":"
    return f"{day_text(local.date(), lang)} {local:%H}{sep}{local:%M} {local.tzname() or ''}".rstrip()


def span_text(td: timedelta, lang: str, *, days: bool = True) -> str:
    """A duration in words: ``1 hari 2 jam 30 menit`` / ``1 day 2 h 30 min``; without ``days`` in hours only
    (working time, where a day is not 24 hours)."""
    minutes = max(int(td.total_seconds() // 60), 0)
    d, rest = divmod(minutes, 1440) if days else (0, minutes)
    h, m = divmod(rest, 60)
    units = (("hari", "jam", "menit") if lang == "id" else ("d", "h", "min"))
    parts = [f"{v} {u}" for v, u in zip((d, h, m), units, strict=True) if v]
    if not parts:
        return "< 1 menit" if lang == "id" else "< 1 min"
    return " ".join(parts)


_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_INVISIBLE = re.compile("[\u200d\ufe00-\ufe0f]")


@dataclass(frozen=True)
class PrintSetup:
    """What every page of a printed document states: its words, when and by whom it was printed, and the print code
    that ties it to its register entry (empty for a document that is not recorded, such as a report)."""

    words: Words
    tz: tzinfo
    now: datetime
    printer: str
    code: str
    font_dir: Path

    def when(self, dt: datetime | None) -> str:
        return when_text(dt, self.tz, self.words.lang) if dt is not None else "—"


# --- PDF ------------------------------------------------------------------------------------------------------


@functools.cache
def pdf_class() -> Any:
    """The page layout on fpdf2, built on first use: importing fpdf2 takes a second, which no other command should
    pay."""
    from fpdf import FPDF

    class _Pdf(FPDF):
        def __init__(self, p: PrintSetup, *, landscape: bool, running_head: str) -> None:
            super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
            self.p = p
            self.running_head = running_head
            self.set_margins(14, 14, 14)
            self.set_auto_page_break(True, margin=16)
            self.set_creator("humas")
            self.set_creation_date(p.now.astimezone(UTC))
            self.family, self.glyphs = _fonts(self, p.font_dir)
            self.replacement = "\ufffd" if self.glyphs is not None and 0xFFFD in self.glyphs else "?"
            self.table_head: tuple[Sequence[str], Sequence[float]] | None = None

        # every string printed passes here: hostile text (controls, direction overrides, glyphs the font lacks)
        # becomes visible replacement characters rather than an error or hidden reordering
        def clean(self, value: object, *, one_line: bool = False) -> str:
            text = str(value).encode("utf-8", "replace").decode("utf-8")
            text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
            text = _INVISIBLE.sub("", _UNPRINTABLE.sub("\ufffd", text))
            if one_line:
                text = " ".join(text.split())
            if self.glyphs is None:
                return text.replace("\ufffd", "?").encode("latin-1", "replace").decode("latin-1")
            cmap, rep = self.glyphs, self.replacement
            if all(ord(ch) in cmap or ch == "\n" for ch in text):
                return text
            return "".join(ch if ch == "\n" or ord(ch) in cmap else rep for ch in text)

        def font(self, size: float, bold: bool = False) -> None:
            self.set_font(self.family, "B" if bold else "", size)

        def header(self) -> None:
            if self.page_no() == 1:
                return
            self.font(7.5)
            self.set_text_color(90)
            self.cell(0, 4, _fit(self, self.running_head, self.epw), new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0)
            self.ln(2)
            if self.table_head is not None:
                self.grid_row(*self.table_head, bold=True)

        def footer(self) -> None:
            t = self.p.words.t
            self.set_y(-11)
            self.font(7)
            self.set_text_color(90)
            printed = (t("Dicetak {when} oleh {who} · kode cetak {code}", when=self.p.when(self.p.now),
                         who=self.p.printer, code=self.p.code) if self.p.code
                       else t("Dicetak {when} oleh {who}", when=self.p.when(self.p.now), who=self.p.printer))
            self.cell(self.epw * 0.8, 4, _fit(self, printed, self.epw * 0.78))
            self.cell(self.epw * 0.2, 4, t("Halaman {page} dari {pages}", page=self.page_no(), pages="{nb}"),
                      align="R")
            self.set_text_color(0)

        def para(self, text: str, size: float = 9, *, bold: bool = False, h: float = 4.4) -> None:
            self.font(size, bold)
            self.multi_cell(0, h, self.clean(text) or " ", align="L", new_x="LMARGIN", new_y="NEXT")

        def heading(self, text: str, size: float = 10.5) -> None:
            self.ensure(14)
            self.ln(2.5)
            self.para(text, size, bold=True, h=5.5)
            self.ln(0.5)

        def field(self, label: str, value: str, width: float = 34) -> None:
            self.font(9, True)
            y = self.get_y()
            self.multi_cell(width, 4.6, self.clean(label, one_line=True), align="L", new_x="RIGHT", new_y="TOP")
            self.font(9)
            self.multi_cell(0, 4.6, self.clean(value) or "—", align="L", new_x="LMARGIN", new_y="NEXT")
            self.set_y(max(self.get_y(), y + 4.6))

        def ensure(self, height: float) -> None:
            """A new page unless ``height`` more millimetres fit on this one."""
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()

        def lines(self, text: str, width: float) -> list[str]:
            """``text`` broken into lines of a cell ``width`` wide: at spaces, and inside a word longer than a
            line. Widths add up word by word (fpdf2's own line breaking measures each line anew per character,
            which made a 5,000-entry register take minutes)."""
            room = width - 2 * self.c_margin
            measure = self.get_string_width
            space = measure(" ")
            out: list[str] = []
            for paragraph in text.split("\n"):
                line, used = "", 0.0
                for word in paragraph.split(" "):
                    w = measure(word)
                    if line and used + space + w <= room:
                        line, used = f"{line} {word}", used + space + w
                        continue
                    if line:
                        out.append(line)
                    while w > room and len(word) > 1:  # a word wider than the cell: cut it where it overflows
                        cut, taken = 0, 0.0
                        while cut < len(word) and taken + measure(word[cut]) <= room:
                            taken += measure(word[cut])
                            cut += 1
                        out.append(word[:max(cut, 1)])
                        word = word[max(cut, 1):]
                        w = measure(word)
                    line, used = word, w
                out.append(line)
            return out or [""]

        def grid_row(self, cells: Sequence[str], widths: Sequence[float], *, bold: bool = False, size: float = 7.5,
                shade: bool = False) -> None:
            """One table row; each cell wraps; the row moves whole to the next page when it does not fit."""
            self.font(size, bold)
            lh = size * 0.47
            texts = [self.clean(c) for c in cells]
            split = [self.lines(t, w) for t, w in zip(texts, widths, strict=True)]
            height = max(len(x) for x in split) * lh + 1.6
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()  # header() repeats the table's head
                self.font(size, bold)
            x0, y0 = self.l_margin, self.get_y()
            if shade:
                self.set_fill_color(235)
                self.rect(x0, y0, sum(widths), height, style="F")
            x = x0
            for cell_lines, w in zip(split, widths, strict=True):
                for i, line in enumerate(cell_lines):
                    self.set_xy(x, y0 + 0.8 + i * lh)
                    self.cell(w, lh, line)
                self.rect(x, y0, w, height)
                x += w
            self.set_xy(x0, y0 + height)

        def grid(self, head: Sequence[str], widths: Sequence[float], rows: Sequence[Sequence[str]]) -> None:
            self.ensure(14)
            self.grid_row(head, widths, bold=True, shade=True)
            self.table_head = (head, widths)
            for r in rows:
                self.grid_row(r, widths)
            self.table_head = None
            self.ln(1.5)

    return _Pdf


def _fonts(pdf: Any, font_dir: Path) -> tuple[str, dict[int, Any] | None]:
    """The shipped Unicode font (DejaVu Sans Condensed: Latin, Greek, Cyrillic, Arabic, Hebrew and more), or, when
    its files are missing, the PDF's built-in Helvetica with text reduced to Latin-1."""
    regular, bold = (font_dir / name for name in _FONT_FILES)
    if regular.is_file() and bold.is_file():
        pdf.add_font("dejavu", "", str(regular))
        pdf.add_font("dejavu", "B", str(bold))
        return "dejavu", dict(pdf.fonts["dejavu"].cmap)
    log.warning("the PDF font %s is missing: records print in Helvetica, Latin-1 only", regular)
    return "helvetica", None


def _clip(text: str, limit: int, more: str) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + f"… ({more})"


def _outcome(w: Words, outcome: str, own: str) -> str:
    t = w.t
    label = {"submitted": t("Diajukan"), "approved": t("Disetujui"), "rejected": t("Ditolak"),
             "returned": t("Dikembalikan"), "cancelled": t("Dibatalkan"), "scheduled": t("Dijadwalkan"),
             "": t("Menunggu")}.get(outcome, outcome)
    return f"{label} ({own})" if own else label


def _timing(p: PrintSetup, r: _Step, working: bool) -> str:
    """The step's time standard against the time it took; in working time durations are in hours, since an
    office day is not 24 of them."""
    t, lang = p.words.t, p.words.lang
    lines = [t("Standar: {s}", s=span_text(r.standard, lang) if r.standard else t("tanpa standar"))]
    if r.taken is not None:
        lines.append(t("Ditempuh: {d}", d=span_text(r.taken, lang, days=not working)))
    if r.late is not None:
        lines.append(t("lewat {d}", d=span_text(r.late, lang, days=not working)))
    elif r.due is not None and r.entered is not None:
        lines.append(t("sesuai standar") if r.at else t("masih dalam standar"))
    return "\n".join(lines)


def _render_sheet(f: _Sheet, p: PrintSetup) -> bytes:
    t = p.words.t
    head = f"{f.office} · " + t("Lembar persetujuan konten #{id}", id=f.content_id) + f" · {f.title}"
    pdf = pdf_class()(p, landscape=False, running_head=head)
    pdf.set_title(t("Lembar persetujuan konten #{id}", id=f.content_id))
    pdf.set_author(f.office)
    pdf.add_page()
    pdf.para(f.office.upper(), 12, bold=True, h=6)
    pdf.para(t("LEMBAR PERSETUJUAN KONTEN"), 13, bold=True, h=6.5)
    sop_line = t("SOP: {name} ({id})", name=f.sop_name, id=f.sop_id)
    if f.reference:
        sop_line += " · " + t("Nomor: {ref}", ref=f.reference)
    pdf.para(sop_line, 9)
    pdf.ln(1)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)
    pdf.field(t("Judul"), f.title)
    pdf.field(t("Nomor konten"), f"#{f.content_id} · " + t("Status") + ": " + t(p.words.status(f.status)))
    pdf.field(t("Versi"), f"{f.version}")
    pdf.field(t("Hash versi"), f.version_hash)
    pdf.field(t("Pembuat"), f"{f.author} · {p.when(f.created_at)}")
    if f.accounts:
        pdf.field(t("Akun tujuan"), ", ".join(f.accounts))
    if f.activity:
        pdf.field(t("Informasi kegiatan"), _clip(f.activity, 600, t("lengkap di lampiran")))
    if f.location:
        pdf.field(t("Lokasi kegiatan"), f.location)
    pdf.field(t("Media"), t("{n} berkas", n=len(f.media)))

    pdf.heading(t("Langkah dan keputusan"))
    widths = (7, 38, 31, 25, 24, 27, 30)
    full_notes: list[tuple[int, str]] = []
    rows = []
    for i, r in enumerate(f.steps, 1):
        decision = _outcome(p.words, r.outcome, r.label)
        if r.valid is False:
            decision += "\n" + t("(tidak berlaku lagi)")
        elif r.version_hash and r.version_hash != f.version_hash:
            decision += "\n" + t("(versi lama)")
        note = r.note.strip()
        if len(note) > _TABLE_NOTE:
            full_notes.append((i, note))
            note = _clip(note, _TABLE_NOTE, t("lengkap di bawah"))
        rows.append([str(i), f"{r.step}\n{r.role}", r.person or "—", decision,
                     p.when(r.at) if r.at else t("sejak {when}", when=p.when(r.entered)),
                     _timing(p, r, f.working_time), note])
    pdf.grid([t("No"), t("Langkah / peran"), t("Pelaksana"), t("Keputusan"), t("Waktu"), t("Standar waktu"),
               t("Catatan")], widths, rows)
    pdf.para(t("Waktu ditempuh dihitung dalam jam kerja kantor ({hours}, hari kerja).", hours=f.day_hours)
             if f.working_time else t("Waktu ditempuh dihitung dalam waktu kalender."), 7.5)
    if f.working_time:
        pdf.para(t("Standar waktu dan tenggat mengikuti kalender kerja; keterangan lewat/sesuai dari tenggat."), 7.5)
    _signature_boxes(pdf, f, p)

    for i, note in full_notes:
        pdf.heading(t("Catatan lengkap langkah {n}", n=i), 9.5)
        pdf.para(note, 8.5)

    if f.jobs:
        pdf.heading(t("Unggahan"))
        pdf.grid([t("Akun"), t("Status"), t("Waktu"), t("Tautan")], (40, 30, 45, pdf.epw - 115),
                 [[a, t(p.words.status(st)), p.when(at), url] for a, st, at, url in f.jobs])

    pdf.heading(t("Jejak di register"))
    pdf.grid(["#", t("Waktu"), t("Pelaku"), t("Aksi"), t("Hash entri (awal)")], (12, 40, 32, 48, pdf.epw - 132),
             [[str(seq), p.when(at), actor, p.words.action(action), h[:32]] for seq, at, actor, action, h in f.trail])

    pdf.add_page()
    pdf.para(t("Lampiran: isi konten versi {v}", v=f.version), 11, bold=True, h=6)
    pdf.para(t("Hash versi") + f": {f.version_hash}", 8)
    pdf.ln(1)
    for label, value in ((t("Judul"), f.title), (t("Caption"), f.caption), (t("Narasi"), f.text),
                         (t("Informasi kegiatan"), f.activity), (t("Lokasi kegiatan"), f.location)):
        if value.strip():
            pdf.heading(label, 9.5)
            pdf.para(value, 9)
    if f.platform_captions:
        pdf.heading(t("Caption per platform"), 9.5)
        for platform, value in sorted(f.platform_captions.items()):
            pdf.para(f"{platform}:", 9, bold=True)
            pdf.para(value, 9)
    if f.media:
        pdf.heading(t("Media"), 9.5)
        pdf.grid(["#", t("Berkas"), t("Jenis"), t("Ukuran"), "SHA-256"], (8, 50, 24, 18, pdf.epw - 100),
                 [[str(i), name, mime, f"{size / 1024:.0f} KB", sha]
                  for i, (name, mime, size, sha) in enumerate(f.media, 1)])
    return bytes(pdf.output())


def _signature_boxes(pdf: Any, f: _Sheet, p: PrintSetup) -> None:
    t = p.words.t
    pdf.heading(t("Persetujuan dan tanda tangan"))
    if not f.signatures:
        pdf.para(t("SOP ini tidak memiliki langkah persetujuan."), 9)
        return
    pdf.para(t("Ditandatangani untuk versi {v} (hash {h}).", v=f.version, h=f.version_hash[:16]), 8)
    per_row, gap, height = 3, 4.0, 46.0
    width = (pdf.epw - gap * (per_row - 1)) / per_row
    for start in range(0, len(f.signatures), per_row):
        pdf.ensure(height + 3)
        y = pdf.get_y() + 1
        for i, sig in enumerate(f.signatures[start:start + per_row]):
            x = pdf.l_margin + i * (width + gap)
            pdf.rect(x, y, width, height)
            pdf.set_xy(x + 1.5, y + 1.5)
            pdf.font(8.5, True)
            pdf.multi_cell(width - 3, 4, pdf.clean(sig.role), align="L", new_x="LEFT", new_y="NEXT")
            pdf.font(7.5)
            if sig.people:
                state = t("Menyetujui di humas: {when}", when=p.when(sig.at))
            else:
                state = t("Belum menyetujui versi ini di humas.")
            pdf.set_x(x + 1.5)
            pdf.multi_cell(width - 3, 3.6, pdf.clean(state), align="L", new_x="LEFT", new_y="NEXT")
            pdf.set_xy(x + 1.5, y + height - 13)
            pdf.cell(width - 3, 4, t("Tanggal: ....................................."))
            pdf.set_xy(x + 1.5, y + height - 8)
            pdf.font(8)
            name = ", ".join(sig.people) if sig.people else "." * 40
            pdf.cell(width - 3, 4, _fit(pdf, f"( {name} )", width - 4), align="C")
        pdf.set_xy(pdf.l_margin, y + height + 3)


def _fit(pdf: Any, text: str, width: float) -> str:
    """``text`` on one line of ``width``, cut with an ellipsis when longer."""
    cleaned: str = pdf.clean(text, one_line=True)[:400]
    if pdf.get_string_width(cleaned) <= width:
        return cleaned
    more: str = pdf.clean("…")
    while cleaned and pdf.get_string_width(cleaned + more) > width:
        cleaned = cleaned[:-1]
    return cleaned + more


def _render_register(f: _Register, report: RegisterReport, office: str, query: RegisterQuery, p: PrintSetup) -> bytes:
    t, lang, w = p.words.t, p.words.lang, p.words
    if query.since or query.until:
        period = (day_text(query.since, lang) if query.since else "…") + " – " + \
            (day_text(query.until, lang) if query.until else "…")
    else:
        period = t("seluruh register")
    head = f"{office} · " + t("Register dokumentasi dan konten") + f" · {period}"
    pdf = pdf_class()(p, landscape=True, running_head=head)
    pdf.set_title(t("Register dokumentasi dan konten"))
    pdf.set_author(office)
    pdf.add_page()
    if office:
        pdf.para(office.upper(), 12, bold=True, h=6)
    pdf.para(t("REGISTER DOKUMENTASI DAN KONTEN"), 13, bold=True, h=6.5)
    pdf.ln(1)
    pdf.field(t("Rentang"), period, 62)
    names = {"action": t("Aksi"), "subject_type": t("Jenis subjek"), "subject_id": t("Nomor subjek"),
             "actor": t("Pelaku")}
    if query.filters:
        pdf.field(t("Filter"), "; ".join(f"{names[k]}: {v}" for k, v in query.filters.items()), 62)
    seqs = [r[0] for r in f.rows]
    pdf.field(t("Jumlah entri"), f"{len(f.rows)}" + (f" (#{seqs[0]} – #{seqs[-1]})" if seqs else ""), 62)
    if f.range_ok:
        state = t("utuh: setiap entri cocok dengan hash-nya dan bersambung dengan entri sebelumnya")
    else:
        why = {"content": t("isi entri tidak cocok dengan hash-nya"),
               "link": t("tautan ke entri sebelumnya putus"), "missing": t("entri hilang")}[f.range_problem]
        state = t("RUSAK pada entri #{seq}: {why}", seq=f.range_bad_seq, why=why)
    pdf.field(t("Rantai entri ini"), state, 62)
    if report.ok:
        anchored = t(", titik jangkar di entri #{seq}", seq=report.anchored.seq) if report.anchored else ""
        whole = t("utuh: {n} entri diperiksa", n=report.checked) + anchored
    else:
        whole = t("TIDAK UTUH ({n} temuan): ", n=len(report.findings)) + "; ".join(report.findings)
    pdf.field(t("Seluruh register"), whole, 62)
    pdf.field(t("Kepala register"), f"#{f.head[0]} · {f.head[1]}", 62)
    if f.rows:
        pdf.field(t("Hash entri terakhir di sini"), f"#{f.rows[-1][0]} · {f.rows[-1][8]}", 62)
    pdf.ln(2)
    widths = (13, 37, 27, 34, 36, 24, 17, pdf.epw - 13 - 37 - 27 - 34 - 36 - 24 - 17 - 22, 22)
    labels = f.role_labels
    rows = []
    for seq, at, actor, role, action, subject, vh, note, h in f.rows:
        rows.append([str(seq), p.when(at), actor, labels.get(role, role), w.action(action), subject, vh[:10],
                     _clip(note.strip(), 500, t("lengkap di CSV")), h[:12]])
    pdf.grid(["#", t("Waktu"), t("Pelaku"), t("Peran"), t("Aksi"), t("Subjek"), t("Versi"), t("Catatan"),
              t("Hash entri (awal)")], widths, rows)
    if not rows:
        pdf.para(t("Tidak ada entri dalam rentang ini."), 9)
    return bytes(pdf.output())
