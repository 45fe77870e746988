"""Label corrections as training data for ``humas sentiment train --include-feedback``."""

from __future__ import annotations

from sqlalchemy import select

from humas.app import App
from humas.store.models import LabelFeedback


def feedback_rows(app: App) -> list[tuple[str, str]]:
    """(text, label) of every corrected comment, the latest correction of each comment only, oldest first."""
    with app.db.session() as s:
        rows = s.execute(
            select(LabelFeedback.comment_id, LabelFeedback.text, LabelFeedback.label).order_by(LabelFeedback.id)
        ).all()
    latest: dict[int, tuple[str, str]] = {}
    for comment_id, text, label in rows:
        latest.pop(comment_id, None)  # re-insert: a later correction moves to the end
        latest[comment_id] = (text, label)
    return list(latest.values())


def load_feedback(app: App | None = None) -> list[tuple[str, str]]:
    """The corrections in the database of the configured installation (``HUMAS_CONFIG`` / ``humas.toml`` /
    ``HUMAS_DATABASE_URL``), or of ``app`` when given."""
    if app is not None:
        return feedback_rows(app)
    from humas.config import load_settings

    own = App(load_settings())
    try:
        own.ensure_schema()
        return feedback_rows(own)
    finally:
        own.db.dispose()
