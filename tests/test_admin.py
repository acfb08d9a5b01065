"""The staff pages and API (`/admin`), in-process: real temp knowledge folder, real SQLite, no Rasa
needed.

Retrain and overview tests are in test_admin_retrain.py; shared fixtures in admin_fixtures.py.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.records import Records
from bot.staff import auth, files
from tests.admin_fixtures import (  # noqa: F401 (fixtures)
    BAD_GUIDE,
    BEARER,
    GOOD_GUIDE,
    ROUTES,
    TOKEN,
    client,
    login,
    settings,
    upload,
)

# --- refused without the token ----------------------------------------------------------------------

def test_every_admin_route_is_covered() -> None:
    paths = {p for _, p in ROUTES}
    assert {"/admin", "/admin/api/status", "/admin/api/retrain", "/admin/api/unanswered.csv",
            "/admin/api/knowledge", "/admin/knowledge/upload"} <= paths and len(ROUTES) >= 18


@pytest.mark.parametrize("method, path", ROUTES)
@pytest.mark.parametrize("credentials", ["none", "wrong-bearer", "forged-cookie", "expired-cookie"])
def test_every_admin_route_refuses_without_the_token(client, settings, method, path, credentials) -> None:
    headers = {"Authorization": "Bearer wrong-token"} if credentials == "wrong-bearer" else {}
    if credentials == "forged-cookie":
        client.cookies.set(auth.COOKIE, auth.new_session_cookie(settings.model_copy(update={"ADMIN_TOKEN": "other"})),
                           path="/admin")
    elif credentials == "expired-cookie":
        client.cookies.set(auth.COOKIE, auth.new_session_cookie(settings, now=time.time() - auth.SESSION_TTL_S - 5),
                           path="/admin")
    r = client.request(method, path, headers=headers, follow_redirects=False)
    if path.startswith("/admin/api"):
        assert r.status_code == 401 and "staff token required" in r.json()["detail"]
    else:
        assert r.status_code == 303 and r.headers["location"].startswith("/admin/login?next=")


@pytest.mark.parametrize("path", ["/admin", "/admin/questions", "/admin/api/status", "/admin/api/unanswered.csv"])
def test_bearer_token_is_accepted(client, path) -> None:
    assert client.get(path, headers=BEARER).status_code == 200


# --- sign-in ------------------------------------------------------------------------------------------

def test_login_sets_a_signed_httponly_strict_cookie_not_the_token(client) -> None:
    assert client.post("/admin/login", data={"token": "nope"}).status_code == 401
    r = client.post("/admin/login", data={"token": TOKEN, "next": "/admin/feedback"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/feedback"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/admin" in cookie
    assert "Secure" not in cookie and TOKEN not in cookie
    assert client.get("/admin", follow_redirects=False).status_code == 200
    logout = client.post("/admin/logout", data={"csrf": login(client)}, follow_redirects=False)
    assert logout.status_code == 303 and 'sme_admin=""' in logout.headers["set-cookie"]


def test_cookie_is_secure_over_https(settings) -> None:
    with TestClient(create_app(settings), base_url="https://staff.example.org") as c:
        r = c.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
    assert "Secure" in r.headers["set-cookie"]


def test_login_refuses_open_redirects_and_rate_limits(client) -> None:
    r = client.post("/admin/login", data={"token": TOKEN, "next": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/admin"
    client.cookies.clear()
    codes = [client.post("/admin/login", data={"token": f"guess-{i}"}).status_code for i in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429


def test_a_wrong_token_flood_is_throttled_but_the_right_token_still_signs_in(client) -> None:
    """Staff behind one proxy share an address: someone's wrong guesses must not lock them out."""
    codes = [client.post("/admin/login", data={"token": f"guess-{i}"}).status_code for i in range(25)]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    assert login(client)  # the right token, from the same address, in the middle of the flood
    assert client.post("/admin/login", data={"token": "guess-again"}).status_code == 429


