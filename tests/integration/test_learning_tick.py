"""The daemon's nightly learning tick where the training data is missing: one warning line, no traceback, nothing
deployed, and the daemon's other work goes on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from humas.app import App
from humas.classify.learning import learned_root
from humas.daemon.timers import retrain_tick
from humas.store.models import LabelFeedback, User
from tests.conftest import MOJOKERTO_TEAM, add_user
from tests.integration.test_web_helpers import published_comment


def test_missing_training_data_is_one_warning_and_nothing_deployed(make_app: Callable[..., App], db_url: str,
                                                                    tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    missing = tmp_path / "no-such-data"
    app = make_app(db_url, sentiment={"training_data": str(missing), "min_feedback": 1})
    for name, roles in MOJOKERTO_TEAM.items():
        add_user(app, name, *roles)
    comment_id, _case = published_comment(app, "Pelayanannya mantul", label="neutral", case=False)
    with app.db.session() as s:
        redaktur = s.execute(select(User.id).where(User.name == "redaktur")).scalar_one()
        s.add(LabelFeedback(comment_id=comment_id, text="Pelayanannya mantul", label="positive", user_id=redaktur))
    with caplog.at_level(logging.INFO, logger="humas"):
        retrain_tick(app)
    said = [r for r in caplog.records if r.name.startswith("humas") and "learning" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING and said[0].exc_info is None
    assert said[0].getMessage().startswith("learning: not retrained: ") and "\n" not in said[0].getMessage()
    assert not list(learned_root(Path(app.settings.data_dir)).glob("model-*"))
