"""Triage tiers end to end: the review list ("Perlu ditinjau") and the questions list, through the service, the
CLI, the API and the page, on a real database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from humas.app import App
from humas.cli.common import CliState
from humas.cli.review import review_app
from humas.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from humas.escalation.review import pending, pending_count
from humas.publisher.sandbox import SandboxPlatform
from humas.store.models import AuditEntry, Case, Comment, LabelFeedback
from tests.conftest import MOJOKERTO_TEAM, add_user
from tests.integration.test_escalation import monitor, publish
from tests.integration.test_web_helpers import build

UNSURE = "Pelayanannya lumayan lah"
QUESTION_UNSURE = "hmm jadwalnya kapan ya?"
NEGATIVE = "Pelayanan buruk sekali, saya kecewa!"
QUESTION = "Kapan pendaftaran dibuka min?"
PRAISE = "Mantap, terima kasih infonya"


@pytest.fixture
def rapp(make_app: Callable[..., App], db_url: str) -> App:
    app = make_app(db_url, monitor={"sandbox_simulation": False})
    for name, roles in MOJOKERTO_TEAM.items():
        add_user(app, name, *roles)
    return app


def seed(app: App, *texts: str) -> dict[str, int]:
    """Publish a post, let the public write ``texts`` under it, run the comment cycle; text -> comment id."""
    remote_id, _ = publish(app)
    sandbox = SandboxPlatform(app.settings.sandbox_db)
    for text in texts:
        sandbox.add_comment(remote_id, text, author="warga")
    monitor(app).run_once()
    with app.db.session() as s:
        return {c.text: c.id for c in s.execute(select(Comment).where(Comment.text.in_(texts))).scalars()}


def snapshot(app: App) -> tuple[int, int, int, list[tuple[int, str | None, str | None]]]:
    with app.db.session() as s:
        return (s.execute(select(func.count()).select_from(Case)).scalar_one(),
                s.execute(select(func.count()).select_from(LabelFeedback)).scalar_one(),
                s.execute(select(func.count()).select_from(AuditEntry)).scalar_one(),
                [(c.id, c.label, c.review_outcome) for c in s.execute(select(Comment).order_by(Comment.id)).scalars()])


def test_each_comment_lands_in_one_tier(rapp: App) -> None:
    ids = seed(rapp, UNSURE, NEGATIVE, QUESTION, PRAISE)
    with rapp.db.session() as s:
        tiers = {c.text: c.tier for c in s.execute(select(Comment)).scalars()}
        cases = {case.comment_id for case in s.execute(select(Case)).scalars()}
        assert [c.id for c in pending(s)] == [ids[UNSURE]] and pending_count(s) == 1
    assert tiers == {UNSURE: "review", NEGATIVE: "case", QUESTION: "question", PRAISE: "none"}
    assert cases == {ids[NEGATIVE]}  # only the sure negative opens a case by itself
    assert "Perlu ditinjau Redaktur: 1 komentar; pertanyaan belum dijawab: 1" in rapp.daily_recap()


def test_confirm_opens_a_case_and_teaches_the_model(rapp: App) -> None:
    ids = seed(rapp, UNSURE, "yah begitulah pelayanannya")
    with rapp.db.session() as s:
        result = rapp.review(s).confirm(rapp.actor(s, "redaktur"), list(ids.values()))
    assert result.outcome == "confirmed" and sorted(result.comments) == sorted(ids.values())
    with rapp.db.session() as s:
        cases = list(s.execute(select(Case)).scalars())
        assert sorted(c.comment_id for c in cases) == sorted(ids.values())
        assert {c.reason for c in cases} == {"negative"}
        feedback = list(s.execute(select(LabelFeedback)).scalars())
        assert {(f.comment_id, f.old_label, f.label) for f in feedback} == {(i, "neutral", "negative")
                                                                           for i in ids.values()}
        comment = s.get(Comment, ids[UNSURE])
        assert comment is not None and comment.review_outcome == "confirmed" and comment.label == "negative"
        assert comment.reviewed_by_id is not None and comment.triaged_at is not None
        actions = [a for (a,) in s.execute(select(AuditEntry.action).order_by(AuditEntry.seq))]
        assert actions.count("comment.review_confirmed") == 2 and actions.count("case.opened") == 2
        assert pending_count(s) == 0
    with rapp.db.session() as s, pytest.raises(InvalidTransition, match="not on the review list"):
        rapp.review(s).confirm(rapp.actor(s, "redaktur"), [ids[UNSURE]])  # decided once
    assert rapp.verify_register().first_bad_seq is None  # (the test posts were seeded without the register)


def test_dismiss_relabels_and_sends_questions_to_the_response_role(rapp: App) -> None:
    ids = seed(rapp, UNSURE, QUESTION_UNSURE)
    with rapp.db.session() as s:
        result = rapp.review(s).dismiss(rapp.actor(s, "redaktur"), [ids[UNSURE], ids[QUESTION_UNSURE]])
    assert result.questions == [ids[QUESTION_UNSURE]]
    with rapp.db.session() as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == 0
        rows = {c.id: c for c in s.execute(select(Comment)).scalars()}
        assert rows[ids[UNSURE]].label == "neutral" and rows[ids[UNSURE]].review_outcome == "dismissed"
        assert rows[ids[QUESTION_UNSURE]].tier == "question"
    # the response role can now answer the question directly (SOP step 12)
    with rapp.db.session() as s:
        case = rapp.cases(s).reply_direct(rapp.actor(s, "sosmed"), ids[QUESTION_UNSURE], "Jadwal ada di web kami.")
        assert case.reason == "direct"


def test_decisions_are_all_or_nothing_and_only_for_the_escalation_role(rapp: App) -> None:
    ids = seed(rapp, UNSURE, NEGATIVE)
    before = snapshot(rapp)
    attempts: list[tuple[str, list[int], type[Exception]]] = [
        ("sosmed", [ids[UNSURE]], PermissionDenied),  # the response role may not decide
        ("redaktur", [ids[UNSURE], ids[NEGATIVE]], InvalidTransition),  # the second is not on the list
        ("redaktur", [ids[UNSURE], 999_999], NotFound),
        ("redaktur", [], InvalidInput),
        ("redaktur", list(range(1, 300)), InvalidInput),
    ]
    for user, chosen, error in attempts:
        with rapp.db.session() as s, pytest.raises(error):
            rapp.review(s).confirm(rapp.actor(s, user), chosen)
    with rapp.db.session() as s, pytest.raises(InvalidInput):
        rapp.review(s).dismiss(rapp.actor(s, "redaktur"), [ids[UNSURE]], "negative")
    assert snapshot(rapp) == before
    # an undecided comment cannot be answered around the Redaktur
    with rapp.db.session() as s, pytest.raises(InvalidTransition, match="review list"):
        rapp.cases(s).reply_direct(rapp.actor(s, "sosmed"), ids[UNSURE], "Terima kasih masukannya")


def test_review_from_the_cli(rapp: App, tmp_path: Path) -> None:
    ids = seed(rapp, UNSURE, "yah begitulah")
    config = tmp_path / "humas.toml"
    config.write_text(f'data_dir = "{rapp.settings.data_dir}"\ndatabase_url = "{rapp.settings.database_url}"\n'
                      "[monitor]\nsandbox_simulation = false\n", encoding="utf-8")
    cmd = typer.Typer()

    @cmd.callback()
    def _root(ctx: typer.Context, config: Path = typer.Option(..., "--config")) -> None:
        ctx.obj = CliState(config)

    cmd.add_typer(review_app, name="review")

    def run(*args: str) -> Any:
        return CliRunner().invoke(cmd, ["--config", str(config), "review", *args], env={"COLUMNS": "250"})

    out = run("list", "--json")
    assert out.exit_code == 0 and json.loads(out.stdout)["total"] == 2
    assert "lumayan" in run("list").stdout
    assert isinstance(run("confirm", str(ids[UNSURE]), "--as", "sosmed").exception, PermissionDenied)
    out = run("confirm", str(ids[UNSURE]), "--as", "redaktur")
    assert out.exit_code == 0 and "confirmed 1" in out.stdout, out.output
    out = run("dismiss", str(ids["yah begitulah"]), "--label", "positive", "--as", "redaktur")
    assert out.exit_code == 0 and "dismissed 1" in out.stdout, out.output
    with rapp.db.session() as s:
        assert s.get(Comment, ids["yah begitulah"]).label == "positive"  # type: ignore[union-attr]
        assert pending_count(s) == 0
    assert "nothing to review" in run("list").stdout


def test_review_through_the_api_and_the_page(rapp: App) -> None:
    ids = seed(rapp, UNSURE, "yah begitulah", QUESTION)
    web = build(rapp)
    api = TestClient(web.api, headers={"Authorization": f"Bearer {web.token('redaktur')}"})
    listed = api.get("/api/v1/review").json()
    assert listed["total"] == 2 and {c["id"] for c in listed["comments"]} == {ids[UNSURE], ids["yah begitulah"]}
    questions = api.get("/api/v1/comments", params={"state": "question"}).json()
    assert [c["id"] for c in questions] == [ids[QUESTION]] and questions[0]["tier"] == "question"
    assert api.get("/api/v1/comments", params={"state": "bogus"}).status_code == 400
    r = api.post("/api/v1/review/confirm", json={"comment_ids": [ids[UNSURE]]})
    assert r.status_code == 200 and r.json()["cases"], r.text
    assert api.post("/api/v1/review/confirm", json={"comment_ids": [ids[UNSURE]]}).status_code == 409
    assert api.post("/api/v1/review/dismiss", json={"comment_ids": []}).status_code in (400, 422)
    sosmed = TestClient(web.api, headers={"Authorization": f"Bearer {web.token('sosmed')}"})
    assert sosmed.post("/api/v1/review/dismiss", json={"comment_ids": [ids["yah begitulah"]]}).status_code == 403

    page = web.client("redaktur")
    html = page.get("/ditinjau").text
    assert "Perlu ditinjau" in html and "yah begitulah" in html and UNSURE not in html
    # the list shows P(negative), not the classifier's top label (a "Negatif" badge beside 20% misleads)
    assert 'class="badge l-' not in html and "%</td>" in html
    assert page.post("/ditinjau", {"action": "confirm"}).status_code == 400  # nothing ticked: said on the page
    r = page.post("/ditinjau", {"one": f"dismiss:{ids['yah begitulah']}"})
    assert r.status_code == 303, r.text
    assert "Tidak ada." in page.get("/ditinjau").text
    with rapp.db.session() as s:
        assert s.get(Comment, ids["yah begitulah"]).review_outcome == "dismissed"  # type: ignore[union-attr]
