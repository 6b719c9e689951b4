"""The LLM provider against a real local HTTP server speaking the chat-completions API.

The product code makes real HTTP requests; the server only plays scripted replies and records what it received.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import target_cli_args
from voyager_tui.cli.main import cli
from voyager_tui.engine.ai.ai_config import API_KEY_ENV, NOT_CONFIGURED, configure_ai, load_llm_provider
from voyager_tui.engine.ai.llm import MAX_RESPONSE_BYTES, LlmProvider, check_no_row_data
from voyager_tui.engine.ai.models import Problem
from voyager_tui.engine.config import load_config
from voyager_tui.engine.connections import ConnectionParams, connect_pg
from voyager_tui.engine.errors import VoyagerError
from voyager_tui.engine.paths import AppPaths
from voyager_tui.engine.schema import catalog
from voyager_tui.engine.secrets import DbRole

KEY = "sk-test-secret-0123456789"
MODEL = "test-model-7b"

PROBLEM = Problem(
    object_type="INDEX", object_name="public.idx_events_at", issue_type="UNSUPPORTED_BRIN_INDEX_METHOD",
    original_sql="CREATE INDEX idx_events_at ON public.events USING brin (created_at);",
    error='ERROR: index method "brin" not supported yet',
)
GOOD = {"suggested_sql": "CREATE INDEX idx_events_at ON public.events (created_at ASC);",
        "reason": "BRIN does not exist in YugabyteDB; a range-sharded index serves range scans.",
        "caveats": ["The index is larger than the BRIN index was."]}


@dataclass
class Reply:
    status: int = 200
    content: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    hold: bool = False
    """Do not answer until the test releases the server (to make the client time out)."""
    body: bytes | None = None
    """Send these bytes instead of a chat completion."""
    length: int | None = None
    """Announce this Content-Length instead of the body's, then close (a response cut short)."""
    drip_s: float = 0
    """Send the body one byte at a time, this long apart."""


@dataclass
class Received:
    headers: dict[str, str]
    body: dict[str, Any]


class ChatServer:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.received: list[Received] = []
        self.release = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                owner.received.append(Received(dict(self.headers.items()), json.loads(raw)))
                reply = owner.replies.pop(0) if owner.replies else Reply(500, "no reply scripted")
                if reply.hold:
                    owner.release.wait(30)
                    return
                if reply.status == 200:
                    payload = json.dumps({"id": "c1", "object": "chat.completion", "model": MODEL, "choices": [
                        {"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": reply.content}}]}).encode()
                else:
                    payload = json.dumps({"error": {"message": reply.content}}).encode()
                payload = payload if reply.body is None else reply.body
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload) if reply.length is None else reply.length))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                if not reply.drip_s:
                    self.wfile.write(payload)
                    return
                for byte in payload:
                    if owner.release.wait(reply.drip_s):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a held reply's client has gone away: writing to it fails, which is expected

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def provider(self, *, timeout_s: float = 5, max_retries: int = 3, waits: list[float] | None = None,
                 deadline_s: float = 60) -> LlmProvider:
        sleep = waits.append if waits is not None else _no_sleep
        return LlmProvider(self.url, MODEL, KEY, timeout_s=timeout_s, max_retries=max_retries, sleep=sleep,
                           deadline_s=deadline_s)


def _no_sleep(_: float) -> None:
    raise AssertionError("unexpected retry wait")


