"""The register under attack by someone who can change only the database: truncation, a wipe and a recomputed
chain are all found by ``humas audit verify`` (the chain, the signed checkpoint outside the database, the facts)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from humas.app import App
from humas.store import audit
from humas.store.models import AuditEntry
from tests.conftest import pg_schema
from tests.integration.test_workflow import act, new


def approved_content(app: App) -> int:
    cid = new(app)
    act(app, "kreatif", "submit", cid)
    act(app, "reviu", "approve", cid, "oke")
    act(app, "editor", "approve", cid, "oke")
    return cid


def head_seq(app: App) -> int:
    with app.db.session() as s:
        return audit.head(s)[0]


def test_an_untouched_register_is_intact_and_anchored_at_its_head(team: App) -> None:
    approved_content(team)
    r = team.verify_register()
    assert r.ok, r.findings
    assert r.anchored is not None and r.anchored.seq == r.head_seq == head_seq(team) > 0


def test_deleting_the_newest_entries_is_found(team: App) -> None:
    approved_content(team)
    top = head_seq(team)
    with team.db.session() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.seq > top - 2))
    r = team.verify_register()
    assert not r.ok and r.first_bad_seq is None  # what is left is a perfect chain
    assert f"ends at entry {top - 2} but was anchored at entry {top}" in r.reason


def test_a_wiped_register_is_found_by_the_checkpoint_and_by_the_facts(team: App) -> None:
    cid = approved_content(team)
    with team.db.session() as s:
        s.execute(delete(AuditEntry))
    r = team.verify_register()
    assert r.checked == 0 and not r.ok
    assert any("ends at entry 0" in f for f in r.findings)
    assert any(f"content {cid} exists but its creation is not in the register" in f for f in r.findings)
    assert any(f"content {cid} has recorded approved decisions missing" in f for f in r.findings)
    team.anchor.path.unlink()  # even without the checkpoint the facts give it away
    r = team.verify_register()
    assert not r.ok and len(r.findings) == 2


def test_an_edited_entry_with_every_later_hash_recomputed_is_found(team: App) -> None:
    approved_content(team)
    with team.db.session() as s:
        entries = list(s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
        approval = next(e for e in entries if e.action == "content.approved")
        approval.note = "disetujui tanpa catatan"  # the forger's version
        prev = approval.prev_hash
        for e in entries[entries.index(approval):]:  # a perfect chain again
            e.prev_hash = prev
            e.hash = audit.entry_hash(prev, e)
            prev = e.hash
    with team.db.session() as s:
        assert audit.verify(s).ok  # the chain alone is fooled
    r = team.verify_register()
    assert not r.ok and "was rewritten" in r.reason


def test_a_forged_checkpoint_is_refused(team: App) -> None:
    approved_content(team)
    data = json.loads(team.anchor.path.read_text())
    data["seq"] -= 1  # to hide the newest entry, the forger would have to re-sign: the key is not in the database
    team.anchor.path.write_text(json.dumps(data))
    r = team.verify_register()
    assert not r.ok and "signature" in r.reason


def test_the_checkpoint_only_moves_forward(team: App) -> None:
    approved_content(team)
    top = head_seq(team)
    with team.db.session() as s:
        first = s.execute(select(AuditEntry).where(AuditEntry.seq == 1)).scalar_one()
        team.anchor.advance(1, first.hash)  # a slower process with an older head
    assert team.anchor.load().seq == top  # type: ignore[union-attr]


def test_a_rolled_back_change_leaves_no_checkpoint_behind(team: App) -> None:
    approved_content(team)
    top = head_seq(team)
    try:
        with team.db.session() as s:
            audit.append(s, actor="t", action="never.happened", at=team.clock())
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    with team.db.session() as s:  # a savepoint's entry that was rolled back before the commit
        nested = s.begin_nested()
        audit.append(s, actor="t", action="never.either", at=team.clock())
        nested.rollback()
        s.execute(update(AuditEntry).where(AuditEntry.seq == 0).values(note=""))  # the transaction commits
    assert team.anchor.load().seq == top  # type: ignore[union-attr]
    assert team.verify_register().ok


def test_the_cli_names_every_finding_and_exits_4(team: App) -> None:
    from humas.cli.audit import audit_app
    from humas.cli.common import CliState

    approved_content(team)
    state = CliState(None)
    state._app = team
    runner = CliRunner()
    ok = runner.invoke(audit_app, ["verify"], obj=state)
    assert ok.exit_code == 0 and "intact" in ok.output and "anchored at entry" in ok.output
    with team.db.session() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.seq > 3))
    bad = runner.invoke(audit_app, ["verify", "--json"], obj=state)
    assert bad.exit_code == 4
    body = json.loads(bad.output)
    assert body["ok"] is False and body["head_seq"] == 3 and body["findings"]


def test_appends_wait_for_each_other_within_an_installation_and_not_across_schemas(
        make_app: Callable[..., App]) -> None:
    with pg_schema() as mine, pg_schema() as other:
        ours, theirs = make_app(mine), make_app(other)
        try:
            with ours.db.session() as holding:
                audit.append(holding, actor="t", action="a.holding")  # the chain lock, held until this commits
                with theirs.db.session() as s:  # another office's register in the same database
                    s.execute(text("SET LOCAL lock_timeout = '5s'"))
                    audit.append(s, actor="t", action="a.other")
                with pytest.raises(OperationalError, match="lock timeout"), ours.db.session() as s:
                    s.execute(text("SET LOCAL lock_timeout = '200ms'"))
                    audit.append(s, actor="t", action="a.waits")
            for app in (ours, theirs):
                with app.db.session() as s:
                    assert audit.verify(s).ok and audit.head(s)[0] == 1
        finally:
            ours.db.dispose()
            theirs.db.dispose()
