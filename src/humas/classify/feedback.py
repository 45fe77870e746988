"""Label corrections as training data for ``humas sentiment train --include-feedback``."""

from __future__ import annotations

from sqlalchemy import select

from humas.store.engine import Database
from humas.store.models import LabelFeedback


def feedback_rows(db: Database) -> list[tuple[str, str]]:
    """(text, label) of every corrected comment, the latest correction of each comment only, oldest first."""
    with db.session() as s:
        rows = s.execute(
            select(LabelFeedback.comment_id, LabelFeedback.text, LabelFeedback.label).order_by(LabelFeedback.id)
        ).all()
    latest: dict[int, tuple[str, str]] = {}
    for comment_id, text, label in rows:
        latest.pop(comment_id, None)  # re-insert: a later correction moves to the end
        latest[comment_id] = (text, label)
    return list(latest.values())
