"""The platforms humas publishes to: a low module, so settings and storage can name a platform without the
publisher package."""

from __future__ import annotations

import enum


class Platform(enum.StrEnum):
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    INSTAGRAM_PRIVATE = "instagram-private"
    YOUTUBE = "youtube"
    WORDPRESS = "wordpress"  # the office website (WordPress REST API)
    SANDBOX = "sandbox"
