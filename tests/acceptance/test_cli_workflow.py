"""Issue 2's acceptance: the whole mojokerto-acc chain through the real CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from tests.acceptance.cli import Humas

TEAM = {
    "kreatif": "tim_konten_kreatif", "reviu": "tim_reviu", "editor": "tim_editor", "redaktur": "redaktur",
    "pimred": "pimpinan_redaktur", "pj": "penanggung_jawab", "sosmed": "tim_sosial_media",
}
CHAIN = [("reviu", "reviu"), ("editor", "editing"), ("reviu", "reviu_editing"), ("redaktur", "persetujuan_redaktur"),
         ("pimred", "persetujuan_pimpinan_redaktur"), ("pj", "persetujuan_penanggung_jawab")]


def snapshot(db_url: str) -> str:
    """A digest of every row of every humas table: equal digests mean the database did not change."""
    eng = create_engine(db_url)
    h = hashlib.sha256()
    with eng.connect() as conn:
        names = [r[0] for r in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name" if db_url.startswith("sqlite")
            else "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                 "ORDER BY table_name"))]
        for n in names:
            for row in conn.execute(text(f'SELECT * FROM "{n}" ORDER BY 1')):
                h.update(repr(tuple(row)).encode())
    eng.dispose()
    return h.hexdigest()


@pytest.fixture
def humas(tmp_path: Path, db_url: str) -> Humas:
    h = Humas(tmp_path, db_url=db_url)
    h("init")
    h.add_users({name: [role] for name, role in TEAM.items()})
    return h


def status(h: Humas, cid: int) -> tuple[str, str | None]:
    d = h("content", "show", str(cid), "--json").json()
    assert d["id"] == cid and d["sop"] == "mojokerto-acc"
    return d["status"], d["step"]


def moved(out: str) -> tuple[str, str | None]:
    """(status, step) from a transition's one-line answer: "content 1: in_review (step reviu)"."""
    status, _, rest = out.strip().partition(": ")[2].partition(" (")
    return status, rest.rstrip(")").removeprefix("step ") if rest.startswith("step ") else None


def test_mojokerto_chain_end_to_end(humas: Humas, db_url: str, tmp_path: Path) -> None:
    h = humas
    sop = h("sop", "show", "mojokerto-acc", "--json").json()
    assert sop["id"] == "mojokerto-acc" and sop["name"]
    assert [s["id"] for s in sop["steps"]][4] == "reviu"
    assert all({"id", "label", "role", "time_standard"} <= set(s) for s in sop["steps"])

    photo = tmp_path / "foto.jpg"
    Image.new("RGB", (1080, 1080), (200, 30, 30)).save(photo, "JPEG")
    cid = h("content", "new", "--sop", "mojokerto-acc", "--title", "Zona integritas", "--text", "Narasi isu",
            "--caption", "Caption #antikorupsi", "--media", str(photo), "--account", "sandbox-facebook",
            "--as", "kreatif", "--json").json()["id"]
    assert status(h, cid) == ("draft", "kerangka")
    assert moved(h("content", "submit", str(cid), "--as", "kreatif").out) == ("in_review", "reviu")
    rejected = h("content", "reject", str(cid), "--as", "reviu", "--note", "Data pendukung belum ada").out
    assert moved(rejected) == ("draft", "draft")
    h("content", "edit", str(cid), "--text", "Narasi isu dengan data", "--as", "kreatif")
    assert moved(h("content", "submit", str(cid), "--as", "kreatif").out)[1] == CHAIN[0][1]
    for i, (user, _step) in enumerate(CHAIN[:4]):
        out = h("content", "approve", str(cid), "--as", user, "--note", f"ok dari {user}").out
        assert moved(out)[1] == CHAIN[i + 1][1]
    v_before = h("content", "show", str(cid), "--json").json()["version"]
    h("content", "edit", str(cid), "--caption", "Caption baru setelah redaktur", "--as", "kreatif")
    shown = h("content", "show", str(cid), "--json").json()
    assert (shown["status"], shown["step"]) == ("draft", "draft") and shown["version"] == v_before + 1
    assert moved(h("content", "submit", str(cid), "--as", "kreatif").out)[1] == CHAIN[0][1]
    for i, (user, _step) in enumerate(CHAIN):
        out = h("content", "approve", str(cid), "--as", user, "--note", f"ok dari {user}").out
        assert moved(out) == (("in_review", CHAIN[i + 1][1]) if i + 1 < len(CHAIN) else ("approved", "publikasi"))
    assert status(h, cid) == ("approved", "publikasi")

    hist = h("content", "history", str(cid), "--json").json()
    approvals = [x for x in hist if x["action"] == "content.approved"]
    assert len(approvals) == 10 and {a["actor"] for a in approvals} == {u for u, _ in CHAIN}
    assert all(a["note"] == f"ok dari {a['actor']}" for a in approvals)
    rejected = [x for x in hist if x["action"] == "content.rejected"]
    assert rejected[0]["actor"] == "reviu" and rejected[0]["note"] == "Data pendukung belum ada"
    assert rejected[0]["step"] == "reviu"
    edits = [x for x in hist if x["action"] == "content.edited"]
    assert edits[-1]["data"]["returned_to"] == "draft"
    assert "persetujuan_redaktur" in edits[-1]["data"]["invalidated"]
    assert h("content", "list", "--status", "approved", "--json").json()[0]["id"] == cid

    h("audit", "verify")
    out = tmp_path / "register.csv"
    h("audit", "export", "--format", "csv", "--out", str(out))
    assert "content.approved" in out.read_text(encoding="utf-8")

    eng = create_engine(db_url)
    with eng.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET note = 'dipalsukan' WHERE seq = 5"))
    eng.dispose()
    r = h("audit", "verify", check=False)
    assert r.code != 0 and "entry 5" in r.err