@contextmanager
def running_server() -> Iterator[ChatServer]:
    srv = ChatServer()
    thread = threading.Thread(target=srv.httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.release.set()
        srv.httpd.shutdown()
        srv.httpd.server_close()
        thread.join(5)


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with running_server() as srv:
        yield srv


def test_good_answer_becomes_a_suggestion(server: ChatServer) -> None:
    server.replies = [Reply(content=json.dumps(GOOD))]
    s = server.provider().suggest(PROBLEM)
    assert s is not None
    assert (s.provider, s.model) == ("llm", MODEL)
    assert s.suggested_sql == GOOD["suggested_sql"]
    assert s.reason == GOOD["reason"] and s.caveats == GOOD["caveats"]
    assert (s.object_name, s.issue_type, s.original_sql) == (PROBLEM.object_name, PROBLEM.issue_type,
                                                              PROBLEM.original_sql)
    assert len(server.received) == 1
    assert server.received[0].headers["Authorization"] == f"Bearer {KEY}"


def test_no_key_sends_no_authorization(server: ChatServer) -> None:
    server.replies = [Reply(content=json.dumps(GOOD))]
    LlmProvider(server.url, MODEL, None, sleep=_no_sleep).suggest(PROBLEM)
    assert "Authorization" not in server.received[0].headers


def test_fenced_plain_json_message_is_accepted(server: ChatServer) -> None:
    server.replies = [Reply(content="```json\n" + json.dumps(GOOD) + "\n```")]
    s = server.provider().suggest(PROBLEM)
    assert s is not None and s.suggested_sql == GOOD["suggested_sql"]


def test_unchanged_sql_means_no_suggestion(server: ChatServer) -> None:
    server.replies = [Reply(content=json.dumps({**GOOD, "suggested_sql": "  " + PROBLEM.original_sql}))]
    assert server.provider().suggest(PROBLEM) is None


def test_request_holds_only_ddl_and_metadata(server: ChatServer) -> None:
    server.replies = [Reply(content=json.dumps(GOOD))]
    server.provider().suggest(PROBLEM)
    body = server.received[0].body
    assert set(body) == {"model", "messages", "temperature", "response_format"}
    assert body["model"] == MODEL
    assert body["response_format"]["type"] == "json_schema"
    system, user = body["messages"]
    assert (system["role"], user["role"]) == ("system", "user")
    assert "YugabyteDB" in system["content"] and "JSON" in system["content"]
    entry = catalog.get(PROBLEM.issue_type)
    assert json.loads(user["content"]) == {
        "object_type": PROBLEM.object_type, "object_name": PROBLEM.object_name, "issue_type": PROBLEM.issue_type,
        "issue_description": entry.description, "known_workaround": entry.workaround,
        "original_sql": PROBLEM.original_sql, "target_error": PROBLEM.error}


@pytest.mark.parametrize("sql", [
    "CREATE TABLE t (id int);\nCOPY public.t (id) FROM stdin;\n1\n2\n\\.\n",
    "CREATE TABLE t (id int);\nINSERT INTO t (id) VALUES (1), (2);",
])
def test_row_data_is_refused_before_sending(server: ChatServer, sql: str) -> None:
    problem = PROBLEM.model_copy(update={"original_sql": sql})
    with pytest.raises(VoyagerError, match="only DDL and metadata"):
        server.provider().suggest(problem)
    assert server.received == []


@pytest.mark.parametrize("tag", ["$fn$", "$$"])
def test_insert_inside_a_function_body_is_ddl(server: ChatServer, tag: str) -> None:
    sql = (f"CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS {tag} BEGIN "
           f"INSERT INTO audit_log VALUES (NEW.id, now()); RETURN NEW; END {tag};")
    server.replies = [Reply(content=json.dumps(GOOD))]
    assert server.provider().suggest(PROBLEM.model_copy(update={"original_sql": sql})) is not None
    assert len(server.received) == 1


def test_malformed_then_good_retries_once(server: ChatServer) -> None:
    server.replies = [Reply(content="Sure! Here is the fix: CREATE INDEX ..."), Reply(content=json.dumps(GOOD))]
    s = server.provider().suggest(PROBLEM)
    assert s is not None and s.suggested_sql == GOOD["suggested_sql"]
    assert len(server.received) == 2
    retry_messages = server.received[1].body["messages"]
    assert [m["role"] for m in retry_messages] == ["system", "user", "assistant", "user"]
    assert "invalid" in retry_messages[-1]["content"]


def test_malformed_twice_is_a_clear_error(server: ChatServer) -> None:
    server.replies = [Reply(content="not json"), Reply(content=json.dumps({"sql": "x"}))]
    with pytest.raises(VoyagerError, match=r"no valid JSON answer after 2 attempts.*schema"):
        server.provider().suggest(PROBLEM)
    assert len(server.received) == 2


def test_timeouts_retry_with_backoff_then_fail(server: ChatServer) -> None:
    server.replies = [Reply(hold=True), Reply(hold=True)]
    waits: list[float] = []
    with pytest.raises(VoyagerError, match=r"no answer within 0.5s \(gave up after 2 attempts\)"):
        server.provider(timeout_s=0.5, max_retries=1, waits=waits).suggest(PROBLEM)
    assert waits == [1.0]
    assert len(server.received) == 2


def test_timeout_then_success(server: ChatServer) -> None:
    server.replies = [Reply(hold=True), Reply(content=json.dumps(GOOD))]
    waits: list[float] = []
    assert server.provider(timeout_s=0.5, waits=waits).suggest(PROBLEM) is not None
    assert waits == [1.0]


def test_429_honours_retry_after(server: ChatServer) -> None:
    server.replies = [Reply(429, "rate limited", {"Retry-After": "2"}), Reply(content=json.dumps(GOOD))]
    waits: list[float] = []
    assert server.provider(waits=waits).suggest(PROBLEM) is not None
    assert waits == [2.0]


def test_429_beyond_the_retry_limit_fails(server: ChatServer) -> None:
    server.replies = [Reply(429, "slow down", {"Retry-After": "3"}) for _ in range(3)]
    waits: list[float] = []
    with pytest.raises(VoyagerError, match=r"HTTP 429.*gave up after 3 attempts"):
        server.provider(max_retries=2, waits=waits).suggest(PROBLEM)
    assert waits == [3.0, 3.0]


def test_5xx_is_retried(server: ChatServer) -> None:
    server.replies = [Reply(503, "overloaded"), Reply(content=json.dumps(GOOD))]
    waits: list[float] = []
    assert server.provider(waits=waits).suggest(PROBLEM) is not None
    assert waits == [1.0]


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_fails_at_once_without_the_key(server: ChatServer, status: int) -> None:
    server.replies = [Reply(status, f"Incorrect API key provided: {KEY}")]
    with pytest.raises(VoyagerError, match="rejected the API key") as info:
        server.provider().suggest(PROBLEM)  # _no_sleep: any retry would fail the test
    assert KEY not in str(info.value)
    assert len(server.received) == 1


def test_other_4xx_is_immediate_and_redacted(server: ChatServer) -> None:
    server.replies = [Reply(400, f"bad model for key {KEY}")]
    with pytest.raises(VoyagerError, match="HTTP 400: bad model for key \\*\\*\\*") as info:
        server.provider().suggest(PROBLEM)
    assert KEY not in str(info.value)


def _paths(tmp_path: Path) -> AppPaths:
    return AppPaths(config_dir=tmp_path / "config", data_dir=tmp_path / "data")


def test_not_configured_names_the_command(tmp_path: Path) -> None:
    with pytest.raises(VoyagerError) as info:
        load_llm_provider(_paths(tmp_path))
    assert str(info.value) == NOT_CONFIGURED


def test_configured_provider_uses_env_key(server: ChatServer, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _paths(tmp_path)
    configure_ai(paths, server.url, MODEL)
    saved = paths.config_file.read_text(encoding="utf-8")
    assert "[ai]" in saved and server.url in saved and KEY not in saved
    assert load_config(paths).ai.model == MODEL
    monkeypatch.setenv(API_KEY_ENV, KEY)
    server.replies = [Reply(content=json.dumps(GOOD))]
    s = load_llm_provider(paths).suggest(PROBLEM)
    assert s is not None and s.model == MODEL
    assert server.received[0].headers["Authorization"] == f"Bearer {KEY}"


def test_configure_rejects_a_bad_endpoint(tmp_path: Path) -> None:
    with pytest.raises(VoyagerError, match=r"--endpoint 'api\.example\.com'"):
        configure_ai(_paths(tmp_path), "api.example.com", MODEL)


def test_convert_asks_the_llm_for_what_no_rule_fixes_and_proves_it_on_the_target(
        server: ChatServer, target_db: ConnectionParams, tmp_path: Path) -> None:
    failed = tmp_path / "failed.sql"
    failed.write_text(
        '-- ERROR: relation "public.nowhere" does not exist\n-- view public.recent\n'
        "CREATE VIEW public.recent AS SELECT * FROM public.nowhere;\n\n"
        '-- ERROR: relation "public.gone" does not exist\n-- view public.totals\n'
        "CREATE VIEW public.totals AS SELECT sum(x) AS total FROM public.gone;\n\n")
    configured = CliRunner().invoke(cli, ["ai", "configure", "--endpoint", server.url, "--model", MODEL])
    assert configured.exit_code == 0, configured.output
    server.replies = [
        Reply(content=json.dumps({"suggested_sql": "CREATE VIEW public.recent AS SELECT 1 AS id;",
                                  "reason": "the source table was not migrated; a placeholder keeps dependants",
                                  "caveats": ["returns one constant row"]})),
        Reply(content=json.dumps({"suggested_sql": "CREATE VIEW public.totals AS SELECT sum(x) AS total "
                                                   "FROM public.still_gone;",
                                  "reason": "a wrong answer the target must reject", "caveats": []})),
    ]
    result = CliRunner().invoke(cli, ["ai", "convert", "--schema-file", str(failed), "--provider", "llm", "--yes",
                                      *target_cli_args(target_db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert len(server.received) == 2
    assert "Issue 1: FAILED_DDL — view public.recent" in out
    assert "├── Suggested: CREATE VIEW public.recent AS SELECT 1 AS id;" in out
    assert "├── Reason: the source table was not migrated" in out
    assert "└── Validation: VALID on PostgreSQL" in out
    assert '└── Validation: INVALID: target rejected the suggested SQL: relation "public.still_gone" does not exist' \
        in out
    assert "Accepted 1 suggestion(s)" in out
    with connect_pg(target_db, DbRole.TARGET) as conn:
        stored = conn.execute("""SELECT object_name, provider, model, validation_status, decision, validation_evidence
                                 FROM ybvoyager.suggestions ORDER BY object_name""").fetchall()
        assert conn.execute("SELECT to_regclass('public.recent')").fetchone() == (None,)  # validation rolled back
    assert [r[:5] for r in stored] == [("public.recent", "llm", MODEL, "VALID", "ACCEPTED"),
                                       ("public.totals", "llm", MODEL, "INVALID", "PENDING")]
    assert 'relation "public.still_gone" does not exist' in stored[1][5]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_the_key_stays_with_the_endpoint(server: ChatServer, status: int) -> None:
    with running_server() as other:
        other.replies = [Reply(content=json.dumps(GOOD))]
        server.replies = [Reply(status, "moved", {"Location": other.url + "/chat/completions"})]
        with pytest.raises(VoyagerError) as info:
            server.provider().suggest(PROBLEM)  # _no_sleep: any retry would fail the test
        assert other.received == []
    host = other.url.split("/")[2]
    assert str(info.value) == (
        f"AI endpoint {server.url}/chat/completions redirects (HTTP {status}) to {host}; redirects are not "
        "followed so that the API key goes only to the configured host: configure the final URL as the endpoint")
    assert len(server.received) == 1


def test_a_response_cut_short_is_retried_then_a_one_line_error(server: ChatServer) -> None:
    server.replies = [Reply(body=b'{"cho', length=1000), Reply(body=b'{"choices": [', length=1000)]
    waits: list[float] = []
    with pytest.raises(VoyagerError, match=r"the response was cut short \(13 bytes read, 987 more expected\) "
                                           r"\(gave up after 2 attempts\)$"):
        server.provider(max_retries=1, waits=waits).suggest(PROBLEM)
    assert waits == [1.0]


def test_a_response_cut_short_then_a_good_one(server: ChatServer) -> None:
    server.replies = [Reply(body=b'{"cho', length=1000), Reply(content=json.dumps(GOOD))]
    waits: list[float] = []
    assert server.provider(waits=waits).suggest(PROBLEM) is not None
    assert waits == [1.0]


def test_an_oversize_response_fails_at_once(server: ChatServer) -> None:
    server.replies = [Reply(body=b" " * (MAX_RESPONSE_BYTES + 1))]
    with pytest.raises(VoyagerError, match=r"/chat/completions: the response is larger than 4 MiB; not reading it$"):
        server.provider().suggest(PROBLEM)  # _no_sleep: any retry would fail the test


def test_a_dripping_response_stops_at_the_deadline(server: ChatServer) -> None:
    payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": json.dumps(GOOD)}}]}).encode()
    server.replies = [Reply(body=payload, drip_s=0.02)]  # ~10 s for the whole body; each byte well within timeout_s
    with pytest.raises(VoyagerError, match=r"the response did not finish within 0.3s \(gave up after 1 attempts\)"):
        server.provider(max_retries=0, deadline_s=0.3).suggest(PROBLEM)


def _problem(sql: str) -> Problem:
    return PROBLEM.model_copy(update={"original_sql": sql})


@pytest.mark.parametrize(("sql", "what"), [
    ("INSERT INTO t VALUES ('alice@x.com')", "an INSERT statement"),
    ("-- seed\nINSERT INTO public.t VALUES ('alice@x.com');", "an INSERT statement"),
    ("/* seed */ INSERT INTO t VALUES ('alice@x.com')", "an INSERT statement"),
    ("WITH x AS (SELECT 1) INSERT INTO t VALUES ('alice@x.com')", "an INSERT statement"),
    ("INSERT INTO t SELECT 'alice@x.com'", "an INSERT statement"),
    ("SELECT '$q$'; INSERT INTO t VALUES ('alice@x.com'); SELECT '$q$'", "an INSERT statement"),
    ("WITH ins AS (INSERT INTO t VALUES ('alice@x.com') RETURNING 1) SELECT * FROM ins", "an INSERT statement"),
    ("CREATE TABLE t (e text); UPDATE t SET e = 'alice@x.com' WHERE id = 1", "an UPDATE statement"),
    ("DELETE FROM t WHERE e = 'alice@x.com'", "a DELETE statement"),
    ("MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED THEN INSERT VALUES ('alice@x.com')",
     "a MERGE statement"),
    ("COPY t FROM '/data/t.csv'", "a COPY statement"),
    ("PREPARE p AS INSERT INTO t VALUES ('alice@x.com')", "an INSERT statement"),
])
def test_row_data_guard_refuses(sql: str, what: str) -> None:
    with pytest.raises(VoyagerError) as info:
        check_no_row_data(_problem(sql))
    assert str(info.value) == (f"INDEX public.idx_events_at: refusing to send SQL with {what} to the AI endpoint "
                               "(it may carry row data; only DDL and metadata may leave this machine)")


@pytest.mark.parametrize("sql", [
    "COPY t (e) FROM stdin;\nalice@x.com\n\\.\n",
    "CREATE TABLE t (e text);\nalice@x.com, bob@x.com",
])
def test_row_data_guard_refuses_what_does_not_parse_without_quoting_it(sql: str) -> None:
    with pytest.raises(VoyagerError, match=r"does not parse to the AI endpoint \(syntax error at character \d+\) "
                                           r"\(only DDL and metadata that parse as SQL") as info:
        check_no_row_data(_problem(sql))
    assert "alice" not in str(info.value)


@pytest.mark.parametrize("sql", [
    "CREATE TABLE t (id int, status text DEFAULT 'new' CHECK (status IN ('new', 'done')), "
    "email text DEFAULT 'nobody@example.com');",
    "CREATE TABLE t (id int); ALTER TABLE t ADD CONSTRAINT c CHECK (id > 0);",
    "CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $q$ BEGIN "
    "INSERT INTO audit_log VALUES (NEW.id, 'changed'); RETURN NEW; END $q$;",
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC INSERT INTO log VALUES ('called'); END;",
    "CREATE RULE r AS ON INSERT TO t DO INSTEAD INSERT INTO t2 VALUES (NEW.id);",
    "CREATE VIEW v AS SELECT id, 'constant' AS tag FROM t;",
    "SELECT pg_catalog.setval('public.t_id_seq', 42, true);",
    "COMMENT ON TABLE t IS 'customer accounts';",
])
def test_row_data_guard_passes_ddl_and_its_literals(sql: str) -> None:
    check_no_row_data(_problem(sql))


def test_convert_keeps_rule_fixes_when_the_llm_fails_for_another_object(
        server: ChatServer, target_db: ConnectionParams, tmp_path: Path) -> None:
    failed = tmp_path / "failed.sql"
    failed.write_text(
        '-- ERROR: unrecognized parameter "fillfactr"\n-- table public.typo\n'
        "CREATE TABLE public.typo (id integer, v text) WITH (fillfactr='70');\n\n"
        '-- ERROR: relation "public.nowhere" does not exist\n-- view public.recent\n'
        "CREATE VIEW public.recent AS SELECT * FROM public.nowhere;\n\n")
    configured = CliRunner().invoke(cli, ["ai", "configure", "--endpoint", server.url, "--model", MODEL])
    assert configured.exit_code == 0, configured.output
    server.replies = [Reply(400, f"The model {MODEL} does not exist")]
    result = CliRunner().invoke(cli, ["ai", "convert", "--schema-file", str(failed), "--provider", "llm", "--yes",
                                      *target_cli_args(target_db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert len(server.received) == 1  # only the view: the rule fixed the table
    assert (f"└── Suggested: none (AI endpoint {server.url}/chat/completions: HTTP 400: The model {MODEL} does not "
            "exist; fix it by hand)") in out
    assert "└── Validation: VALID on PostgreSQL" in out
    assert "Accepted 1 suggestion(s)" in out
    with connect_pg(target_db, DbRole.TARGET) as conn:
        stored = conn.execute("""SELECT object_name, provider, validation_status, decision
                                 FROM ybvoyager.suggestions ORDER BY object_name""").fetchall()
    assert stored == [("public.typo", "rules", "VALID", "ACCEPTED")]