def test_wrong_bearer_tokens_are_throttled_and_the_right_one_still_works(client) -> None:
    wrong = [client.get("/admin/api/status", headers={"Authorization": f"Bearer guess-{i}"}) for i in range(60)]
    assert [r.status_code for r in wrong[:10]] == [401] * 10
    assert {r.status_code for r in wrong[10:]} == {429} and "too many wrong staff tokens" in wrong[-1].json()["detail"]
    assert wrong[-1].headers["retry-after"] == "300"
    assert client.get("/admin/api/status", headers=BEARER).status_code == 200
    # The form and the header share one count: the next wrong sign-in is throttled too.
    assert client.post("/admin/login", data={"token": "guess"}).status_code == 429


def test_guesses_spread_over_many_addresses_are_throttled_overall(settings) -> None:
    app = create_app(settings)
    codes = []
    for i in range(110):
        with TestClient(app, client=(f"10.0.{i // 250}.{i % 250}", 40000)) as c:
            codes.append(c.get("/admin/api/status", headers={"Authorization": "Bearer guess"}).status_code)
            if i == 109:
                assert c.get("/admin/api/status", headers=BEARER).status_code == 200
    assert codes[:100] == [401] * 100 and set(codes[100:]) == {429}
    assert app.state.token_throttle.tracked == 110


def test_the_throttle_memory_is_bounded() -> None:
    throttle = auth.TokenThrottle(per_client=3, overall=10**9, max_clients=50)
    for i in range(1000):
        for _ in range(10):
            throttle.failed(f"client-{i}")
    assert throttle.tracked == 50 and all(len(t) == 4 for t in throttle._clients.values())
    assert throttle.failed("client-999") and not throttle.failed("client-1000")


def test_logout_revokes_the_session_everywhere(client, settings) -> None:
    csrf = login(client)
    cookie = client.cookies.get(auth.COOKIE)
    assert client.post("/admin/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    # the old cookie, kept by whoever copied it
    client.cookies.set(auth.COOKIE, cookie, path="/admin")
    assert client.get("/admin", follow_redirects=False).status_code == 303
    assert client.get("/admin/api/status").status_code == 401
    # same database
    with TestClient(create_app(settings), cookies={auth.COOKIE: cookie}) as other_gateway:
        other_gateway.cookies.set(auth.COOKIE, cookie, path="/admin")
        assert other_gateway.get("/admin/api/status").status_code == 401
        # the form, not straight on
        assert other_gateway.get("/admin/login", follow_redirects=False).status_code == 200
    # a new session works
    assert login(client) and client.get("/admin/api/status").status_code == 200


def test_cookie_posts_need_the_csrf_token(client, settings) -> None:
    csrf = login(client)
    assert client.post("/admin/api/retrain/status").status_code == 405
    refused = client.post("/admin/api/unanswered/handled", json={"ids": [1]})
    assert refused.status_code == 403 and "reload the page" in refused.json()["detail"]
    assert client.post("/admin/api/unanswered/handled", json={"ids": [1]}, headers={"X-CSRF-Token": "x" * 32}).status_code == 403
    ok = client.post("/admin/api/unanswered/handled", json={"ids": [1]}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200


# --- uploads --------------------------------------------------------------------------------------------

def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name, folder, message", [
    ("../evil.md", "guides", "not a plain file name"),
    ("..\\evil.md", "guides", "not a plain file name"),
    ("/etc/evil.md", "guides", "not a plain file name"),
    ("guides/evil.md", "", "not a plain file name"),
    (".hidden.md", "guides", "hidden file"),
    ("evil.py", "guides", "not a knowledge file"),
    ("evil.md.exe", "guides", "not a knowledge file"),
    ("README.md", "guides", "staff guide"),
    ("notes.csv", "", "only CSV file"),
    ("trainers.csv", "guides", "only CSV file"),
    ("doc.md", "", "choose a folder"),
    ("doc.md", "../..", "not an allowed folder"),
    ("doc.md", "guides/../../x", "not an allowed folder"),
    ("doc.md", "/tmp", "absolute path"),
    ("doc.md", "C:\\temp", "absolute path"),
    ("doc.md", ".git", "not an allowed folder"),
])
def test_unsafe_names_are_refused_and_nothing_is_written(client, settings, name, folder, message) -> None:
    before = _tree(settings.KNOWLEDGE_DIR.parent)
    r = upload(client, name, GOOD_GUIDE.encode(), folder)
    assert r.status_code == 400 and message in r.json()["detail"]
    assert _tree(settings.KNOWLEDGE_DIR.parent) == before


