"""``/metrics``: the database's state in Prometheus's format, read at scrape time; who may read it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from humas.app import App
from humas.config import parse_settings
from humas.store.models import AccountState, Case, Comment, Post, PublicationJob, StepPeriod
from humas.testing import FakeClock
from humas.web.app import create_app

#: nothing listens on port 1: the connection is refused at once
REFUSED = "postgresql+psycopg://humas@127.0.0.1:1/humas"

LOCAL = ("127.0.0.1", 40000)
TOKEN = "metrics-token-5f1c2e0a9b"


def scrape(app: App, *, client: tuple[str, int] = LOCAL, **kwargs: Any) -> dict[tuple[str, tuple[tuple[str, str],
                                                                                                 ...]], float]:
    """Every sample of one scrape from loopback, keyed by name and sorted labels."""
    r = TestClient(create_app(app, first_admin=False, **kwargs), client=client).get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=")
    out = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def fill(app: App, clock: FakeClock) -> None:
    now = clock()

    def job(key: str, state: str, run_at: timedelta, published: timedelta | None = None,
            kind: str = "post") -> PublicationJob:
        return PublicationJob(kind=kind, dedupe_key=key, account="sandbox-x", platform="sandbox", state=state,
                              run_at=now + run_at, published_at=None if published is None else now + published)

    with app.db.session() as s:
        first = job("a", "published", -timedelta(hours=2), -timedelta(hours=2) + timedelta(seconds=3))
        s.add_all([
            first,
            job("b", "published", -timedelta(hours=1), -timedelta(hours=1) + timedelta(seconds=40)),
            job("c", "published", -timedelta(days=2), -timedelta(days=2) - timedelta(seconds=1000)
                + timedelta(seconds=2000)),  # outside the lateness window
            job("d", "scheduled", -timedelta(minutes=10)),  # due, waiting 600 s
            job("e", "scheduled", timedelta(hours=1)),
            job("f", "failed", -timedelta(hours=3), kind="reply"),
            AccountState(name="sandbox-x", platform="sandbox", status="paused", paused_at=now),
            AccountState(name="sandbox-youtube", platform="sandbox", status="active"),
        ])
        s.flush()
        post = Post(job_id=first.id, account="sandbox-x", platform="sandbox", remote_id="p1", published_at=now)
        s.add(post)
        s.flush()

        def comment(rid: str, label: str | None, tier: str | None, own: bool = False) -> Comment:
            return Comment(post_id=post.id, platform="sandbox", account="sandbox-x", remote_id=rid, text="teks",
                           created_at=now, label=label, tier=tier, is_own=own,
                           classified_at=now if label else None)

        angry = comment("c1", "negative", "case")
        s.add_all([angry, comment("c2", "positive", None), comment("c3", "positive", "review"),
                   comment("c4", None, None), comment("c5", None, None, own=True)])
        s.flush()
        case = Case(comment_id=angry.id, reason="negative", sop_id="mojokerto-response", opened_at=now)
        s.add(case)
        s.flush()

        def period(subject: str, due: timedelta, done: bool = False) -> StepPeriod:
            return StepPeriod(subject_type=subject, subject_id=case.id, sop_id="x", step_id="s", role="redaktur",
                              entered_at=now - timedelta(hours=5), due_at=now + due,
                              completed_at=now if done else None)

        s.add_all([period("case", -timedelta(hours=1)), period("content", timedelta(hours=1)),
                   period("content", -timedelta(hours=1), done=True)])


def test_metrics_read_the_database(app: App, clock: FakeClock) -> None:
    fill(app, clock)
    m = scrape(app)
    assert m[("humas_database_up", ())] == 1
    jobs = {k[1]: v for k, v in m.items() if k[0] == "humas_publication_jobs"}
    assert jobs == {(("kind", "post"), ("state", "published")): 3, (("kind", "post"), ("state", "scheduled")): 2,
                    (("kind", "reply"), ("state", "failed")): 1}
    assert m[("humas_publication_jobs_due", ())] == 1
    assert m[("humas_publication_oldest_due_seconds", ())] == 600
    # two jobs published in the last 24 h, 3 s and 40 s late; the one from two days ago is left out
    post = (("kind", "post"),)
    assert m[("humas_publish_lateness_seconds_count", post)] == 2
    assert m[("humas_publish_lateness_seconds_sum", post)] == 43
    assert m[("humas_publish_lateness_seconds_bucket", (("kind", "post"), ("le", "2.0")))] == 0
    assert m[("humas_publish_lateness_seconds_bucket", (("kind", "post"), ("le", "5.0")))] == 1
    assert m[("humas_publish_lateness_seconds_bucket", (("kind", "post"), ("le", "30.0")))] == 1
    assert m[("humas_publish_lateness_seconds_bucket", (("kind", "post"), ("le", "60.0")))] == 2
    assert m[("humas_publish_lateness_seconds_bucket", (("kind", "post"), ("le", "+Inf")))] == 2
    assert m[("humas_cases", (("status", "open"),))] == 1
    assert m[("humas_sla_open_steps", (("overdue", "true"), ("subject", "case")))] == 1
    assert m[("humas_sla_open_steps", (("overdue", "false"), ("subject", "case")))] == 0
    assert m[("humas_sla_open_steps", (("overdue", "false"), ("subject", "content")))] == 1
    assert m[("humas_sla_open_steps", (("overdue", "true"), ("subject", "content")))] == 0
    paused = {dict(k[1])["account"]: v for k, v in m.items() if k[0] == "humas_account_paused"}
    assert paused == {"sandbox-instagram": 0, "sandbox-facebook": 0, "sandbox-youtube": 0, "sandbox-x": 1}
    comments = {k[1]: v for k, v in m.items() if k[0] == "humas_comments"}
    assert comments == {(("label", "negative"),): 1, (("label", "positive"),): 2}
    assert m[("humas_comments_unclassified", ())] == 1  # our own reply is never classified: not waiting
    assert m[("humas_comments_to_review", ())] == 1
    assert m[("humas_info", (("version", "0.1.0"),))] == 1
    assert not any(k[0].startswith("humas_scheduler") for k in m)  # `humas web` alone has no timers

    clock.now += timedelta(days=1)  # read at scrape time: the next scrape sees the clock and the rows move
    m = scrape(app)
    assert m[("humas_publication_jobs_due", ())] == 2
    assert ("humas_publish_lateness_seconds_count", post) not in m
    assert m[("humas_sla_open_steps", (("overdue", "true"), ("subject", "content")))] == 1


def test_scheduler_heartbeat(app: App, clock: FakeClock) -> None:
    last = (clock() - timedelta(seconds=90)).isoformat(timespec="seconds")
    m = scrape(app, heartbeat=lambda: {"ok": False, "last_tick": last})
    assert m[("humas_scheduler_healthy", ())] == 0
    assert m[("humas_scheduler_last_tick_age_seconds", ())] == 90
    m = scrape(app, heartbeat=lambda: {"ok": True, "last_tick": clock().isoformat()})
    assert m[("humas_scheduler_healthy", ())] == 1


def test_a_database_that_does_not_answer_is_a_value(tmp_path: Path, clock: FakeClock) -> None:
    app = App(parse_settings({"data_dir": str(tmp_path / "data"), "database_url": REFUSED}, "test"), clock=clock)
    try:
        m = scrape(app)
    finally:
        app.db.dispose()
    assert m[("humas_database_up", ())] == 0
    assert not any(k[0] == "humas_publication_jobs" for k in m)


def test_without_a_token_only_loopback(app: App) -> None:
    api = create_app(app, first_admin=False)
    for peer in (("192.0.2.7", 5000), ("testclient", 5000)):
        r = TestClient(api, client=peer).get("/metrics")
        assert r.status_code == 403 and set(r.json()) == {"error"}
    assert TestClient(api, client=("::1", 5000)).get("/metrics").status_code == 200
    assert "/metrics" not in api.openapi()["paths"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_with_a_token_a_bearer_from_anywhere(make_app: Callable[..., App], db_url: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(db_url, web={"metrics_token": "env:HUMAS_TEST_METRICS_TOKEN"})
    api = create_app(app, first_admin=False)
    remote = TestClient(api, client=("192.0.2.7", 5000))
    r = remote.get("/metrics")  # the variable is not set: nobody, and the log says why
    assert r.status_code == 503 and "HUMAS_TEST_METRICS_TOKEN" not in r.text
    monkeypatch.setenv("HUMAS_TEST_METRICS_TOKEN", TOKEN)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        r = remote.get("/metrics", headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer" and TOKEN not in r.text
    local = TestClient(api, client=LOCAL)
    assert local.get("/metrics").status_code == 401  # a token, once set, is asked of everyone
    r = remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and "humas_database_up 1.0" in r.text and TOKEN not in r.text
    assert TOKEN not in repr(app.settings)  # the variable's name shows, its value never
