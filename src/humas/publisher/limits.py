"""Each platform's limits as data (platform-apis.md §5). Adapters expose them as ``limits``; the sandbox borrows
the limits of the platform it imitates."""

from __future__ import annotations

from humas.publisher.base import Platform, PlatformLimits

MiB = 1024 * 1024

LIMITS: dict[Platform, PlatformLimits] = {
    # 280 weighted characters (URL 23, emoji and CJK 2); at most 4 photos or 1 video (§1.3, §1.5)
    Platform.X: PlatformLimits(
        text_max=280,
        text_counter="x-weighted",
        media_max=4,
        image_types=("image/jpeg", "image/png", "image/gif", "image/webp"),
        image_bytes_max=5 * MiB,
        reply_max=280,
    ),
    # 63,206 characters per Page post; photos JPEG/PNG/GIF/WebP up to 10 MB (§2.1, §5)
    Platform.FACEBOOK: PlatformLimits(
        text_max=63_206,
        media_max=10,
        image_bytes_max=10 * MiB,
        reply_max=8_000,
    ),
    # JPEG only, 4:5 to 1.91:1, 8 MiB, 2,200 characters, 5 hashtags since Dec 2025, 20 mentions, media required (§3.1)
    Platform.INSTAGRAM: PlatformLimits(
        text_max=2_200,
        hashtags_max=5,
        mentions_max=20,
        media_required=True,
        media_max=10,
        image_types=("image/jpeg",),
        video_types=("video/mp4", "video/quicktime"),
        image_bytes_max=8 * MiB,
        aspect_min=4 / 5,
        aspect_max=1.91,
        image_width_min=320,
        reply_max=2_200,
    ),
    # title 100, description 5,000 UTF-8 bytes, no < or >, a video required (§4, §5)
    Platform.YOUTUBE: PlatformLimits(
        text_max=5_000,
        text_counter="utf8-bytes",
        title_max=100,
        forbidden_chars="<>",
        video_required=True,
        media_max=1,
        image_types=(),
        reply_max=10_000,
    ),
    # the office website: no practical text or title limit; photos and videos go to the media library; a comment
    # is at most 65,525 bytes (counted here as characters, 4 bytes each at worst) (§8)
    Platform.WORDPRESS: PlatformLimits(
        image_types=("image/jpeg", "image/png", "image/gif", "image/webp"),
        video_types=("video/mp4", "video/quicktime", "video/webm"),
        reply_max=16_000,
    ),
}
LIMITS[Platform.INSTAGRAM_PRIVATE] = LIMITS[Platform.INSTAGRAM]
