"""Notifications: targets by role, apprise delivery captured locally, failures contained, secrets masked."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC
from typing import Any

import apprise
import pytest

from humas.config import Settings, parse_settings
from humas.escalation.notices import case_opened
from humas.escalation.triage import OpenedCase
from humas.notify import RoleNotifier, mask
from humas.sop.registry import load_sops
from humas.workflow.notices import step_pending

CAPTURED: list[dict[str, str]] = []
TOKEN = "123456789:AAHsecretTOKENvalue0123456789abcdef"


@apprise.decorators.notify(on="humasunit")  # type: ignore[untyped-decorator,no-untyped-call]
def _capture(body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
    CAPTURED.append({"to": str(meta.get("host", "")), "title": title, "body": body})
    return True


URLS = {f"HUMAS_TEST_URL_{n.upper()}": f"humasunit://{n}"
        for n in ("admin", "r", "redaktur", "reviu", "sosmed", "wakil")}


@pytest.fixture(autouse=True)
def _clear(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, url in URLS.items():  # notification URLs come from the environment, as in an office's config
        monkeypatch.setenv(name, url)
    CAPTURED.clear()


def make(notify: dict[str, Any], **kw: Any) -> Settings:
    return parse_settings({"data_dir": "/nonexistent-humas-test", "notify": notify, **kw}, "test")


class Recorder:
    def __init__(self, result: bool | Exception = True) -> None:
        self.sent: list[tuple[list[str], str, str]] = []
        self.result = result

    def __call__(self, urls: Sequence[str], title: str, body: str) -> bool:
        self.sent.append((list(urls), title, body))
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def Notifier(settings: Settings, sender: Recorder | None = None) -> RoleNotifier:
    return RoleNotifier(settings.notify, sender)


def test_role_targets_through_apprise() -> None:
    app = make({"targets": [{"role": "redaktur", "urls": ["env:HUMAS_TEST_URL_REDAKTUR", "env:HUMAS_TEST_URL_WAKIL"]},
                            {"role": "tim_sosial_media", "urls": ["env:HUMAS_TEST_URL_SOSMED"]}],
                "admins": ["env:HUMAS_TEST_URL_ADMIN"]})
    n = Notifier(app)
    assert n.notify_role("redaktur", "Judul", "Isi pesan")
    assert sorted(m["to"] for m in CAPTURED) == ["redaktur", "wakil"]
    assert n.notify_admins("A", "B") and CAPTURED[-1]["to"] == "admin"
    assert not n.notify_role("penanggung_jawab", "x", "y")  # nobody configured: nothing sent, no error


def test_disabled_notifications_send_nothing() -> None:
    rec = Recorder()
    n = Notifier(make({"enabled": False, "admins": ["env:HUMAS_TEST_URL_ADMIN"]}), sender=rec)
    assert not n.notify_admins("x", "y") and rec.sent == []


def test_failures_never_reach_the_caller_and_logs_hide_secrets(monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("HUMAS_TEST_TG", f"tgram://{TOKEN}/12345")
    app = make({"admins": ["env:HUMAS_TEST_TG", "env:HUMAS_TEST_MISSING"]})
    caplog.set_level(logging.DEBUG)
    boom = Recorder(RuntimeError(f"connection to tgram://{TOKEN}/12345 refused"))
    assert not Notifier(app, sender=boom).notify_admins("x", "y")
    assert boom.sent == [([f"tgram://{TOKEN}/12345"], "x", "y")]  # the secret is revealed only to the sender
    assert not Notifier(app, sender=Recorder(False)).notify_admins("x", "y")
    logs = caplog.text
    assert "HUMAS_TEST_MISSING" in logs and "RuntimeError" in logs and "delivery to admins failed" in logs
    assert TOKEN not in logs and "AAHsecret" not in logs


def test_mask_hides_credentials() -> None:
    assert TOKEN not in mask(f"tgram://{TOKEN}/12345")
    assert "hunter2" not in mask("mailto://user:hunter2@example.com")
    assert mask("nonsense-without-scheme") == "?://****"
    assert mask("unknownscheme://secret@host") == "unknownscheme://****"


def test_new_case_message_is_indonesian_and_goes_to_the_escalation_role() -> None:
    rec = Recorder()
    app = make({"targets": [{"role": "redaktur", "urls": ["env:HUMAS_TEST_URL_R"]}]})
    oc = OpenedCase(7, 12, "sandbox-facebook", "123_456", "https://sandbox.humas.local/p/1", "negative", "redaktur",
                    "Pelayanan <b>buruk</b>   sekali", "warga", False)
    assert case_opened(Notifier(app, sender=rec), load_sops(), oc, auto_hide=False)
    [(_urls, title, body)] = rec.sent
    assert title == "Kasus baru #7: komentar negatif di sandbox-facebook"
    assert "Pelayanan <b>buruk</b> sekali" in body and "humas cases draft 7" in body and "Redaktur" in body


def test_step_pending_tells_the_steps_role() -> None:
    rec = Recorder()
    app = make({"targets": [{"role": "tim_reviu", "urls": ["env:HUMAS_TEST_URL_REVIU"]}]})
    sops = load_sops()
    assert step_pending(Notifier(app, sender=rec), sops, UTC, 3, "reviu", title="Pencegahan korupsi",
                        sop_id="mojokerto-acc")
    [(_, title, body)] = rec.sent
    assert title == "Menunggu Tim Reviu: konten #3"
    assert "Pencegahan korupsi" in body and "15m" in body and "humas content show 3" in body
    assert not step_pending(Notifier(app, sender=rec), sops, UTC, 3, "no_such_step", title="x",
                            sop_id="mojokerto-acc")
