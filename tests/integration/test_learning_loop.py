"""The learning loop as an office lives it: the Redaktur corrects comments with a new slang word, the nightly
retrain deploys a model that does not lose on the validation sets, and the running classifier picks it up, so the
next such comment reaches a person. Real training on a fast slice of the shipped data."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from humas.app import App
from humas.classify.learning import deployed_dir, learned_root
from humas.publisher.sandbox import SandboxPlatform
from humas.sentiment.base import Thresholds
from humas.sentiment.train import TrainConfig, train, with_overrides
from humas.store.models import AuditEntry, Comment
from humas.testing import FakeClock
from tests.conftest import MOJOKERTO_TEAM, add_user, sentiment_data
from tests.integration.test_escalation import publish
from tests.integration.test_sentiment_learning import FEEDBACK, HELD_OUT

CONFIG = with_overrides(TrainConfig(), max_features={"word": 8000, "char": 12000})


@pytest.fixture(scope="module")
def slice_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """gov_comments and NusaX whole, the first 2,500 SmSA train rows, IndoLEM valid only: trains in seconds."""
    src = sentiment_data()
    root = tmp_path_factory.mktemp("loop") / "data"
    for folder in ("gov_comments", "nusax_id", "indolem_sentiment", "smsa"):
        (root / folder).mkdir(parents=True)
        for path in src.glob(f"{folder}/*.?sv"):
            if folder == "smsa" and path.stem == "train":
                lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
                (root / folder / path.name).write_text("".join(lines[:2500]), encoding="utf-8")
            elif not (folder == "indolem_sentiment" and path.stem == "train"):
                (root / folder / path.name).write_bytes(path.read_bytes())
    return root


@pytest.fixture(scope="module")
def base_model(slice_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("base-model")
    train([slice_dir], out, config=CONFIG, thresholds=Thresholds(case=0.55, review=0.12, question=0.5))
    return out


def comment_tiers(app: App, texts: list[str]) -> dict[str, tuple[str | None, str | None]]:
    remote_id, _ = publish(app, f"Pengumuman: {texts[0]}")
    sandbox = SandboxPlatform(app.settings.sandbox_db)
    for text in texts:
        sandbox.add_comment(remote_id, text, author="warga")
    app.comment_cycle("test").run_once()
    with app.db.session() as s:
        return {c.text: (c.tier, c.label)
                for c in s.execute(select(Comment).where(Comment.text.in_(texts))).scalars()}


def test_corrections_retrain_deploy_and_reach_the_running_classifier(
        make_app: Callable[..., App], db_url: str, slice_dir: Path, base_model: Path, clock: FakeClock) -> None:
    app = make_app(db_url, monitor={"sandbox_simulation": False},
                   sentiment={"training_data": str(slice_dir), "min_feedback": 10})
    for name, roles in MOJOKERTO_TEAM.items():
        add_user(app, name, *roles)
    # an earlier deployment: the slice's model serves
    root = learned_root(app.settings.data_dir)
    (root / "model-20261101T000000Z").mkdir(parents=True)
    for f in base_model.iterdir():
        (root / "model-20261101T000000Z" / f.name).write_bytes(f.read_bytes())
    (root / "deployed.json").write_text(json.dumps({"dir": "model-20261101T000000Z"}), encoding="utf-8")
    assert app.classifier is not None and app.model_slot.model_dir == root / "model-20261101T000000Z"

    before = app.classifier.classify(HELD_OUT)
    # the new word means nothing to the model yet: no case, not one labelled negative
    assert not [p for p in before if p.tier == "case" or p.label == "negative"], before
    texts = [text for text, _ in FEEDBACK]
    comment_tiers(app, texts)
    assert app.learning().run().outcome == "skipped"  # no corrections yet
    with app.db.session() as s:
        redaktur = app.actor(s, "redaktur")
        for c in s.execute(select(Comment).where(Comment.text.in_(texts))).scalars():
            app.cases(s).relabel_comment(redaktur, c.id, "negative")

    report = app.learning().run()
    assert report.outcome == "deployed", report.reason
    new_dir = deployed_dir(app.settings.data_dir)
    assert new_dir is not None and new_dir.name != "model-20261101T000000Z" and (new_dir / "gate.json").is_file()
    with app.db.session() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "sentiment.model_deployed")).scalar_one()
        assert entry.subject_id == new_dir.name and "gov_comments" in entry.data["scores"]

    clock.advance(minutes=10)  # the account's next poll
    after = comment_tiers(app, HELD_OUT)  # the running app reloaded the deployed model by itself
    assert app.model_slot.model_dir == new_dir, after
    assert all(tier in ("case", "review") and label == "negative" for tier, label in after.values()), after
    assert app.learning().run().outcome == "skipped"  # nothing new since the last attempt
