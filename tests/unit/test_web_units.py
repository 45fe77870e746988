"""Small pieces of the web layer without a database: translations, the SVG chart, the word diff, the limiter."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from humas import users
from humas.testing import FakeClock
from humas.web import auth
from humas.web.catalog import catalog_path, entries, fields
from humas.web.diff import snapshot_diff, words
from humas.web.extract import domain_messages, ui_messages
from humas.web.i18n import ACTION, EN, translator

WEB = Path(__file__).resolve().parents[2] / "src" / "humas" / "web"
CALL = re.compile(r"""_\(\s*(["'])(.+?)\1\s*[,)]""")


def test_every_message_has_an_english_translation() -> None:
    used = ui_messages()
    assert len(used) > 400
    missing = sorted(m for m in used if m not in EN)
    assert not missing, f"{len(missing)} without English in {catalog_path('en', 'ui')} (make messages): {missing[:10]}"


def test_every_domain_message_has_an_indonesian_translation_with_its_placeholders() -> None:
    """Each message the domain layer raises (and the web's own errors) reads Indonesian on a page."""
    wanted = domain_messages()
    assert len(wanted) > 300
    have = entries("id", "errors")
    missing = sorted(m for m in wanted if m not in have)
    assert not missing, f"{len(missing)} without Indonesian in {catalog_path('id', 'errors')}: {missing[:10]}"
    wrong = [m for m, t in have.items() if sorted(fields(m)) != sorted(fields(t))]
    assert not wrong, wrong[:10]


def test_the_catalogs_are_po_files_babel_reads_back_whole(tmp_path: Path) -> None:
    from babel.messages.pofile import read_po

    for lang, domain in (("en", "ui"), ("id", "errors")):
        with catalog_path(lang, domain).open("rb") as f:
            cat = read_po(f)
        assert len([m for m in cat if m.id]) >= len(entries(lang, domain)) > 300


def test_a_formatted_domain_message_is_shown_in_indonesian() -> None:
    from humas.web.catalog import error

    assert error("content 999999 not found", "id") == entries("id", "errors")["content {content_id} not found"] \
        .format(content_id="999999") != "content 999999 not found"
    assert error("content 999999 not found", "en") == "content 999999 not found"
    assert error("Not Found", "id") != "Not Found"
    assert error("something no catalog knows", "id") == "something no catalog knows"  # shown as it is
    # a stored reason around a raised message: both parts read Indonesian
    inner = entries("id", "errors")["content {content_id} not found"].format(content_id="7")
    outer = entries("id", "errors")["account paused: {exc_message}"]
    assert error("account paused: content 7 not found", "id") == outer.format(exc_message=inner)


def test_every_register_action_has_a_label() -> None:
    """People read the register's actions as words: each action code written anywhere in humas has a label."""
    areas = ("content", "case", "job", "reply", "comment", "account", "user", "token", "db", "sentiment", "plan",
             "equipment", "inventory", "agenda", "media", "cadence", "record", "secrets")
    code = re.compile(r'"((?:' + "|".join(areas) + r')\.[a-z_]+)"')
    found = {m for f in (WEB.parent).rglob("*.py") if not f.name.startswith("testing")  # the fakes speak APIs
             for m in code.findall(f.read_text(encoding="utf-8"))}
    found |= {f"comment.review_{o}" for o in ("confirmed", "dismissed")}  # f-strings
    found |= {f"sentiment.model_{o}" for o in ("deployed", "refused")}
    found -= {name for name in found if name.endswith(".html")}  # template names, not actions
    found -= {"media.write", "secrets.key"}  # an X scope and a key file's name
    assert len(found) > 70
    assert sorted(found - set(ACTION)) == []
    assert all(ACTION[a] in EN for a in found)


def test_translator_fills_placeholders_and_keeps_unknown_text() -> None:
    en, id_ = translator("en"), translator("id")
    assert en("Terlambat") == "Overdue" and id_("Terlambat") == "Terlambat"
    assert en("Dijadwalkan: {n} unggahan.", n=2) == "Scheduled: 2 posts."
    assert en("Tim Konten Kreatif") == "Tim Konten Kreatif"  # SOP role names stay Indonesian


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