def test_bad_input_changes_nothing(humas: Humas, db_url: str, tmp_path: Path) -> None:
    h = humas
    cid = h("content", "new", "--title", "T", "--text", "N", "--as", "kreatif", "--json").json()["id"]
    h("content", "submit", str(cid), "--as", "kreatif")
    before = snapshot(db_url)
    assert "Tim Reviu" in h.fails("content", "approve", str(cid), "--as", "redaktur").err
    assert "unknown user" in h.fails("content", "approve", str(cid), "--as", "siapa").err
    assert "unknown SOP" in h.fails("content", "new", "--sop", "tidak-ada", "--title", "T", "--text", "N",
                                     "--as", "kreatif").err
    assert "media file not found" in h.fails("content", "new", "--title", "T", "--text", "N", "--media",
                                              str(tmp_path / "hilang.jpg"), "--as", "kreatif").err
    assert "note" in h("content", "reject", str(cid), "--as", "reviu", check=False).err
    assert "unknown role" in h.fails("user", "add", "budi", "--role", "tukang_sapu").err
    assert snapshot(db_url) == before

    bad = tmp_path / "bad.toml"
    bad.write_text('data_dir = "data"\n[queue\nbatch = 3\n', encoding="utf-8")
    r = Humas(tmp_path, db_url=db_url, config=bad)("sop", "list", check=False)
    assert r.code == 2 and r.err.startswith("error: ") and "invalid TOML" in r.err and len(r.err.splitlines()) == 1
    typo = tmp_path / "typo.toml"
    typo.write_text('[queue]\nbatch = "banyak"\n', encoding="utf-8")
    r = Humas(tmp_path, db_url=db_url, config=typo)("sop", "list", check=False)
    assert r.code == 2 and "queue.batch" in r.err
    assert snapshot(db_url) == before


def test_ponjong_rules_refused_at_submit(tmp_path: Path) -> None:
    h = Humas(tmp_path)
    h("init")
    h("user", "add", "pelaksana", "--role", "tim_pelaksana")
    photos = []
    for i in range(5):
        p = tmp_path / f"dok{i}.jpg"
        Image.new("RGB", (1080, 1350), (i * 50, 80, 80)).save(p, "JPEG")
        photos.append(p)
    media4 = [a for p in photos[:4] for a in ("--media", str(p))]
    media5 = [a for p in photos for a in ("--media", str(p))]
    c4 = h("content", "new", "--sop", "ponjong-upload", "--title", "Posyandu", "--text", "Narasi", "--caption", "ok",
           *media4, "--as", "pelaksana", "--json").json()["id"]
    c201 = h("content", "new", "--sop", "ponjong-upload", "--title", "Posyandu", "--text", "Narasi", "--caption",
             "x" * 201, *media5, "--as", "pelaksana", "--json").json()["id"]
    assert "media_min" in h.fails("content", "submit", str(c4), "--as", "pelaksana").err
    assert "caption_max" in h.fails("content", "submit", str(c201), "--as", "pelaksana").err
    db = sqlite3.connect(tmp_path / "data" / "humas.sqlite3")
    assert {r[0] for r in db.execute("SELECT status FROM contents")} == {"draft"}
