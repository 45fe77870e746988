"""schemathesis 4 against the real app, on a seeded database: every operation of ``/openapi.json``, the examples,
coverage, fuzzing and stateful phases, as an admin and as Tim Konten Kreatif (a low-privilege role).

Every default check runs (no 5xx, only documented status codes, bodies and headers as the schema says, anonymous
requests refused, negative data refused, ``Allow`` on 405) except ``positive_data_acceptance``: a body the schema
allows may still break an SOP rule (409, 400, 422), as it should. A guard around the app checks that no failing
write changed anything (the register's head and the row counts stay put).

Bounded: a fixed seed, ``MAX_EXAMPLES`` per operation, ``MAX_STEPS`` per stateful scenario. The admin gets every
phase; Tim Konten Kreatif, whose writes are mostly refused, the fuzzing and stateful phases only. It runs on SQLite:
the API layer does not know the database, and ``tests/api/test_contract.py`` runs every operation on both (the
whole run on PostgreSQL took 84 s against 58 s on SQLite, two cores, both users with every phase).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis.engine import Status, events, from_schema
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from humas.app import App
from humas.store import audit
from humas.store.models import AuditEntry, Case, Comment, Content, MediaBlob, PublicationJob
from tests.api.helpers import seed

SEED = 13
MAX_EXAMPLES = 5
MAX_STEPS = 10


def fingerprint(app: App) -> tuple[int, ...]:
    """What a write changes: the register's head (every change is registered) and the rows it may add."""
    with app.db.read() as s:
        head = s.execute(select(func.coalesce(func.max(AuditEntry.seq), 0))).scalar_one()
        counts = [s.execute(select(func.count()).select_from(m)).scalar_one()
                  for m in (Content, PublicationJob, Case, MediaBlob)]
        reviewed = s.execute(select(func.count()).select_from(Comment)
                             .where(Comment.reviewed_at.is_not(None))).scalar_one()
        return (head, *counts, reviewed)


class FailedWritesChangeNothing:
    """ASGI wrapper: a write answered 4xx or 5xx must leave :func:`fingerprint` as it was."""

    def __init__(self, inner: ASGIApp, app: App) -> None:
        self.inner, self.app, self.violations = inner, app, list[str]()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.inner(scope, receive, send)
            return
        before = fingerprint(self.app)
        status = 0

        async def seen(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.inner(scope, receive, seen)
        if status >= 400 and fingerprint(self.app) != before:
            self.violations.append(f"{scope['method']} {scope['path']} answered {status} but changed data")


def fuzz(api: Any, token: str, seed_value: int, *, coverage: bool = True) -> tuple[list[str], dict[str, int]]:
    """Run the phases; the failed checks (one line each) and the requests made per phase."""
    config = schemathesis.Config.from_dict({
        "seed": seed_value,
        "headers": {"Authorization": f"Bearer {token}"},
        "generation": {"max-examples": MAX_EXAMPLES},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": coverage}, "fuzzing": {"enabled": True},
                   "stateful": {"enabled": True, "max-steps": MAX_STEPS}},
        "checks": {"positive_data_acceptance": {"enabled": False}},
    })
    schema = schemathesis.openapi.from_asgi("/openapi.json", api, config=config)
    failures: list[str] = []
    requests: dict[str, int] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            phase = str(event.phase)
            requests[phase] = requests.get(phase, 0) + len(event.recorder.interactions)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE:
                        case = event.recorder.cases[case_id].value
                        title = check.failure_info.failure.title if check.failure_info else ""
                        failures.append(f"{phase} {event.recorder.label}: {check.name} ({title}): "
                                        f"{case.as_curl_command()}")
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"schemathesis error: {event}")
        elif isinstance(event, events.PhaseFinished) and event.status == Status.ERROR:
            failures.append(f"phase {event.phase.name} errored")
    return failures, requests


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_fuzzer_finds_nothing(team: App) -> None:
    seeded = seed(team)
    api = seeded.env.api
    guard = FailedWritesChangeNothing(api.build_middleware_stack(), team)
    api.middleware_stack = guard  # the app as it runs, wrapped; FastAPI builds it once, on the first request
    ops = sum(len(v) for v in api.openapi()["paths"].values())
    found: list[str] = []
    for n, user in enumerate(("admin", "kreatif")):
        coverage = user == "admin"
        failures, requests = fuzz(api, seeded.env.token(user), SEED + n, coverage=coverage)
        print(f"{user}: {sum(requests.values())} requests over {ops} operations, per phase {requests}")
        assert requests.get("stateful", 0) > 0 and requests.get("fuzzing", 0) > ops, requests
        assert not coverage or requests.get("coverage", 0) > ops, requests
        found += [f"{user}: {f}" for f in failures]
    found += guard.violations
    assert not found, "\n".join(sorted(set(found))[:40])
    with team.db.read() as s:
        assert audit.verify(s).ok
