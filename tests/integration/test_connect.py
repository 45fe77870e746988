"""Connecting accounts through OAuth against loopback fakes of X, Google and the Graph API (the real wire formats):
the service, the CLI and the web pages; state bound to its user and single use; tokens only in the encrypted store;
a not-yet-connected account holds its jobs with a reason until it is connected."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from humas.accounts.connect import SCOPES, ConnectRefused
from humas.accounts.registry import NotConnected
from humas.app import App
from humas.cli.main import main
from humas.errors import PermissionDenied
from humas.publisher.base import Platform
from humas.publisher.x_auth import KEY_REFRESH
from humas.store.models import AccountSecret, AccountState, AuditEntry, JobState, PublicationJob
from humas.testing import FakeClock
from humas.testing_graph import FakeGraphServer
from humas.testing_oauth import FakeGoogleOAuth, FakeXOAuth
from tests.conftest import add_user, approve_all

PAGE, IG_USER, APP_SECRET = "104030201", "17841400000000001", "fake-app-secret-XYZ"
PUBLIC = "http://127.0.0.1:9"  # nothing listens there: the CLI flow never needs the callback to be reachable


@dataclass
class Fakes:
    x: FakeXOAuth
    google: FakeGoogleOAuth
    graph: FakeGraphServer


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with FakeXOAuth() as x, FakeGoogleOAuth() as g, \
            FakeGraphServer(page_id=PAGE, page_token="EAAGpageTOKEN-fake-123", app_secret=APP_SECRET,
                            ig_user_id=IG_USER) as fb:
        assert isinstance(x, FakeXOAuth) and isinstance(g, FakeGoogleOAuth)
        yield Fakes(x, g, fb)


def account_configs(f: Fakes) -> list[dict[str, Any]]:
    meta = {"page_id": PAGE, "app_id": f.graph.app_id, "api_base": f.graph.url,
            "authorize_url": f"{f.graph.url}/v25.0/dialog/oauth"}
    return [
        {"name": "kota-x", "platform": "x", "credentials": {"client_id": "env:T_XID", "client_secret": "env:T_XSEC"},
         "options": {"api_base": f.x.url, "authorize_url": f.x.authorize_url}},
        {"name": "kota-yt", "platform": "youtube",
         "credentials": {"client_id": "env:T_GID", "client_secret": "env:T_GSEC"},
         "options": {"api_base": f.google.url, "authorize_url": f.google.authorize_url}},
        {"name": "kota-fb", "platform": "facebook", "credentials": {"app_secret": "env:T_FBSEC"}, "options": meta},
        {"name": "kota-ig", "platform": "instagram", "credentials": {"app_secret": "env:T_FBSEC"}, "options": meta},
    ]


def set_env(monkeypatch: pytest.MonkeyPatch, f: Fakes) -> None:
    monkeypatch.setenv("T_XID", f.x.client_id)
    monkeypatch.setenv("T_XSEC", str(f.x.client_secret))
    monkeypatch.setenv("T_GID", f.google.client_id)
    monkeypatch.setenv("T_GSEC", str(f.google.client_secret))
    monkeypatch.setenv("T_FBSEC", APP_SECRET)


@pytest.fixture
def conn(make_app: Callable[..., App], db_url: str, fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> App:
    set_env(monkeypatch, fakes)
    app = make_app(db_url, accounts=account_configs(fakes), web={"public_base_url": PUBLIC})
    add_user(app, "admin", "admin")
    add_user(app, "admin2", "admin")
    add_user(app, "ana", "tim_reviu")
    return app


def consent(authorize_url: str) -> str:
    """The browser at the platform's consent screen: the person allows; where the platform sends it back."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


def start(app: App, name: str, user: str = "admin") -> str:
    with app.db.session() as s:
        return app.connector.start(s, app.actor(s, user), name).authorize_url


def actor(app: App, name: str = "admin") -> Any:
    with app.db.read() as s:
        return app.actor(s, name)


def connect(app: App, name: str) -> Any:
    return app.connector.complete(actor(app), consent(start(app, name)), account=name)


@pytest.mark.parametrize("name,identity", [("kota-x", "@humaskota"), ("kota-yt", "Humas Kota"),
                                           ("kota-fb", "Humas Fake"), ("kota-ig", "@humas_fake")])