@pytest.mark.parametrize("extra", [10, 3_000_000])  # just over the limit; far over (refused before parsing)
@pytest.mark.parametrize("via", ["bearer", "cookie"])
def test_oversized_upload_is_refused_with_413(client, settings, extra, via) -> None:
    big = (GOOD_GUIDE + "x" * (files.MAX_FILE_BYTES + extra)).encode()
    headers = BEARER if via == "bearer" else {"X-CSRF-Token": login(client)}
    r = upload(client, "big.md", big, headers=headers)
    assert r.status_code == 413 and "at most 1 MB" in r.json()["detail"]
    assert not (settings.KNOWLEDGE_DIR / "guides" / "big.md").exists()


def test_invalid_document_is_refused_naming_file_and_line(client, settings) -> None:
    r = upload(client, "broken.md", BAD_GUIDE.encode())
    assert r.status_code == 422 and "was not saved" in r.json()["detail"]
    assert r.json()["errors"] == [f"knowledge/guides/broken.md:3: unknown programme id 'not-a-programme'. "
                                  f"Fix: use one of: {', '.join(files_ids())}"]
    assert not (settings.KNOWLEDGE_DIR / "guides" / "broken.md").exists()
    dup = upload(client, "siyb-copy.md", (settings.KNOWLEDGE_DIR / "programmes" / "siyb.md").read_bytes(), "programmes")
    assert dup.status_code == 422 and "duplicate programme id 'siyb'" in dup.json()["errors"][0]
    latin1 = upload(client, "latin.md", "---\ntitle: Caf\xe9\n".encode("latin-1"))
    assert latin1.status_code == 422 and "not UTF-8" in latin1.json()["errors"][0]


def files_ids() -> tuple[str, ...]:
    from index.knowledge import PROGRAMME_IDS

    return PROGRAMME_IDS


def test_invalid_trainers_csv_is_refused_naming_row_and_column(client, settings) -> None:
    before = (settings.KNOWLEDGE_DIR / "trainers.csv").read_bytes()
    rows = before.decode().splitlines()
    rows[2] = rows[2].replace(",UG,", ",Uganda,", 1)
    r = upload(client, "trainers.csv", ("\n".join(rows) + "\n").encode(), folder="")
    assert r.status_code == 422
    assert any(e.startswith("knowledge/trainers.csv:3 (column 'country')") for e in r.json()["errors"])
    assert (settings.KNOWLEDGE_DIR / "trainers.csv").read_bytes() == before


def test_valid_upload_is_written_old_version_kept_and_restorable(client, settings) -> None:
    target = settings.KNOWLEDGE_DIR / "guides" / "pricing.md"
    r = upload(client, "pricing.md", GOOD_GUIDE.encode())
    assert r.status_code == 201 and r.json()["saved"] == "knowledge/guides/pricing.md" and not r.json()["replaced"]
    assert target.read_text() == GOOD_GUIDE
    edited = GOOD_GUIDE.replace("before you set a price", "and add a margin for spoilt goods")
    assert upload(client, "pricing.md", edited.encode()).json()["replaced"] is True
    assert target.read_text() == edited
    versions = client.get("/admin/api/knowledge/history", params={"path": "guides/pricing.md"}, headers=BEARER).json()["versions"]
    # newest first: the first upload, then "did not exist"
    assert [v["absent"] for v in versions] == [False, True]

    restored = client.post("/admin/api/knowledge/restore", json={"path": "guides/pricing.md"}, headers=BEARER)
    assert restored.status_code == 200 and target.read_text() == GOOD_GUIDE
    # the restore is itself undoable; the oldest entry takes the file away again
    oldest = client.get("/admin/api/knowledge/history", params={"path": "guides/pricing.md"}, headers=BEARER).json()["versions"][-1]
    client.post("/admin/api/knowledge/restore", json={"path": "guides/pricing.md", "version": oldest["version"]}, headers=BEARER)
    assert not target.exists()
    listed = {f["rel"]: f for f in client.get("/admin/api/knowledge", headers=BEARER).json()["files"]}
    assert listed["guides/pricing.md"]["versions"] == 4 and listed["guides/record-keeping.md"]["versions"] == 0


