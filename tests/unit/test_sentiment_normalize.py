"""Normalisation of informal Indonesian comments, including hostile input."""

from __future__ import annotations

from pathlib import Path

import pytest

from humas.sentiment.normalize import MAX_CHARS, Normalizer, default_normalizer, load_word_map, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Gak bagusss", "tidak bagus"),
        ("ga, nggak, enggak, gk", "tidak tidak tidak tidak"),
        ("yg udh blm sy tp dgn krn dr utk", "yang sudah belum saya tapi dengan karena dari untuk"),
        ("mantaaap bgt min", "mantap banget admin"),
        ("gmn knp aja", "bagaimana kenapa saja"),
        ("MAAF, SAYA TANYA", "maaf saya tanya"),
        ("cek https://bit.ly/xyz dan www.pemkab.go.id", "cek url dan url"),
        ("@pemkab_sukamaju tolong", "mention tolong"),
        ("tulis ke humas@pemkab.go.id", "tulis ke email"),
        ("#BeraniJujurHebat", "hashtag berani jujur hebat"),
        ("#jalanrusak", "hashtag jalanrusak"),
        ("sudah 3 bulan", "sudah num bulan"),
        ("hubungi 0812-3456-7890", "hubungi num"),
        ("anak2 sekolah", "anak anak sekolah"),
        ("Kapan diperbaiki???", "kapan diperbaiki ?"),
        ("Urus tuh jalan!!!!", "urus itu jalan !!"),
        ("bagus!", "bagus !"),
        ("Lampu dalan mati kabeh, wengi peteng", "lampu jalan mati semua malam gelap"),
        ("piye iki, ora apik", "bagaimana ini tidak bagus"),
        ("teu acan, henteu sae", "tidak belum tidak bagus"),
        ("mantap 👍👍", "mantap emoji_pos emoji_pos"),
        ("👍🏽", "emoji_pos"),
        ("kecewa 😡", "kecewa emoji_angry"),
        ("🙄", "emoji_neg"),
        ("makasih 🙏", "terima kasih emoji_pray"),
        ("ok :)", "oke emoji_pos"),
        ("🦒", "emoji_other"),
        ("anjir keren", "wow keren"),
    ],
)
def test_normalize_table(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<script>alert(1)</script>jalan rusak", "alert num jalan rusak"),
        ("<b>jalan</b>&amp;<i>rusak</i>", "jalan rusak"),
        ("ja\u200blan ru\u200dsak\ufeff", "jalan rusak"),
        ("jalan\x00rusak\x1b[31m", "jalan rusak 31m"),
        ("jalan\ud800rusak", "jalanrusak"),
        ("\u202ejalan\u202c rusak", "jalan rusak"),
        ("𝐠𝐨𝐛𝐥𝐨𝐤", "goblok"),
        ("ｊａｌａｎ", "jalan"),
        ("", ""),
        ("   \n\t  ", ""),
        ("!!!???", "!! ?"),
    ],
)
def test_normalize_hostile_input(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_very_long_text_is_truncated_quickly() -> None:
    out = normalize("rusak " * 1_000_000)
    assert 0 < len(out.split()) <= MAX_CHARS // 6 + 1


@pytest.mark.parametrize(
    "raw",
    ["\x00" * 100, "\ud800\udfff", "<" * 5000, "@" * 5000, "#" * 5000, "2" * 10000, "a2" * 3000, "\u0301" * 100,
     "﷽" * 3000, "http://" + "a" * 10000, "😀" * 5000],
)
def test_never_raises(raw: str) -> None:
    assert isinstance(normalize(raw), str)


def test_non_str_is_coerced() -> None:
    assert default_normalizer()(123) == "num"  # type: ignore[arg-type]


def test_raw_tokens_skip_slang_mapping() -> None:
    assert default_normalizer().raw_tokens("gak bgt") == ["gak", "bgt"]


def test_custom_word_map(tmp_path: Path) -> None:
    path = tmp_path / "map.tsv"
    path.write_text("# comment\nxyz\tsatu dua\n\nbroken-line\nXYZ\tlater wins\n", encoding="utf-8")
    mapping = load_word_map(path)
    assert mapping == {"xyz": "later wins"}
    assert Normalizer(mapping)("xyz ok") == "later wins ok"


def test_shipped_lexicon_has_a_few_hundred_entries() -> None:
    assert len(default_normalizer().slang) >= 300
