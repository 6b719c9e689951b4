"""Export schema: pg_dump the migration's source schemas and split the dump into per-object entries.

The entries keep pg_dump's TOC order, which is a dependency order, so import schema can apply them one by one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

from psycopg import sql

from ..assessment.sql import DEFAULT_STATEMENT_TIMEOUT
from ..connections import libpq_env
from ..errors import VoyagerError
from ..phases import Phase
from ..schema.manifest import SchemaManifest, SchemaObject, load_manifest, write_manifest
from ..secrets import DbRole, env_password
from ..steps import StepContext, StepOption, register_step
from ._base import PostgresStep

FULL_DUMP = "full_dump.sql"
MANIFEST = "objects.json"

# pg_dump's TOC entry header. The type is upper-case words, which anchors the split even when a name contains "; ".
_HEADER = re.compile(
    r"^--\n-- (?:Data for )?Name: (?P<name>.*); Type: (?P<type>[A-Z][A-Z ]*); Schema: (?P<schema>.*); "
    r"Owner: (?P<owner>.*)\n--\n",
    re.MULTILINE,
)
# Tokens of the SQL lexer that finds the lines between statements: a comment to the end of the line, the start
# of a block comment, quoted text, a dollar-quote tag, a word (identifiers may hold `$`, so `a$b$` is no tag), `;`.
_TOKEN = re.compile(r"--[^\n]*|/\*|'|\"|\$(?:[^\W\d]\w*)?\$|[^\W\d]\w*(?:\$\w*)*|\d+|;|\S")
_BLOCK_COMMENT_PART = re.compile(r"/\*|\*/")
_QUOTED_END = {"'": re.compile(r"(?:[^']|'')*'"), '"': re.compile(r'(?:[^"]|"")*"'),
               "E'": re.compile(r"(?:[^'\\]|''|\\.)*'", re.DOTALL)}
# Session settings pg_dump writes between entries; import schema sets its own session instead.
_SESSION_LINE = re.compile(r"^(SET [a-z_]+ = .*;|SELECT pg_catalog\.set_config\('search_path', '', false\);)$")
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
# pg_dump's detail line when --lock-wait-timeout ran out on the lock it takes on each table.
_LOCK_QUERY = re.compile(r"Query was: LOCK TABLE (?P<table>.+) IN ACCESS SHARE MODE")

_FILE_FOR_TYPE = {
    "SCHEMA": "schemas.sql",
    "EXTENSION": "extensions.sql",
    "TYPE": "types.sql",
    "SHELL TYPE": "types.sql",
    "DOMAIN": "domains.sql",
    "FUNCTION": "functions.sql",
    "PROCEDURE": "procedures.sql",
    "AGGREGATE": "aggregates.sql",
    "TABLE": "tables.sql",
    "TABLE ATTACH": "tables.sql",
    "DEFAULT": "tables.sql",
    "SEQUENCE": "sequences.sql",
    "SEQUENCE OWNED BY": "sequences.sql",
    "VIEW": "views.sql",
    "MATERIALIZED VIEW": "mviews.sql",
    "CONSTRAINT": "constraints.sql",
    "CHECK CONSTRAINT": "constraints.sql",
    "FK CONSTRAINT": "fk_constraints.sql",
    "INDEX": "indexes.sql",
    "INDEX ATTACH": "indexes.sql",
    "TRIGGER": "triggers.sql",
    "RULE": "rules.sql",
    "POLICY": "policies.sql",
    "ROW SECURITY": "policies.sql",
    "COMMENT": "comments.sql",
}
# pg_dump kinds the manifest's type names differently; kinds it does not name at all travel as OTHER.
_MANIFEST_TYPE = {"CHECK CONSTRAINT": "CONSTRAINT", "SHELL TYPE": "TYPE"}
# The order the export summary names types in; others follow alphabetically.
_SUMMARY_ORDER = ("TABLE", "INDEX", "CONSTRAINT", "FK CONSTRAINT", "SEQUENCE", "VIEW", "MATERIALIZED VIEW",
                  "FUNCTION", "PROCEDURE", "TRIGGER", "TYPE", "DOMAIN")


class DumpEntry(NamedTuple):
    type: str
    schema: str
    name: str
    sql: str


def file_for_type(obj_type: str) -> str:
    return _FILE_FOR_TYPE.get(obj_type) or obj_type.lower().replace(" ", "_") + "s.sql"


def strip_meta_commands(dump: str) -> str:
    """The dump less the psql meta-commands pg_dump writes between statements (`\\restrict KEY`, `\\unrestrict KEY`
    since 15.14/16.10/17.6, `\\connect` with --create); no server parses them.

    Only a line that starts with a backslash outside every statement goes: the same line inside a function body,
    a string literal or a quoted identifier is part of the object and is kept byte for byte.
    """
    drop: list[tuple[int, int]] = []
    in_statement = False
    pos, n = 0, len(dump)
    while pos < n:
        m = _TOKEN.search(dump, pos)
        if m is None:
            break
        tok, start = m.group(), m.start()
        pos = m.end()
        if tok == "\\" and not in_statement and (start == 0 or dump[start - 1] == "\n"):
            end = dump.find("\n", start)
            pos = n if end < 0 else end + 1
            drop.append((start, pos))
        elif tok.startswith("--"):
            pass
        elif tok == "/*":
            pos = _block_comment_end(dump, pos)
        elif tok in ("'", '"'):
            pos = _quoted_end(dump, pos, "E'" if tok == "'" and _escape_string(dump, start) else tok)
            in_statement = True
        elif tok.startswith("$"):
            end = dump.find(tok, pos)
            pos = n if end < 0 else end + len(tok)
            in_statement = True
        elif tok == ";":
            in_statement = False
        else:
            in_statement = True
    if not drop:
        return dump
    parts, last = [], 0
    for start, end in drop:
        parts.append(dump[last:start])
        last = end
    parts.append(dump[last:])
    return "".join(parts)


def _escape_string(text: str, quote: int) -> bool:
    """Whether the quote at `quote` opens an E'...' string, in which a backslash escapes the next character."""
    return quote > 0 and text[quote - 1] in "eE" and (quote < 2 or not (text[quote - 2].isalnum()
                                                                     or text[quote - 2] in "_$"))


def _quoted_end(text: str, pos: int, kind: str) -> int:
    m = _QUOTED_END[kind].match(text, pos)
    return len(text) if m is None else m.end()


def _block_comment_end(text: str, pos: int) -> int:
    # Block comments nest in PostgreSQL.
    depth = 1
    while depth:
        m = _BLOCK_COMMENT_PART.search(text, pos)
        if m is None:
            return len(text)
        depth += 1 if m.group() == "/*" else -1
        pos = m.end()
    return pos


def split_dump(dump: str) -> list[DumpEntry]:
    """The dump's entries in TOC order; the preamble, session settings and comment-only entries are left out."""
    dump = strip_meta_commands(dump)
    headers = list(_HEADER.finditer(dump))
    entries = []
    for i, m in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(dump)
        body = _clean_body(dump[m.end():end])
        if not body:
            continue
        obj_type = m["type"].strip()
        schema = "" if m["schema"] == "-" else m["schema"]
        if obj_type == "SCHEMA":
            schema = m["name"]
        entries.append(DumpEntry(obj_type, schema, m["name"], body))
    return entries


