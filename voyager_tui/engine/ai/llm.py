"""The LLM provider: asks any OpenAI-compatible chat-completions endpoint for a fix, over plain urllib.

Data policy: the request is built only from a Problem's fields (object type and name, issue type, the DDL, the
target's error) plus the catalog's description and workaround for the issue type. Row data never leaves the
machine: a Problem whose SQL does not parse, or holds a statement that reads or writes rows (COPY, INSERT, UPDATE,
DELETE, MERGE, at any nesting level outside function and rule definitions), is refused before anything is sent.

Transport: redirects are never followed (urllib would resend the Authorization header to wherever the endpoint
points), a response is read in small blocks up to MAX_RESPONSE_BYTES and within an overall deadline, and every
network failure becomes a one-line VoyagerError.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import VoyagerError, first_error
from ..schema import catalog
from .models import Problem, Suggestion

PROVIDER_NAME = "llm"

SYSTEM_PROMPT = (
    "You are an expert in migrating PostgreSQL schemas to YugabyteDB (YSQL). You are given one database object "
    "whose DDL does not work on the target, the issue found in it and, when known, the target's error. Propose "
    "DDL that works on YugabyteDB and keeps the object's behaviour as close as possible. If the right fix is to "
    "drop the object, return an empty suggested_sql and say why in reason. List every behaviour difference in "
    "caveats. Answer ONLY with one JSON object matching this JSON schema, with no prose and no code fences:\n"
)


class LlmAnswer(BaseModel):
    """The structured answer the model must give."""

    model_config = ConfigDict(extra="forbid")

    suggested_sql: str
    reason: str = Field(min_length=1)
    caveats: list[str] = Field(default_factory=list)


ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "suggested_sql": {"type": "string", "description": "DDL to run on YugabyteDB; empty to drop the object"},
        "reason": {"type": "string", "description": "why this fixes the issue"},
        "caveats": {"type": "array", "items": {"type": "string"}, "description": "behaviour differences"},
    },
    "required": ["suggested_sql", "reason", "caveats"],
    "additionalProperties": False,
}

Sleep = Callable[[float], None]

_RETRY_AFTER_CAP_S = 120.0
"""A server asking us to wait longer than this is treated as a hard failure rather than hanging the user."""

MAX_RESPONSE_BYTES = 4 * 1024 * 1024
"""A chat completion for one object is a few KB; anything near this is not an answer worth waiting for."""
_MAX_ERROR_BYTES = 64 * 1024
_READ_BLOCK = 64 * 1024

_ROW_STATEMENTS = {"CopyStmt": "a COPY", "InsertStmt": "an INSERT", "UpdateStmt": "an UPDATE",
                   "DeleteStmt": "a DELETE", "MergeStmt": "a MERGE"}
# Definitions the catalog stores as schema: their DML runs later against whatever rows exist then, so it is code,
# like a dollar-quoted function body (which the parser keeps as a string and is never walked anyway).
_DEFINITIONS = {"CreateFunctionStmt", "RuleStmt"}


def check_no_row_data(problem: Problem) -> None:
    """Refuse a Problem whose SQL may carry table rows: only DDL and metadata that parse as SQL may leave the
    machine. Literals in DDL (DEFAULT values, CHECK constraints, view and function bodies) are schema and pass."""
    from pglast import parse_sql
    from pglast.parser import ParseError

    where = f"{problem.object_type} {problem.object_name}"
    try:
        statements = parse_sql(problem.original_sql)
    except ParseError as exc:
        # The parser's message quotes the offending token, which may be a row value: give only its position.
        at = f" (syntax error at character {exc.args[1]})" if len(exc.args) > 1 else ""
        raise VoyagerError(
            f"{where}: refusing to send SQL that does not parse to the AI endpoint{at} (only DDL and metadata "
            "that parse as SQL may leave this machine)") from None
    for raw in statements:
        for kind in _node_kinds(raw.stmt):
            if kind in _ROW_STATEMENTS:
                raise VoyagerError(
                    f"{where}: refusing to send SQL with {_ROW_STATEMENTS[kind]} statement to the AI endpoint "
                    "(it may carry row data; only DDL and metadata may leave this machine)")


def _node_kinds(node: object) -> Iterator[str]:
    """The class names of a parse tree's nodes, not descending into function or rule definitions."""
    from pglast import ast

    if isinstance(node, (list, tuple)):
        for item in node:
            yield from _node_kinds(item)
        return
    if not isinstance(node, ast.Node):
        return
    kind = type(node).__name__
    yield kind
    if kind in _DEFINITIONS:
        return
    for attr in getattr(type(node), "__slots__", ()):
        yield from _node_kinds(getattr(node, attr, None))


