"""Pages: who may see and do what (table-driven, every page action allowed and forbidden), escaping of public
comments, media access, the approval diff, forms with uploads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from humas.app import App
from humas.store.models import Case, Content, PublicationJob
from tests.integration.test_web_helpers import (
    HOSTILE,
    WebEnv,
    advance,
    approved,
    build,
    case_status,
    draft,
    drafted_case,
    failed_job,
    jpeg,
    published_comment,
)


@pytest.fixture
def env(team: App) -> WebEnv:
    return build(team)


@dataclass(frozen=True)
class Row:
    """``user`` does ``method path`` with ``data``; ``expect`` the status. ``seed`` builds the object in the path."""

    user: str
    method: str
    path: str
    expect: int
    seed: str = ""
    data: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.user}-{self.method}-{self.path}-{self.expect}"


def _in_review(app: App) -> int:
    cid = draft(app)
    advance(app, cid, [])
    return cid


def _comment(app: App) -> int:
    return published_comment(app)[0]


def _case(app: App) -> int:
    case_id = published_comment(app)[1]
    assert case_id is not None
    return case_id


SEEDS: dict[str, Callable[[App], int]] = {
    "draft": draft, "review": _in_review, "approved": approved, "failed": failed_job, "comment": _comment,
    "case": _case, "drafted": drafted_case,
}

ROWS = [
    # pages every signed-in person sees
    *[Row("kreatif", "GET", p, 200) for p in ("/", "/konten", "/konten/baru", "/persetujuan", "/kalender",
                                              "/kalender?view=week", "/antrian", "/laporan", "/register", "/akun",
                                              "/register.csv", "/laporan.csv", "/register/verifikasi")],
    Row("kreatif", "GET", "/konten/{id}", 200, "draft"),
    Row("kreatif", "GET", "/konten/{id}/ubah", 200, "draft"),
    # comments and cases: the response and escalation roles, or an admin
    Row("sosmed", "GET", "/komentar", 200), Row("redaktur", "GET", "/komentar", 200),
    Row("admin", "GET", "/komentar", 200), Row("kreatif", "GET", "/komentar", 403),
    Row("redaktur", "GET", "/eskalasi", 200), Row("reviu", "GET", "/eskalasi", 403),
    Row("sosmed", "GET", "/eskalasi/{id}", 200, "case"), Row("pj", "GET", "/eskalasi/{id}", 403, "case"),
    Row("redaktur", "GET", "/komentar/{id}", 200, "comment"), Row("editor", "GET", "/komentar/{id}", 403, "comment"),
    # admin
    Row("admin", "GET", "/admin", 200), Row("kreatif", "GET", "/admin", 403),
    Row("admin", "POST", "/admin/pengguna", 200, data=(("name", "baru"), ("roles", "tim_reviu"))),
    Row("kreatif", "POST", "/admin/pengguna", 403, data=(("name", "baru"), ("roles", "tim_reviu"))),
    Row("admin", "POST", "/admin/pengguna/reviu/peran", 303, data=(("roles", "tim_editor"),)),
    Row("redaktur", "POST", "/admin/pengguna/reviu/peran", 403, data=(("roles", "admin"),)),
    Row("admin", "POST", "/admin/pengguna/reviu/sandi", 200),
    Row("redaktur", "POST", "/admin/pengguna/reviu/sandi", 403),
    Row("admin", "POST", "/admin/pengguna/reviu/aktif", 303, data=(("active", "0"),)),
    Row("sosmed", "POST", "/admin/pengguna/reviu/aktif", 403, data=(("active", "0"),)),
    Row("admin", "POST", "/admin/akun/sandbox-x/periksa", 303),
    Row("sosmed", "POST", "/admin/akun/sandbox-x/periksa", 403),
    # content through the SOP: the step's role, never an admin by rank
    Row("kreatif", "POST", "/konten/baru", 303, data=(("title", "Baru"), ("text", "Narasi"))),
    Row("reviu", "POST", "/konten/baru", 403, data=(("title", "Baru"), ("text", "Narasi"))),
    Row("kreatif", "POST", "/konten/{id}/ubah", 303, "draft", (("title", "Judul baru"), ("text", "Narasi baru"))),
    Row("pj", "POST", "/konten/{id}/ubah", 403, "draft", (("title", "Judul baru"),)),
    Row("kreatif", "POST", "/konten/{id}/kirim", 303, "draft"),
    Row("reviu", "POST", "/konten/{id}/kirim", 403, "draft"),
    Row("reviu", "POST", "/konten/{id}/setujui", 303, "review"),
    Row("redaktur", "POST", "/konten/{id}/setujui", 403, "review"),
    Row("admin", "POST", "/konten/{id}/setujui", 403, "review"),
    Row("reviu", "POST", "/konten/{id}/tolak", 303, "review", (("note", "Perbaiki data"),)),
    Row("kreatif", "POST", "/konten/{id}/tolak", 403, "review", (("note", "x"),)),
    Row("reviu", "POST", "/konten/{id}/tolak", 400, "review", (("note", " "),)),
    Row("kreatif", "POST", "/konten/{id}/batal", 303, "draft"),
    Row("editor", "POST", "/konten/{id}/batal", 403, "draft"),
    Row("reviu", "POST", "/konten/{id}/setujui", 409, "draft"),
    # the queue: the SOP's publishing role or an admin
    Row("sosmed", "POST", "/konten/{id}/jadwal", 303, "approved", (("at", "now"),)),
    Row("admin", "POST", "/konten/{id}/jadwal", 303, "approved", (("at", "now"),)),
    Row("kreatif", "POST", "/konten/{id}/jadwal", 403, "approved", (("at", "now"),)),
    Row("sosmed", "POST", "/konten/{id}/jadwal", 400, "approved", (("at", "2020-01-01 09:00"),)),
    Row("sosmed", "POST", "/konten/{id}/jadwal", 409, "draft", (("at", "now"),)),
    Row("sosmed", "POST", "/antrian/{id}/ulang", 303, "failed"),
    Row("redaktur", "POST", "/antrian/{id}/ulang", 403, "failed"),
    Row("admin", "POST", "/antrian/{id}/batal", 303, "failed"),
    Row("reviu", "POST", "/antrian/{id}/batal", 403, "failed"),
    Row("sosmed", "POST", "/antrian/999/batal", 404),
    # cases: drafting is the response role's, deciding the escalation role's
    Row("sosmed", "POST", "/eskalasi/{id}/draf", 303, "case", (("text", "Terima kasih, kami tindak lanjuti."),)),
    Row("redaktur", "POST", "/eskalasi/{id}/draf", 403, "case", (("text", "x"),)),
    Row("redaktur", "POST", "/eskalasi/{id}/setujui", 303, "drafted"),
    Row("sosmed", "POST", "/eskalasi/{id}/setujui", 403, "drafted"),
    Row("admin", "POST", "/eskalasi/{id}/setujui", 403, "drafted"),
    Row("redaktur", "POST", "/eskalasi/{id}/tolak", 303, "drafted", (("note", "Lebih sopan"),)),
    Row("sosmed", "POST", "/eskalasi/{id}/tolak", 403, "drafted", (("note", "x"),)),
    Row("redaktur", "POST", "/eskalasi/{id}/setujui", 409, "case"),
    Row("redaktur", "POST", "/eskalasi/{id}/abaikan", 303, "case", (("reason", "spam"),)),
    Row("kreatif", "POST", "/eskalasi/{id}/abaikan", 403, "case", (("reason", "spam"),)),
    Row("redaktur", "POST", "/eskalasi/{id}/sembunyikan", 303, "case"),
    Row("sosmed", "POST", "/eskalasi/{id}/sembunyikan", 403, "case"),
    Row("redaktur", "POST", "/eskalasi/{id}/label", 303, "case", (("label", "neutral"),)),
    Row("sosmed", "POST", "/eskalasi/{id}/label", 403, "case", (("label", "neutral"),)),
    Row("redaktur", "POST", "/komentar/{id}/label", 303, "comment", (("label", "positive"),)),
    Row("kreatif", "POST", "/komentar/{id}/label", 403, "comment", (("label", "positive"),)),
    Row("redaktur", "GET", "/eskalasi/999", 404),
]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission(env: WebEnv, row: Row) -> None:
    path = row.path
    if row.seed:
        path = path.replace("{id}", str(SEEDS[row.seed](env.app)))
    c = env.client(row.user)
    data: dict[str, Any] = {}
    for k, v in row.data:
        data.setdefault(k, []).append(v)
    r = c.get(path) if row.method == "GET" else c.post(path, data)
    assert r.status_code == row.expect, f"{row}: {r.status_code} {r.text[:400]}"
    if row.expect == 403:
        assert "Tidak diizinkan" in r.text


def test_forbidden_changes_nothing(env: WebEnv) -> None:
    cid = _in_review(env.app)
    case_id = drafted_case(env.app)
    env.client("admin").post(f"/konten/{cid}/setujui", {})
    env.client("sosmed").post(f"/eskalasi/{case_id}/setujui", {})
    with env.app.db.session() as s:
        c = s.get(Content, cid)
        assert c is not None and c.step_id == "reviu" and c.status == "in_review"
    assert case_status(env.app, case_id) == "reply_drafted"


def test_register_and_history_show_actions_as_words(env: WebEnv) -> None:
    cid = _in_review(env.app)
    history = env.client("admin").get(f"/konten/{cid}").text
    register = env.client("admin").get("/register").text
    for html in (history, register):
        assert ">Diajukan</td>" in html and ">content.submitted</td>" not in html
    assert 'title="content.submitted"' in history  # the code stays at hand for those who search the register


def test_hostile_comment_is_text_everywhere(env: WebEnv) -> None:
    comment_id, case_id = published_comment(env.app, HOSTILE)
    pages = ["/", "/komentar", f"/komentar/{comment_id}", "/eskalasi", f"/eskalasi/{case_id}", "/register"]
    for path in pages:
        html = env.client("redaktur").get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert 'onerror="alert' not in html, path
    detail = env.client("redaktur").get(f"/eskalasi/{case_id}").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in detail
    assert "@warga&lt;b&gt;" in detail


def test_script_in_content_and_queue_error_is_escaped(env: WebEnv) -> None:
    job_id = failed_job(env.app)
    c = env.client("kreatif")
    r = c.post("/konten/baru", {"title": "<script>alert(1)</script>", "text": "<b>tebal</b>"})
    assert r.status_code == 303
    html = c.get(r.headers["location"]).text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    queue = env.client("sosmed").get("/antrian").text
    assert f">{job_id}<" in queue and "503 &lt;Service Unavailable&gt;" in queue


def test_content_with_media_upload_preview_and_media_access(env: WebEnv) -> None:
    c = env.client("kreatif")
    r = c.post("/konten/baru", {"title": "Foto kegiatan", "text": "Narasi", "caption": "#a #b #c #d #e #f",
                                "accounts": ["sandbox-instagram", "sandbox-x"]},
               files=[("media", ("foto.jpg", jpeg(), "image/jpeg"))])
    assert r.status_code == 303, r.text[:500]
    cid = int(r.headers["location"].rsplit("/", 1)[1])
    page = c.get(f"/konten/{cid}").text
    assert "6 tagar, maksimal 5" in page  # the Instagram adapter's validate() shown before submitting
    with env.app.db.session() as s:
        content = s.get(Content, cid)
        assert content is not None and len(content.media) == 1
        sha = content.media[0].sha256
        assert content.media[0].blob.original_name == "foto.jpg"
    got = c.get(f"/media/{sha}")
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert "sandbox" in got.headers["content-security-policy"]
    assert env.anonymous().get(f"/media/{sha}").status_code == 404  # a draft's media is not public
    # keep the photo, add a second one: media list replaced as the form says
    r = c.post(f"/konten/{cid}/ubah", {"title": "Foto kegiatan", "text": "Narasi", "caption": "#a",
                                       "accounts": ["sandbox-instagram"], "keep": [sha]},
               files=[("media", ("kedua.jpg", jpeg(1080, 1350), "image/jpeg"))])
    assert r.status_code == 303, r.text[:500]
    with env.app.db.session() as s:
        content = s.get(Content, cid)
        assert content is not None and len(content.media) == 2 and content.media[0].sha256 == sha


def test_public_media_only_for_approved_content(env: WebEnv) -> None:
    c = env.client("kreatif")
    r = c.post("/konten/baru", {"title": "Foto", "text": "Narasi", "accounts": ["sandbox-x"]},
               files=[("media", ("foto.jpg", jpeg(), "image/jpeg"))])
    cid = int(r.headers["location"].rsplit("/", 1)[1])
    advance(env.app, cid, ["reviu", "editor", "reviu", "redaktur", "pimred", "pj"])
    with env.app.db.session() as s:
        content = s.get(Content, cid)
        assert content is not None and content.status == "approved"
        sha = content.media[0].sha256
    public = env.anonymous().get(f"/media/{sha}")
    assert public.status_code == 200 and "public" in public.headers["cache-control"]
    assert env.anonymous().get("/media/" + "0" * 64).status_code == 404
    assert env.anonymous().get("/media/../../etc/passwd").status_code == 404


def test_approval_diff_against_last_approved_version(env: WebEnv) -> None:
    cid = draft(env.app)
    advance(env.app, cid, ["reviu"])  # Tim Reviu approved version 1; now at the editor
    editor = env.client("editor")
    r = editor.post(f"/konten/{cid}/ubah", {"title": "Sosialisasi anti korupsi",
                                            "text": "Narasi kegiatan sosialisasi yang sudah diedit.",
                                            "caption": "Ayo cegah korupsi", "accounts": ["sandbox-x"]})
    assert r.status_code == 303, r.text[:400]
    advance(env.app, cid, ["editor"])  # to Tim Reviu again (reviu_editing)
    page = env.client("reviu").get(f"/konten/{cid}").text
    assert "Perubahan sejak versi disetujui terakhir" in page
    assert "<del>sosialisasi.</del>" in page and "<ins>sosialisasi yang sudah diedit.</ins>" in page
    assert page.count(f'action="/konten/{cid}/setujui"') == 1


def test_schedule_from_the_page_creates_jobs(env: WebEnv) -> None:
    cid = approved(env.app, accounts=("sandbox-x", "sandbox-facebook"))
    r = env.client("sosmed").post(f"/konten/{cid}/jadwal", {"at": "2026-03-03 09:00",
                                                            "accounts": ["sandbox-x", "sandbox-facebook"]})
    assert r.status_code == 303
    with env.app.db.session() as s:
        jobs = list(s.execute(select(PublicationJob).where(PublicationJob.content_id == cid)).scalars())
        assert sorted(j.account for j in jobs) == ["sandbox-facebook", "sandbox-x"]
    cal = env.client("kreatif").get("/kalender?view=month&bulan=2026-03").text
    assert "Konten disetujui" in cal and "09:00" in cal
    week = env.client("kreatif").get("/kalender?view=week&minggu=2026-W10").text
    assert week.count("class=\"event e-scheduled\"") == 2


def test_case_flow_on_pages(env: WebEnv) -> None:
    _comment_id, case_id = published_comment(env.app, "Pelayanan lambat sekali, kecewa!")
    assert case_id is not None
    sosmed, redaktur = env.client("sosmed"), env.client("redaktur")
    first = sosmed.post(f"/eskalasi/{case_id}/draf", {"text": "Mohon maaf, segera kami tindak lanjuti."})
    assert first.status_code == 303
    assert redaktur.post(f"/eskalasi/{case_id}/tolak", {"note": "Sebutkan nomor pengaduan"}).status_code == 303
    assert case_status(env.app, case_id) == "rejected"
    assert "Sebutkan nomor pengaduan" in sosmed.get(f"/eskalasi/{case_id}").text
    assert sosmed.post(f"/eskalasi/{case_id}/draf", {"text": "Mohon maaf, hubungi 112."}).status_code == 303
    assert redaktur.post(f"/eskalasi/{case_id}/setujui", {}).status_code == 303
    assert case_status(env.app, case_id) == "approved"
    with env.app.db.session() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.reply_job_id is not None
    assert "Kasus" in env.client("sosmed").get("/antrian").text


def test_english_toggle_keeps_role_names_indonesian(env: WebEnv) -> None:
    cid = draft(env.app)
    c = env.client("kreatif")
    assert c.post("/bahasa", {"lang": "en", "next": f"/konten/{cid}"}).headers["location"] == f"/konten/{cid}"
    html = c.get(f"/konten/{cid}").text
    assert "Current step" in html and "Tim Konten Kreatif" in html and 'lang="en"' in html
    assert 'lang="en"' in env.clients["kreatif"].get("/").text  # stored on the user


def test_reports_render_svg_and_csv(env: WebEnv) -> None:
    published_comment(env.app, "Mantap, terima kasih!", label="positive", case=False)
    published_comment(env.app, "Buruk sekali", label="negative")
    c = env.client("kreatif")
    html = c.get("/laporan?minggu=2026-W10").text
    assert html.count("<svg") == 3 and "<script" not in html.split("<main", 1)[1]
    csv_text = c.get("/laporan.csv?minggu=2026-W10").text
    assert "sandbox-x,2,2,1,0,1,1" in csv_text
