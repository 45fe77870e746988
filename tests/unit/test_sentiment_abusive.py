"""The abusive-word filter: whole normalised words, elongation, leetspeak, phrases, custom lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from humas.errors import InvalidInput
from humas.sentiment.abusive import AbusiveFilter, default_abusive_filter


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("Dasar GOBLOK", ("goblok",)),
        ("gobloooook bgt", ("goblok",)),
        ("g0bl0k", ("goblok",)),
        ("4nj1ng lah", ("anjing",)),
        ("b@ngsat", ("bangsat",)),
        ("Anjing lah, anak sy jatuh", ("anjing",)),
        ("tolol, tolol, bego", ("tolol", "bego")),
        ("jancuk!!! dalane rusak", ("jancuk",)),
        ("belegug teh", ("belegug",)),
        ("go\u200bblok", ("goblok",)),
        ("anjir keren bgt", ()),
        ("bunga begonia cantik", ()),
        ("pasar babakan rame", ()),
        ("jalan rusak parah", ()),
        ("", ()),
    ],
)
def test_default_list(text: str, matched: tuple[str, ...]) -> None:
    assert default_abusive_filter().find(text) == matched


def test_custom_list_from_file_with_phrase(tmp_path: Path) -> None:
    path = tmp_path / "words.txt"
    path.write_text("# our list\nkadal\n\ntikus kantor\n", encoding="utf-8")
    flt = AbusiveFilter.from_file(path)
    assert flt.find("dasar TIKUS kantor, kadal semua") == ("tikus kantor", "kadal")
    assert flt.find("tikus di kantor") == ()
    assert "kadaaal" in flt
    assert "goblok" not in flt


def test_missing_or_empty_list_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        AbusiveFilter.from_file(tmp_path / "nope.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="empty"):
        AbusiveFilter.from_file(empty)


def test_hostile_input_never_raises() -> None:
    flt = default_abusive_filter()
    assert flt.find("goblok " * 100_000) == ("goblok",)
    assert flt.find("\x00\ud800<b>") == ()