def problem_payload(problem: Problem) -> dict[str, Any]:
    """Everything about a problem that is sent: Problem fields plus the catalog's text for its issue type."""
    try:
        entry = catalog.get(problem.issue_type)
        description: str | None = entry.description
        workaround: str | None = entry.workaround
    except KeyError:  # e.g. FAILED_DDL: no catalog entry, the target's error says what went wrong
        description = workaround = None
    return {
        "object_type": problem.object_type,
        "object_name": problem.object_name,
        "issue_type": problem.issue_type,
        "issue_description": description,
        "known_workaround": workaround,
        "original_sql": problem.original_sql,
        "target_error": problem.error,
    }


def chat_completions_url(endpoint: str) -> str:
    base = endpoint.rstrip("/")
    return base if base.endswith("/chat/completions") else base + "/chat/completions"


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would follow a redirect with the Authorization header, to any host and from https to http: instead the
    3xx reaches the caller as an HTTPError."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        return None


class _Readable(Protocol):
    def read1(self, n: int = ..., /) -> bytes: ...


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


def _read_capped(stream: _Readable, limit: int, deadline: float) -> bytes:
    """The body, read in small blocks so that the overall deadline is checked between socket reads (the socket
    timeout alone restarts with every byte a server drips). Raises _TooLarge beyond `limit` bytes, _TooSlow past
    the deadline and IncompleteRead when the server closes before its Content-Length."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise _TooSlow
        block = stream.read1(_READ_BLOCK)
        if not block:
            break
        size += len(block)
        if size > limit:
            raise _TooLarge
        chunks.append(block)
    data = b"".join(chunks)
    missing = getattr(stream, "length", None)  # HTTPResponse.read1 returns b"" rather than raising when cut short
    if isinstance(missing, int) and missing > 0:
        raise http.client.IncompleteRead(data, missing)
    return data


class LlmProvider:
    """Suggestions from an OpenAI-compatible endpoint, validated against ANSWER_SCHEMA."""

    def __init__(self, endpoint: str, model: str, api_key: str | None, *, timeout_s: float = 60,
                 max_retries: int = 3, sleep: Sleep = time.sleep, backoff_s: float = 1.0,
                 deadline_s: float = 300) -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise VoyagerError(f"AI endpoint {endpoint!r}: must start with http:// or https://")
        if not model:
            raise VoyagerError("AI model name is empty")
        self.url = chat_completions_url(endpoint)
        self.model = model
        self._api_key = api_key or None
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self._sleep = sleep
        self._backoff_s = backoff_s
        self.deadline_s = deadline_s
        """Per request attempt: from sending it to the last byte of the answer."""
        self._opener = urllib.request.build_opener(_RefuseRedirects)

    def __repr__(self) -> str:  # never show the key
        return f"LlmProvider(url={self.url!r}, model={self.model!r})"

    def suggest(self, problem: Problem) -> Suggestion | None:
        """A suggestion for the problem, or None when the model proposes no change to the original SQL."""
        check_no_row_data(problem)
        messages: list[dict[str, str]] = [
            {"role": "system", "content": SYSTEM_PROMPT + json.dumps(ANSWER_SCHEMA)},
            {"role": "user", "content": json.dumps(problem_payload(problem), indent=1)},
        ]
        answer = self._ask(messages)
        if " ".join(answer.suggested_sql.split()) == " ".join(problem.original_sql.split()):
            return None
        return Suggestion(
            object_type=problem.object_type, object_name=problem.object_name, issue_type=problem.issue_type,
            original_sql=problem.original_sql, suggested_sql=answer.suggested_sql.strip(), reason=answer.reason,
            caveats=answer.caveats, provider=PROVIDER_NAME, model=self.model,
        )

    def _ask(self, messages: list[dict[str, str]]) -> LlmAnswer:
        """One request; if the answer does not fit the schema, one more asking the model to fix it."""
        content = self._complete(messages)
        try:
            return parse_answer(content)
        except ValueError as first:
            retry = [*messages, {"role": "assistant", "content": content},
                     {"role": "user", "content": f"That answer was invalid ({first}). Reply again with ONLY the "
                                                 "JSON object matching the schema."}]
            content = self._complete(retry)
            try:
                return parse_answer(content)
            except ValueError as second:
                raise VoyagerError(
                    f"AI endpoint {self.url}: model {self.model} gave no valid JSON answer after 2 attempts: "
                    f"{second}") from None

    def _body(self, messages: list[dict[str, str]]) -> bytes:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": "suggestion", "strict": True, "schema": ANSWER_SCHEMA}},
        }
        return json.dumps(body).encode("utf-8")

    def _complete(self, messages: list[dict[str, str]]) -> str:
        """POST one chat completion with transport retries; returns the assistant message's text."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        data = self._body(messages)
        last = ""
        for attempt in range(self.max_retries + 1):
            wait = self._backoff_s * 2 ** attempt
            request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            deadline = time.monotonic() + self.deadline_s
            try:
                with self._opener.open(request, timeout=min(self.timeout_s, self.deadline_s)) as response:
                    raw = _read_capped(response, MAX_RESPONSE_BYTES, deadline)
                return _message_content(raw, self.url)
            except urllib.error.HTTPError as exc:
                status = exc.code
                if 300 <= status < 400:
                    raise VoyagerError(
                        f"AI endpoint {self.url} redirects (HTTP {status}) to {_location_host(self.url, exc)}; "
                        "redirects are not followed so that the API key goes only to the configured host: "
                        "configure the final URL as the endpoint") from None
                text = self._redact(_error_text(exc, deadline))
                if status in (401, 403):
                    raise VoyagerError(
                        f"AI endpoint {self.url} rejected the API key (HTTP {status}); set VOYAGER_TUI_AI_API_KEY "
                        "or store a valid key in the keyring") from None
                if status == 429:
                    retry_after = _retry_after(exc.headers.get("Retry-After"))
                    if retry_after is not None and retry_after > _RETRY_AFTER_CAP_S:
                        raise VoyagerError(f"AI endpoint {self.url} is rate limiting (HTTP 429); it asks to wait "
                                           f"{retry_after:.0f}s, try again later") from None
                    wait = retry_after if retry_after is not None else wait
                    last = "HTTP 429 (rate limited)"
                elif status >= 500:
                    last = f"HTTP {status}: {text}"
                else:
                    raise VoyagerError(f"AI endpoint {self.url}: HTTP {status}: {text}") from None
            except TimeoutError:
                last = f"no answer within {self.timeout_s:g}s"
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, TimeoutError):
                    last = f"no answer within {self.timeout_s:g}s"
                else:
                    last = f"cannot connect: {self._redact(str(exc.reason))}"
            except _TooLarge:
                raise VoyagerError(f"AI endpoint {self.url}: the response is larger than "
                                   f"{MAX_RESPONSE_BYTES // (1024 * 1024)} MiB; not reading it") from None
            except _TooSlow:
                last = f"the response did not finish within {self.deadline_s:g}s"
            except ConnectionError as exc:  # reset by peer mid-response
                last = f"connection lost: {self._redact(str(exc) or type(exc).__name__)}"
            except http.client.InvalidURL as exc:
                raise VoyagerError(f"AI endpoint {self.url}: invalid URL: {self._redact(str(exc))}") from None
            except http.client.IncompleteRead as exc:
                last = f"the response was cut short ({len(exc.partial)} bytes read, {exc.expected} more expected)"
            except http.client.HTTPException as exc:  # e.g. a malformed status line
                last = f"invalid HTTP response: {self._redact(str(exc) or type(exc).__name__)}"
            except OSError as exc:  # e.g. an SSL error while reading
                last = f"connection lost: {self._redact(str(exc) or type(exc).__name__)}"
            if attempt < self.max_retries:
                self._sleep(wait)
        raise VoyagerError(f"AI endpoint {self.url}: {last} (gave up after {self.max_retries + 1} attempts)")

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text


