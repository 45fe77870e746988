"""Previews per target platform on the content page: the first photo, the caption cut where that platform's feed
cuts it ("… selengkapnya"), hashtags, mentions and links marked, the limit counter; hostile text stays text."""

from __future__ import annotations

import pytest

from humas.app import App
from humas.web.views import Preview, caption_segments
from tests.integration.test_web_helpers import WebEnv, build, jpeg


@pytest.fixture
def env(team: App) -> WebEnv:
    return build(team)


def test_caption_segments_and_folds() -> None:
    assert caption_segments("Ayo #CegahKorupsi bersama @inspektorat di https://a.id/x!") == [
        ("Ayo ", ""), ("#CegahKorupsi", "tag"), (" bersama ", ""), ("@inspektorat", "mention"), (" di ", ""),
        ("https://a.id/x!", "url")]
    long = "a" * 200
    ig = Preview("ig", "IG", "instagram", long, 200, 2200, "chars")
    assert "".join(p for p, _ in ig.visible) == "a" * 125 and "".join(p for p, _ in ig.rest) == "a" * 75
    x = Preview("x", "X", "x", long, 200, 280, "x-weighted")
    assert x.rest == [] and "".join(p for p, _ in x.visible) == long
    assert Preview("f", "F", "facebook", "#satu #dua kata", 14, None, "chars").hashtags == ["#satu", "#dua"]


def test_the_content_page_shows_each_platform_as_its_feed_would(env: WebEnv) -> None:
    caption = ("Inspektorat Kabupaten Mojokerto membuka layanan pengaduan masyarakat setiap hari kerja. " * 3 +
               "#AntiKorupsi @inspektorat <script>alert(1)</script>")
    c = env.client("kreatif")
    r = c.post("/konten/baru", data={"sop": "mojokerto-acc", "title": "Layanan pengaduan", "text": "Narasi.",
                                     "caption": caption, "accounts": ["sandbox-instagram", "sandbox-x"]},
               files={"media": ("foto.jpg", jpeg(), "image/jpeg")})
    assert r.status_code == 303, r.text[:300]
    page = c.get(r.headers["location"]).text
    ig = page.split('data-account="sandbox-instagram"', 1)[1].split("</article>", 1)[0]
    assert "selengkapnya" in ig and '<img src="/media/' in ig  # cut at 125 characters, with the first photo
    assert '<span class="tag">#AntiKorupsi</span>' in ig and '<span class="mention">@inspektorat</span>' in ig
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in ig
    x = page.split('data-account="sandbox-x"', 1)[1].split("</article>", 1)[0]
    assert 'class="counter over"' in x  # longer than X's 280
    assert "selengkapnya" not in x  # X shows the whole post