def test_restore_refuses_unknown_files_and_traversal(client) -> None:
    assert client.post("/admin/api/knowledge/restore", json={"path": "guides/none.md"}, headers=BEARER).status_code == 404
    r = client.post("/admin/api/knowledge/restore", json={"path": "../../etc/passwd.md"}, headers=BEARER)
    assert r.status_code == 400


def test_upload_and_restore_through_the_page_forms(client, settings) -> None:
    csrf = login(client)
    bad = client.post("/admin/knowledge/upload", data={"csrf": csrf, "folder": "guides"},
                      files={"file": ("broken.md", BAD_GUIDE.encode())})
    assert bad.status_code == 422 and "knowledge/guides/broken.md was not saved" in bad.text
    assert "knowledge/guides/broken.md:3: unknown programme id" in bad.text
    no_csrf = client.post("/admin/knowledge/upload", data={"folder": "guides"}, files={"file": ("a.md", GOOD_GUIDE.encode())})
    assert no_csrf.status_code == 403
    ok = client.post("/admin/knowledge/upload", data={"csrf": csrf, "folder": "guides", "new_folder": "guides/finance"},
                     files={"file": ("pricing.md", GOOD_GUIDE.encode())})
    assert ok.status_code == 200 and "Saved knowledge/guides/finance/pricing.md" in ok.text
    assert (settings.KNOWLEDGE_DIR / "guides" / "finance" / "pricing.md").exists()
    page = client.get("/admin/knowledge")
    assert "Restore previous version" in page.text and "default-src 'self'" in page.headers["content-security-policy"]
    restored = client.post("/admin/knowledge/restore", data={"csrf": csrf, "path": "guides/finance/pricing.md"})
    assert restored.status_code == 200 and "Restored" in restored.text
    assert not (settings.KNOWLEDGE_DIR / "guides" / "finance" / "pricing.md").exists()


# --- unanswered questions, feedback -----------------------------------------------------------------------

@pytest.fixture
def records(settings) -> Records:
    records = Records(settings.db_path)
    for question in ["How do I bake bread?", "how to bake bread", "What's the weather in Paris tomorrow?",
                     "weather in paris", "=HYPERLINK(\"http://evil\")"]:
        records.add_unanswered("someone", question, 0.12)
        time.sleep(0.002)
    records.add_feedback("someone", -1, "What is SYB?", "SYB helps people with an idea write a business plan.")
    return records


def test_unanswered_grouped_newest_first_and_csv(client, records) -> None:
    groups = client.get("/admin/api/unanswered", headers=BEARER).json()["groups"]
    assert [g["count"] for g in groups] == [1, 2, 2]
    assert groups[1]["examples"] == ["weather in paris", "What's the weather in Paris tomorrow?"]
    r = client.get("/admin/api/unanswered.csv", headers=BEARER)
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    # no spreadsheet formulas
    assert len(rows) == 5 and rows[0]["question"].startswith("'=HYPERLINK")
    assert {row["group_size"] for row in rows if "bread" in row["question"]} == {"2"}


def test_mark_a_group_handled_from_the_page(client, records) -> None:
    csrf = login(client)
    page = client.get("/admin/questions")
    assert "How do I bake bread?" in page.text or "how to bake bread" in page.text
    bread = next(g for g in client.get("/admin/api/unanswered").json()["groups"] if "bread" in g["question"])
    r = client.post("/admin/questions/handled", data={"csrf": csrf, "ids": ",".join(map(str, bread["ids"]))})
    assert r.status_code == 200 and "Marked 2 question(s) as handled" in r.text
    remaining = client.get("/admin/api/unanswered").json()
    assert remaining["questions"] == 3 and all("bread" not in g["question"] for g in remaining["groups"])
    assert client.get("/admin/api/unanswered", params={"include_handled": True}).json()["questions"] == 5


def test_feedback_shows_the_answer_that_got_it(client, records) -> None:
    login(client)
    page = client.get("/admin/feedback")
    assert "👎" in page.text and "write a business plan" in page.text
    data = client.get("/admin/api/feedback").json()
    assert data["down"] == 1 and data["feedback"][0]["answer"].startswith("SYB helps")