def test_each_platform_connects_and_its_adapter_uses_the_stored_tokens(conn: App, fakes: Fakes, name: str,
                                                                       identity: str) -> None:
    assert isinstance(conn.adapters.get(name), NotConnected)
    assert not conn.adapters.get(name).check().ok

    done = connect(conn, name)

    assert done.identity == identity and done.missing_scopes == []
    adapter = conn.adapters.get(name)  # rebuilt with the new tokens, no restart
    assert not isinstance(adapter, NotConnected)
    status = adapter.check()
    assert status.ok, status.detail
    with conn.db.read() as s:
        row = next(r for r in conn.connector.status(s) if r["name"] == name)
        raw = [r.value for r in s.execute(select(AccountSecret).where(AccountSecret.account == name)).scalars()]
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "account.connected")).scalar_one()
    assert row["connection"] == "connected" and row["identity"] == identity and row["connected_by"] == "admin"
    assert entry.subject_id == name and entry.data["identity"] == identity
    issued = [*fakes.x.refresh_tokens, *fakes.google.refresh_tokens, *fakes.x.access_tokens,
              fakes.graph.page_token]
    assert raw and not any(t in v for t in issued for v in raw)  # only ciphertext in the table


def test_no_token_or_secret_reaches_the_log(conn: App, fakes: Fakes, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        for name in ("kota-x", "kota-yt", "kota-fb", "kota-ig"):
            done = connect(conn, name)
            assert conn.adapters.get(name).check().ok
            logging.getLogger("humas").debug("connected %r %r", done, conn.adapters.get(name))
    secrets = [*fakes.x.access_tokens, *fakes.x.refresh_tokens, *fakes.google.access_tokens,
               *fakes.google.refresh_tokens, *fakes.graph.user_tokens, fakes.graph.page_token, APP_SECRET,
               str(fakes.x.client_secret), str(fakes.google.client_secret)]
    assert len(secrets) > 8 and "urllib3" in caplog.text  # the HTTP calls were logged, at DEBUG
    leaked = [t[:12] for t in secrets if t in caplog.text]
    assert leaked == []


def test_pkce_and_the_offline_flags_are_sent(conn: App, fakes: Fakes) -> None:
    x = parse_qs(urlsplit(start(conn, "kota-x")).query)
    assert x["code_challenge_method"] == ["S256"] and len(x["code_challenge"][0]) == 43
    assert set(x["scope"][0].split()) == set(SCOPES[Platform.X]) and x["redirect_uri"] == [
        f"{PUBLIC}/admin/akun/callback"]
    google = parse_qs(urlsplit(start(conn, "kota-yt")).query)
    assert google["access_type"] == ["offline"] and google["code_challenge_method"] == ["S256"]
    fb = parse_qs(urlsplit(start(conn, "kota-fb")).query)
    assert fb["client_id"] == [fakes.graph.app_id] and "code_challenge" not in fb


def test_facebook_exchanges_for_a_long_lived_token_and_keeps_only_the_page_token(conn: App, fakes: Fakes) -> None:
    connect(conn, "kota-fb")
    exchanges = [c for c in fakes.graph.calls if c.path == "oauth/access_token"]
    assert [c.params.get("grant_type") for c in exchanges] == ["authorization_code", "fb_exchange_token"]
    assert all(c.params["client_secret"] == APP_SECRET and c.method == "POST" for c in exchanges)
    assert [c.path for c in fakes.graph.calls if c.path.startswith("me")] == ["me/permissions", "me/accounts"]
    assert all(not c.token_in_query for c in fakes.graph.calls if c.path.startswith("me"))
    assert conn.secret_store.get("kota-fb", "page_token") == fakes.graph.page_token
    with conn.db.read() as s:
        keys = set(s.execute(select(AccountSecret.key).where(AccountSecret.account == "kota-fb")).scalars())
    assert keys == {"page_token", "connected"}  # the user tokens are not kept


def test_x_rotates_the_refresh_token_after_connecting(conn: App, fakes: Fakes) -> None:
    connect(conn, "kota-x")
    first = conn.secret_store.get("kota-x", KEY_REFRESH)
    assert first in fakes.x.refresh_tokens
    fakes.x.expire_access_tokens()
    assert conn.adapters.get("kota-x").check().ok  # 401, refresh with the stored token, retry
    second = conn.secret_store.get("kota-x", KEY_REFRESH)
    assert second != first and second in fakes.x.refresh_tokens and first not in fakes.x.refresh_tokens
    refreshes = [c for c in fakes.x.calls if c.path == "/2/oauth2/token" and c.params["grant_type"] == "refresh_token"]
    assert len(refreshes) == 1 and refreshes[0].basic_client == fakes.x.client_id


def test_youtube_refreshes_through_google_auth_with_the_connected_token(conn: App, fakes: Fakes) -> None:
    connect(conn, "kota-yt")
    assert conn.adapters.get("kota-yt").check().ok
    refreshes = [c for c in fakes.google.calls if c.path == "/token" and c.params["grant_type"] == "refresh_token"]
    assert len(refreshes) == 1 and refreshes[0].params["refresh_token"] in fakes.google.refresh_tokens


def test_a_missing_scope_is_named_in_indonesian(conn: App, fakes: Fakes) -> None:
    fakes.x.granted_scopes = [s for s in SCOPES[Platform.X] if s != "media.write"]
    done = connect(conn, "kota-x")
    assert done.missing_scopes == ["media.write"]
    with conn.db.read() as s:
        row = next(r for r in conn.connector.status(s) if r["name"] == "kota-x")
    assert row["missing_scopes"] == ["media.write"]
    assert "Izin belum diberikan: media.write" in row["missing_message"]


def test_state_is_single_use_bound_to_its_user_and_expires(conn: App, clock: FakeClock) -> None:
    landed = consent(start(conn, "kota-x"))
    with pytest.raises(ConnectRefused, match="another user") as foreign:
        conn.connector.complete(actor(conn, "admin2"), landed)
    assert "pengguna lain" in foreign.value.indonesian
    with pytest.raises(ConnectRefused, match="for account kota-x, not kota-fb"):
        conn.connector.complete(actor(conn), landed, account="kota-fb")
    conn.connector.complete(actor(conn), landed, account="kota-x")
    with pytest.raises(ConnectRefused, match="already used"):
        conn.connector.complete(actor(conn), landed, account="kota-x")
    tampered = landed.replace("state=", "state=x")
    with pytest.raises(ConnectRefused, match="unknown state"):
        conn.connector.complete(actor(conn), tampered)
    late = consent(start(conn, "kota-yt"))
    clock.advance(timedelta(minutes=21))
    with pytest.raises(ConnectRefused, match="expired"):
        conn.connector.complete(actor(conn), late)


def test_a_failed_exchange_still_uses_up_the_state(conn: App, fakes: Fakes) -> None:
    landed = consent(start(conn, "kota-x"))
    fakes.x.fail_next_token(400, "invalid_request", "Value passed for the authorization code was invalid.")
    with pytest.raises(ConnectRefused, match="invalid_request"):
        conn.connector.complete(actor(conn), landed)
    with pytest.raises(ConnectRefused, match="already used"):
        conn.connector.complete(actor(conn), landed)
    assert isinstance(conn.adapters.get("kota-x"), NotConnected)


def test_only_admins_start_and_the_person_may_refuse(conn: App, fakes: Fakes) -> None:
    with pytest.raises(PermissionDenied):
        start(conn, "kota-x", user="ana")
    fakes.graph.deny_next()
    with pytest.raises(ConnectRefused, match="did not grant access") as refused:
        conn.connector.complete(actor(conn), consent(start(conn, "kota-fb")))
    assert "tidak memberi izin" in refused.value.indonesian


def test_an_instagram_page_without_a_professional_account_is_refused(conn: App, fakes: Fakes) -> None:
    fakes.graph.ig_user_id = None
    with pytest.raises(ConnectRefused, match="no linked Instagram") as refused:
        connect(conn, "kota-ig")
    assert "Instagram profesional" in refused.value.indonesian


def test_disconnect_forgets_the_tokens(conn: App) -> None:
    connect(conn, "kota-fb")
    with conn.db.session() as s:
        assert conn.connector.disconnect(s, conn.actor(s, "admin"), "kota-fb") == 2
    assert isinstance(conn.adapters.get("kota-fb"), NotConnected)
    with conn.db.read() as s:
        row = next(r for r in conn.connector.status(s) if r["name"] == "kota-fb")
        actions = set(s.execute(select(AuditEntry.action)).scalars())
    assert row["connection"] == "not_connected" and "account.disconnected" in actions


def _approved(app: App, accounts: list[str], caption: str) -> int:
    with app.db.session() as s:
        wf = app.workflow(s)
        a = app.actor(s, "ana2")
        c = wf.create(a, sop_id="mojokerto-acc", title="Info", text="Narasi", caption=caption, accounts=accounts)
        wf.submit(a, c.id)
        approve_all(app, s, c.id)
        return c.id


def test_a_not_connected_account_holds_its_jobs_until_it_is_connected(conn: App, fakes: Fakes) -> None:
    from humas.queue import service

    add_user(conn, "ana2", "tim_konten_kreatif", "tim_reviu", "tim_editor", "redaktur", "pimpinan_redaktur",
             "penanggung_jawab", "tim_sosial_media")
    cid = _approved(conn, ["kota-fb"], "Jadwal pelayanan KTP keliling pekan ini")
    with conn.db.session() as s:
        [job] = service.schedule(conn.env, s, conn.actor(s, "ana2"), cid, service.parse_when(conn.env, "now"),
                                 None, platform_check=conn.platform_check)
        jid = job.id
    conn.dispatcher("w1").run_due()
    with conn.db.read() as s:
        state = s.get(AccountState, "kota-fb")
        held = s.get(PublicationJob, jid)
        assert state is not None and held is not None
        assert state.status == "paused" and "belum terhubung" in state.paused_reason
        assert held.state == JobState.RETRY_WAIT and held.attempts == 0

    connect(conn, "kota-fb")  # resumes the account
    conn.dispatcher("w1").run_due()

    with conn.db.read() as s:
        done = s.get(PublicationJob, jid)
        assert done is not None and done.state == JobState.PUBLISHED
    assert [p.message for p in fakes.graph.posts.values()] == ["Jadwal pelayanan KTP keliling pekan ini"]


# --- the CLI ------------------------------------------------------------------------------------------------------


def write_config(tmp_path: Path, f: Fakes) -> Path:
    lines = [f'data_dir = "{tmp_path / "data"}"', "[web]", f'public_base_url = "{PUBLIC}"']
    for acc in account_configs(f):
        lines += ["[[accounts]]", f'name = "{acc["name"]}"', f'platform = "{acc["platform"]}"',
                  "credentials = { " + ", ".join(f'{k} = "{v}"' for k, v in acc["credentials"].items()) + " }",
                  "options = { " + ", ".join(f'{k} = "{v}"' for k, v in acc["options"].items()) + " }"]
    path = tmp_path / "humas.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def cli(tmp_path: Path, fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str, str]]:
    set_env(monkeypatch, fakes)
    monkeypatch.setenv("HUMAS_CONFIG", str(write_config(tmp_path, fakes)))
    for var in ("HUMAS_DATABASE_URL", "HUMAS_DATA_DIR", "HUMAS_USER"):
        monkeypatch.delenv(var, raising=False)

    def run(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            main(list(argv))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_cli_connects_with_the_redirected_url_and_refuses_a_reused_one(
        cli: Callable[..., tuple[int, str, str]], capsys: pytest.CaptureFixture[str], fakes: Fakes) -> None:
    assert cli("init", capsys=capsys)[0] == 0  # an account not yet connected does not stop init
    assert cli("user", "add", "admin", "--role", "admin", capsys=capsys)[0] == 0
    code, out, _ = cli("accounts", "connections", capsys=capsys)
    assert code == 0 and "kota-fb" in out and "belum terhubung" in out

    code, out, _ = cli("accounts", "connect", "kota-fb", "--json", "--as", "admin", capsys=capsys)
    started = json.loads(out)
    assert code == 0 and out.count("\n") == 1 and started["authorize_url"].startswith(fakes.graph.url)
    landed = consent(started["authorize_url"])

    code, out, err = cli("accounts", "connect", "kota-fb", "--redirected-url", landed, "--as", "admin", "--json",
                         capsys=capsys)
    assert code == 0, err
    assert json.loads(out)["identity"] == "Humas Fake"

    code, out, err = cli("accounts", "connect", "kota-fb", "--redirected-url", landed, "--as", "admin",
                         capsys=capsys)
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and "already used" in err

    code, out, err = cli("accounts", "connect", "kota-fb", "--redirected-url", f"{PUBLIC}/admin/akun/callback?"
                         "state=forged&code=abc", "--as", "admin", capsys=capsys)
    assert code != 0 and err.count("\n") == 1 and "unknown state" in err

    code, out, _ = cli("accounts", "check", "kota-fb", capsys=capsys)
    assert code == 0 and "Halaman Humas Fake" in out
    code, out, _ = cli("accounts", "disconnect", "kota-fb", "--as", "admin", capsys=capsys)
    assert code == 0 and "disconnected" in out
    code, out, _ = cli("accounts", "check", "kota-fb", capsys=capsys)
    assert code == 1 and "belum terhubung" in out


# --- the web pages ------------------------------------------------------------------------------------------------


@pytest.fixture
def web(make_app: Callable[..., App], fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> Any:
    from tests.integration.test_web_helpers import build

    set_env(monkeypatch, fakes)
    app = make_app(accounts=account_configs(fakes), web={"public_base_url": "http://testserver"})
    add_user(app, "admin", "admin")
    add_user(app, "admin2", "admin")
    add_user(app, "ana", "tim_reviu")
    return build(app)


def test_an_admin_connects_an_account_from_the_page(web: Any, fakes: Fakes) -> None:
    admin = web.client("admin")
    page = admin.get("/admin/akun")
    assert page.status_code == 200 and "Belum terhubung" in page.text and "http://testserver/admin/akun/callback" \
        in page.text
    # the form's answer sends the browser to the consent pages: CSP allows exactly those origins as form targets
    form_action = page.headers["content-security-policy"].split("form-action", 1)[1].split(";")[0].split()
    assert sorted(form_action) == sorted(["'self'", fakes.google.url, fakes.graph.url, fakes.x.url])
    assert "form-action 'self';" in admin.get("/admin").headers["content-security-policy"]  # other pages unchanged
    started = admin.post("/admin/akun/kota-yt/hubungkan")
    assert started.status_code == 303 and started.headers["location"].startswith(fakes.google.authorize_url)
    back = urlsplit(consent(started.headers["location"]))
    assert back.path == "/admin/akun/callback"
    done = admin.get(f"{back.path}?{back.query}")
    assert done.status_code == 303 and done.headers["location"] == "/admin/akun"
    page = admin.get("/admin/akun")
    assert "Akun kota-yt terhubung sebagai Humas Kota." in page.text
    assert 'data-connection="connected"' in page.text and "Hubungkan ulang" in page.text

    again = admin.get(f"{back.path}?{back.query}", follow_redirects=True)  # the same redirect replayed
    assert "sudah pernah dipakai" in again.text

    assert admin.post("/admin/akun/kota-yt/putuskan").status_code == 303
    assert "Akun kota-yt diputuskan" in admin.get("/admin/akun").text


def test_the_callback_refuses_a_flow_started_by_someone_else(web: Any, fakes: Fakes) -> None:
    started = web.client("admin").post("/admin/akun/kota-x/hubungkan")
    back = urlsplit(consent(started.headers["location"]))
    other = web.client("admin2").get(f"{back.path}?{back.query}", follow_redirects=True)
    assert "dimulai oleh pengguna lain" in other.text
    assert web.app.secret_store.get("kota-x", KEY_REFRESH) is None


def test_a_missing_scope_is_shown_on_the_page(web: Any, fakes: Fakes) -> None:
    fakes.graph.granted_scopes = ["pages_show_list", "pages_read_engagement", "pages_manage_posts"]
    admin = web.client("admin")
    back = urlsplit(consent(admin.post("/admin/akun/kota-fb/hubungkan").headers["location"]))
    admin.get(f"{back.path}?{back.query}")
    page = admin.get("/admin/akun").text
    assert "Izin belum diberikan: pages_read_user_content, pages_manage_engagement" in page


def test_only_admins_reach_the_accounts_page(web: Any) -> None:
    ana = web.client("ana")
    assert ana.get("/admin/akun").status_code == 403
    assert ana.post("/admin/akun/kota-x/hubungkan").status_code == 403
    assert ana.post("/admin/akun/kota-x/putuskan").status_code == 403