def manifest_objects(entries: list[DumpEntry]) -> list[SchemaObject]:
    """Dump entries as manifest objects (pg_dump's kind mapped to the manifest's type names)."""
    return [SchemaObject(type=_MANIFEST_TYPE.get(e.type, e.type), schema=e.schema or None, name=e.name,
                         file=file_for_type(e.type), sql=e.sql) for e in entries]


def _clean_body(body: str) -> str:
    lines = body.strip("\n").splitlines()
    # Only trailing lines are dropped: a function body may well contain a line starting with SET.
    while lines and (not lines[-1].strip() or lines[-1].startswith("--") or _SESSION_LINE.match(lines[-1])):
        lines.pop()
    while lines and (not lines[0].strip() or lines[0].startswith("--")):
        lines.pop(0)
    return "\n".join(lines)


def tool_major(version_output: str) -> int:
    m = _VERSION.search(version_output)
    if m is None:
        raise VoyagerError(f"cannot tell the version of pg_dump from {version_output.strip()!r}")
    return int(m.group(1))


def check_pg_dump(source_major: int) -> str:
    """Path of a pg_dump that can dump a server of `source_major`; raises with an install hint otherwise."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise VoyagerError(f"pg_dump was not found on PATH: install postgresql-client-{source_major}")
    try:
        out = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise VoyagerError(f"cannot run {pg_dump} --version: {exc}") from None
    major = tool_major(out)
    if major < source_major:
        raise VoyagerError(f"pg_dump {major} is older than the source (PostgreSQL {source_major}): "
                           f"install postgresql-client-{source_major}")
    return pg_dump


def schema_pattern(name: str) -> str:
    """A pg_dump -n pattern matching exactly `name`: inside double quotes no character is special."""
    return '"' + name.replace('"', '""') + '"'


def first_error_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error:" in ln.lower() or "ERROR" in ln or "FATAL" in ln]
    return (errors or lines or ["no error message"])[0]


class ExportSchemaStep(PostgresStep):
    phase = Phase.EXPORT_SCHEMA
    needs_export_dir = False
    options: tuple[StepOption, ...] = (
        # The assessment collector's pg_dump waits as long: without a bound, pg_dump queues behind a long-held lock
        # (an ALTER TABLE, a VACUUM FULL) for as long as it is held.
        StepOption("lock-wait-timeout", int, DEFAULT_STATEMENT_TIMEOUT,
                   "seconds pg_dump waits for a lock on a source table before giving up"),
    )

    def run(self, ctx: StepContext) -> dict[str, Any] | None:
        chosen = ctx.options.get("lock_wait_timeout")
        lock_wait = DEFAULT_STATEMENT_TIMEOUT if chosen is None else int(chosen)
        if lock_wait <= 0:
            raise VoyagerError(f"--lock-wait-timeout {lock_wait}: must be more than 0 seconds")
        export_dir = ctx.export_dir.ensure(owner=str(ctx.migration.migration_uuid))
        export_dir.check_free_space()
        schemas = list(ctx.migration.source_schemas)
        ctx.reporter.progress("connecting to the source")
        with ctx.connect_source("voyager-tui-export-schema") as conn:
            row = conn.execute("SELECT current_setting('server_version_num')::int, "
                               "current_setting('server_version')").fetchone()
            assert row is not None
            source_major, source_version = int(row[0]) // 10000, str(row[1])
            extensions = conn.execute(
                """SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                   WHERE n.nspname = ANY(%s) AND e.extname <> 'plpgsql' ORDER BY e.extname""",
                (schemas,),
            ).fetchall()
            extension_sql = [
                DumpEntry("EXTENSION", str(nsp), str(ext), sql.SQL("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {};")
                          .format(sql.Identifier(ext), sql.Identifier(nsp)).as_string(conn))
                for ext, nsp in extensions
            ]
            password = ctx.source_password or env_password(DbRole.SOURCE) or conn.info.password or None
        pg_dump = check_pg_dump(source_major)
        ctx.check_cancelled()

        schema_dir = export_dir.schema_dir
        raw = schema_dir / ".pg_dump.out"
        ctx.reporter.progress(f"running pg_dump --schema-only for {', '.join(schemas)}")
        args = [pg_dump, "--schema-only", "--no-owner", "--no-privileges", "--no-tablespaces",
                "--no-publications", "--no-subscriptions", f"--lock-wait-timeout={lock_wait}s"]
        for s in schemas:
            args += ["-n", schema_pattern(s)]
        self._run_pg_dump(ctx, args, raw, password)
        dump = strip_meta_commands(raw.read_text(encoding="utf-8"))
        raw.unlink()

        entries = _with_extensions(split_dump(dump), extension_sql)
        objects = manifest_objects(entries)
        manifest = SchemaManifest(source_version=source_version, objects=objects)
        files = self._write_files(schema_dir, dump, manifest, [e.type for e in entries])

        counts: Counter[str] = Counter(o.type for o in objects)
        summary = f"exported {len(objects)} objects ({describe_counts(counts)}) to {schema_dir}"
        ctx.store.save_report(ctx.migration.migration_uuid, "schema_export", {
            "source_version": source_version,
            "schemas": schemas,
            "objects": len(objects),
            "counts": dict(sorted(counts.items())),
            "files": files,
            "dir": str(schema_dir),
        })
        ctx.reporter.progress(summary, len(objects), len(objects))
        return {"objects": len(objects), "counts": dict(sorted(counts.items())), "dir": str(schema_dir),
                "summary": summary}

    def _run_pg_dump(self, ctx: StepContext, args: list[str], out: Path, password: str | None) -> None:
        env = libpq_env(ctx.source, password, "voyager-tui-export-schema")
        with out.open("wb") as fh:
            try:
                proc = subprocess.Popen(args, stdout=fh, stderr=subprocess.PIPE, env=env)
            except OSError as exc:
                raise VoyagerError(f"cannot run pg_dump: {exc}") from None
            # stderr is small (errors and warnings only), so reading it to the end cannot block pg_dump.
            assert proc.stderr is not None
            with proc:
                stderr = _read_stderr_cancellable(ctx, proc)
        if proc.returncode != 0:
            out.unlink(missing_ok=True)
            locked = _LOCK_QUERY.search(stderr)
            if locked:
                raise VoyagerError(f"a table is locked on the source: pg_dump waited longer than --lock-wait-timeout "
                                   f"for {locked['table']} (another session holds a conflicting lock); run export "
                                   "schema again once it is released")
            raise VoyagerError(f"pg_dump failed (exit code {proc.returncode}): {first_error_line(stderr)}")

    def _write_files(self, schema_dir: Path, dump: str, manifest: SchemaManifest, dump_types: list[str]) -> list[str]:
        """full_dump.sql, one file per object type (pg_dump's type in each header), and the manifest."""
        manifest_path = schema_dir / MANIFEST
        if manifest_path.exists():
            # A previous export's per-type files must not linger when a type is gone from the source.
            try:
                for f in {o.file for o in load_manifest(manifest_path).objects}:
                    (schema_dir / f).unlink(missing_ok=True)
            except Exception:
                pass
        (schema_dir / FULL_DUMP).write_text(dump, encoding="utf-8")
        by_file: dict[str, list[str]] = {}
        for obj, dump_type in zip(manifest.objects, dump_types, strict=True):
            by_file.setdefault(obj.file, []).append(
                f"-- Name: {obj.name}; Type: {dump_type}; Schema: {obj.schema_name or '-'}\n{obj.sql}\n\n")
        for name, parts in by_file.items():
            (schema_dir / name).write_text("".join(parts), encoding="utf-8")
        write_manifest(manifest_path, manifest)
        return [FULL_DUMP, *sorted(by_file), MANIFEST]


def _read_stderr_cancellable(ctx: StepContext, proc: subprocess.Popen[bytes]) -> str:
    while True:
        try:
            _, err = proc.communicate(timeout=0.5)
            return err.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            if ctx.cancel.is_set() or ctx.lease_lost.is_set():
                proc.kill()
                proc.communicate()
                ctx.check_cancelled()


def _with_extensions(entries: list[DumpEntry], extensions: list[DumpEntry]) -> list[DumpEntry]:
    """Extensions go right after the schemas they live in (pg_dump -n leaves them out)."""
    after = max((i + 1 for i, e in enumerate(entries) if e.type == "SCHEMA"), default=0)
    return entries[:after] + extensions + entries[after:]


def describe_counts(counts: Counter[str]) -> str:
    rest = sorted(t for t in counts if t not in _SUMMARY_ORDER and t != "OTHER")
    ordered = [t for t in _SUMMARY_ORDER if counts.get(t)] + rest + (["OTHER"] if counts.get("OTHER") else [])
    return ", ".join(f"{counts[t]} {_plural(t, counts[t])}" for t in ordered) or "nothing"


def _plural(obj_type: str, n: int) -> str:
    word = obj_type.lower()
    if n == 1 or word == "other":
        return word
    if word.endswith("y") and not word.endswith("ey"):
        return word[:-1] + "ies"
    if word.endswith(("x", "s")):
        return word + "es"
    return word + "s"


register_step(ExportSchemaStep())
