"""How much humas accepts: the length of every text a person types and the size of every upload, one table for
the CLI, the web pages and the API alike.

Texts are counted in characters. The limits are generous for an office's work and far below what would slow a
page or fill the register: the longest caption a platform publishes is Facebook's 63,206 characters; Instagram
takes 2,200, X 280 (25,000 for premium accounts), YouTube 5,000 in a description. Each platform's own limit is
checked at submit (``PlatformLimits``); these limits hold before that, for every field.
"""

from __future__ import annotations

from humas.errors import NotMedia, TooLarge, TooLong

#: field -> (most characters, Indonesian name)
TEXT: dict[str, tuple[int, str]] = {
    "title": (300, "Judul"),
    "text": (20_000, "Narasi"),
    "caption": (10_000, "Caption"),
    "platform_caption": (10_000, "Caption per platform"),
    "activity": (2_000, "Informasi kegiatan"),
    "location": (300, "Lokasi kegiatan"),
    "note": (2_000, "Catatan"),
    "reply": (10_000, "Jawaban"),
    "reason": (2_000, "Alasan"),
    "display_name": (200, "Nama tampilan"),
}

MiB = 1024 * 1024
#: media kind -> most bytes of one file (no platform takes a larger photo; YouTube takes larger videos than this,
#: but an office's upload through the web goes through this server's disk)
MEDIA_BYTES = {"image": 30 * MiB, "video": 1024 * MiB}
#: a request body that is not a file upload (JSON, a form without files)
BODY_BYTES = 1 * MiB


def check_text(field: str, value: str | None) -> None:
    """``TooLong`` (rule ``limit.<field>``) when ``value`` is longer than the field takes."""
    if value is None:
        return
    most, name = TEXT[field]
    if len(value) > most:
        raise TooLong(f"{field.replace('_', ' ')} too long: {len(value):,} characters, at most {most:,} "
                      f"(rule limit.{field})", rule=f"limit.{field}",
                      indonesian=f"{name} terlalu panjang: {len(value):,} karakter, paling banyak {most:,} "
                                 f"(aturan limit.{field})")


def check_texts(**fields: str | None) -> None:
    """:func:`check_text` for each ``field=value``."""
    for field, value in fields.items():
        check_text(field, value)


def media_kind(mime: str) -> str:
    """``image`` or ``video``; ``NotMedia`` for any other file (rule ``limit.media_type``)."""
    kind = mime.split("/", 1)[0]
    if kind not in MEDIA_BYTES:
        raise NotMedia(f"only photos and videos can be attached, not {mime} (rule limit.media_type)",
                       rule="limit.media_type",
                       indonesian=f"hanya foto dan video yang dapat dilampirkan, bukan {mime} "
                                  "(aturan limit.media_type)")
    return kind


def check_media_size(kind: str, size: int, name: str) -> None:
    most = MEDIA_BYTES[kind]
    if size > most:
        raise TooLarge(f"{name}: {size / MiB:,.1f} MiB; a {kind} may have at most {most // MiB:,} MiB "
                       f"(rule limit.{kind}_size)", rule=f"limit.{kind}_size",
                       indonesian=f"{name}: {size / MiB:,.1f} MiB; {'foto' if kind == 'image' else 'video'} "
                                  f"paling besar {most // MiB:,} MiB (aturan limit.{kind}_size)")
