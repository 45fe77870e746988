"""Small pieces of the web layer without a database: translations, the SVG chart, the word diff, the limiter."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from humas import users
from humas.testing import FakeClock
from humas.web import auth
from humas.web.diff import snapshot_diff, words
from humas.web.i18n import ACTION, EN, STATUS, translator
from humas.web.svg import stacked_bars

WEB = Path(__file__).resolve().parents[2] / "src" / "humas" / "web"
CALL = re.compile(r"""_\(\s*(["'])(.+?)\1\s*[,)]""")


def _used_messages() -> set[str]:
    found: set[str] = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("pages/*.py"), *WEB.glob("*.py")]:
        if path.name == "i18n.py":
            continue
        for m in CALL.finditer(path.read_text(encoding="utf-8")):
            found.add(m.group(2).replace('\\"', '"'))
    return found


def test_every_message_has_an_english_translation() -> None:
    used = _used_messages()
    assert len(used) > 100
    missing = sorted(m for m in used if m not in EN)
    assert not missing, missing
    assert all(label in EN for label in STATUS.values())
    assert all(label in EN for label in ACTION.values())


def test_every_register_action_has_a_label() -> None:
    """People read the register's actions as words: each action code written anywhere in humas has a label."""
    code = re.compile(r'"((?:content|case|job|reply|comment|account|user|token|db|sentiment)\.[a-z_]+)"')
    found = {m for f in (WEB.parent).rglob("*.py") for m in code.findall(f.read_text(encoding="utf-8"))}
    found |= {f"comment.review_{o}" for o in ("confirmed", "dismissed")}  # f-strings
    found |= {f"sentiment.model_{o}" for o in ("deployed", "refused")}
    found -= {name for name in found if name.endswith(".html")}  # template names, not actions
    assert len(found) > 40
    assert sorted(found - set(ACTION)) == []


def test_translator_fills_placeholders_and_keeps_unknown_text() -> None:
    en, id_ = translator("en"), translator("id")
    assert en("Terlambat") == "Overdue" and id_("Terlambat") == "Terlambat"
    assert en("Dijadwalkan: {n} unggahan.", n=2) == "Scheduled: 2 posts."
    assert en("Tim Konten Kreatif") == "Tim Konten Kreatif"  # SOP role names stay Indonesian


def test_svg_chart_escapes_labels_and_has_no_script() -> None:
    svg = str(stacked_bars([("<script>x</script>", [("negative", 2), ("positive", 1)]), ("b", [])],
                           title='judul "<b>"', legend={"negative": "Negatif"}))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&#34;&lt;b&gt;&#34;" in svg
    assert svg.startswith("<svg") and svg.count("<rect") == 2 + 2  # two bars, two legend swatches
    assert "style=" not in svg  # the page CSP allows no inline style
    assert "—" in str(stacked_bars([], title="kosong"))


def test_word_diff() -> None:
    parts = words("Narasi kegiatan sosialisasi.", "Narasi kegiatan sosialisasi yang diedit.")
    assert ("del", "sosialisasi.") in parts and ("ins", "sosialisasi yang diedit.") in parts
    fields = {f.name: f for f in snapshot_diff({"title": "A", "media": ["x"]}, {"title": "A", "media": ["x", "y"]})}
    assert not fields["title"].changed and fields["media"].changed


def test_login_limiter_window() -> None:
    clock = FakeClock()
    lim = auth.LoginLimiter(clock, auth.LimitPolicy(per_user_ip=3, per_ip=5, window=timedelta(minutes=15)))
    for _ in range(3):
        assert lim.blocked_for("Ana", "10.0.0.1") is None
        lim.failed("ana", "10.0.0.1")
    wait = lim.blocked_for("ANA", "10.0.0.1")
    assert wait is not None and timedelta(minutes=14) < wait <= timedelta(minutes=15)
    assert lim.blocked_for("ana", "10.0.0.2") is None
    lim.failed("budi", "10.0.0.1")
    lim.failed("citra", "10.0.0.1")
    assert lim.blocked_for("dewi", "10.0.0.1") is not None  # five failures from one address, any user names
    clock.now += timedelta(minutes=15, seconds=1)
    assert lim.blocked_for("ana", "10.0.0.1") is None


def test_password_hashes_are_argon2id_and_verified() -> None:
    h = users.hash_password("kata-sandi-panjang")
    assert h.startswith("$argon2id$") and "kata-sandi" not in h
    assert users.token_hash("hms_x") != "hms_x" and len(users.token_hash("hms_x")) == 64


@pytest.mark.parametrize(("old", "new"), [
    ("", ""), ("sama", "sama"), ("", "baru saja"), ("lama sekali", ""),
    ("a b c d e", "a b x d e"), ("awal " * 50 + "tengah", "awal " * 50 + "ujung"),
    ("kata panjang " * 3000, "kata panjang " * 3000 + "tambahan"),  # a long caption, equal ends trimmed first
    (" ".join(f"w{i}" for i in range(5000)), " ".join(f"v{i}" for i in range(5000))),  # beyond the word diff
])
def test_word_diff_parts_rebuild_both_versions(old: str, new: str) -> None:
    parts = words(old, new)
    assert "".join(t for op, t in parts if op != "ins") == old
    assert "".join(t for op, t in parts if op != "del") == new
    assert all(t for _, t in parts)


def test_a_huge_change_is_shown_whole_instead_of_word_by_word() -> None:
    from humas.web.diff import WORD_DIFF_MAX

    old = " ".join(f"a{i}" for i in range(WORD_DIFF_MAX + 10))
    new = " ".join(f"b{i}" for i in range(WORD_DIFF_MAX + 10))
    assert [op for op, _ in words(old, new)] == ["del", "ins"]