def parse_answer(content: str) -> LlmAnswer:
    """The model's message as an LlmAnswer; raises ValueError with a short reason otherwise."""
    text = content.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL)
    if fenced:  # some models wrap JSON in a code fence even when told not to
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    try:
        return LlmAnswer.model_validate(data)
    except ValidationError as exc:
        where, msg = first_error(exc)
        raise ValueError(f"does not match the schema: {where or 'answer'}: {msg}") from None


def _message_content(raw: bytes, url: str) -> str:
    try:
        doc = json.loads(raw)
        content = doc["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise VoyagerError(f"AI endpoint {url}: the response is not a chat completion") from None
    if not isinstance(content, str):
        raise VoyagerError(f"AI endpoint {url}: the chat completion has no text content")
    return content


def _location_host(url: str, exc: urllib.error.HTTPError) -> str:
    """Where a redirect points, as host[:port] only: the rest of the URL (or its user info) may carry secrets."""
    location = exc.headers.get("Location") if exc.headers else None
    if not location:
        return "no Location"
    netloc = urllib.parse.urlsplit(urllib.parse.urljoin(url, location)).netloc.rpartition("@")[2]
    return netloc or "an unknown host"


def _error_text(exc: urllib.error.HTTPError, deadline: float) -> str:
    """The server's error message in one short line (OpenAI-style {"error": {"message": ...}} or raw text)."""
    try:
        raw = _read_capped(exc, _MAX_ERROR_BYTES, deadline).decode("utf-8", "replace")
    except Exception:  # too large, too slow or cut short: the status alone still says what happened
        return exc.reason if isinstance(exc.reason, str) else ""
    try:
        message = json.loads(raw)["error"]["message"]
        if isinstance(message, str):
            raw = message
    except (ValueError, KeyError, TypeError):
        pass
    line = " ".join(raw.split())
    return line[:200] if line else str(exc.reason)


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds; HTTP-date values are ignored (the normal backoff applies)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(seconds, 0.0)
