"""Scratch-schema validation for targets that cannot roll back DDL.

Every relation, type and function the SQL creates, alters, drops or writes rows to is redirected into one uniquely
named scratch schema, always schema-qualified (never left to the search_path); an existing table it builds on (the
table of an index, the table of an ALTER TABLE or a trigger, a foreign key's target) is first copied there empty,
with its columns, constraints and indexes. So a statement that the target does not roll back can only ever touch
the scratch schema, which is dropped afterwards; the transaction is rolled back as well, which on a target with
transactional DDL is a second safety net. SQL that would change the session (SET, set_config) or end the
transaction is refused before anything runs (see refuse_unsafe).

Dollar-quoted function bodies are not rewritten: their unqualified names resolve through the search_path, which
puts the scratch schema first, but a body that names `public.t` explicitly reaches the real table when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from pglast import ast, parse_sql
from pglast.enums import ObjectType, VariableSetKind
from pglast.parser import ParseError
from pglast.stream import RawStream

SCRATCH_PREFIX = "ybvoyager_scratch_"

_OT = ObjectType
_REL_DROPS = {_OT.OBJECT_TABLE, _OT.OBJECT_INDEX, _OT.OBJECT_VIEW, _OT.OBJECT_SEQUENCE, _OT.OBJECT_MATVIEW,
              _OT.OBJECT_FOREIGN_TABLE}
_ON_TABLE_DROPS = {_OT.OBJECT_TRIGGER, _OT.OBJECT_RULE, _OT.OBJECT_POLICY}
_NAME_DROPS = {_OT.OBJECT_TYPE, _OT.OBJECT_DOMAIN, _OT.OBJECT_FUNCTION, _OT.OBJECT_PROCEDURE, _OT.OBJECT_ROUTINE,
               _OT.OBJECT_AGGREGATE}
# Statement kinds whose every object name we know how to redirect; anything else could reach a real object.
_REDIRECTABLE = (ast.CreateStmt, ast.IndexStmt, ast.ViewStmt, ast.CreateTableAsStmt, ast.CreateFunctionStmt,
                 ast.AlterTableStmt, ast.CreateTrigStmt, ast.CreateSeqStmt, ast.AlterSeqStmt, ast.CreateEnumStmt,
                 ast.AlterEnumStmt, ast.CreateDomainStmt, ast.CompositeTypeStmt, ast.CreateRangeStmt, ast.DropStmt,
                 ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.SelectStmt, ast.CreateStatsStmt,
                 ast.CreateSchemaStmt)
_LITERAL_RELATION_FUNCS = {"nextval", "currval", "setval"}
# Effects a rollback does not undo: session-level locks, other connections (dblink), server files, signals to
# other backends, server configuration. Refused in both modes.
_ESCAPING_FUNCS = {"pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock",
                   "pg_try_advisory_lock_shared", "dblink", "dblink_exec", "dblink_connect", "dblink_connect_u",
                   "dblink_send_query", "dblink_open", "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf",
                   "pg_rotate_logfile", "pg_switch_wal", "pg_create_restore_point", "pg_promote", "lo_import",
                   "lo_export", "pg_file_write", "pg_file_rename", "pg_file_unlink", "pg_logical_emit_message"}
# Scratch mode also refuses what changes the session mid-transaction: a new search_path would send the statements
# after it past the scratch schema, onto real objects a target without transactional DDL keeps changes to.
_SESSION_FUNCS = {"set_config"}


class Refused(Exception):
    """The SQL cannot be redirected safely into the scratch schema, so nothing of it is run."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Source:
    """An existing relation the SQL builds on, copied empty into the scratch schema."""

    oid: int
    schema: str
    name: str
    kind: str


@dataclass
class Plan:
    schema: str
    copies: list[Source] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)
    suggestion: str = ""
    notes: list[str] = field(default_factory=list)


def is_system_schema(name: str) -> bool:
    return name.startswith("pg_") or name == "information_schema"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def refuse_unsafe(texts: list[tuple[str, str]], *, scratch_mode: bool) -> list[str]:
    """Raise Refused if any (what, SQL text) pair holds a statement that would end validation's transaction
    (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, PREPARE TRANSACTION, ...: the driver sends the whole text at once, so
    its COMMIT would commit the changes meant to be rolled back) or whose effect a rollback does not undo; in
    scratch mode also SET/RESET and set_config. Returns the `what` of texts pglast cannot parse, which are not
    checked here."""
    unparsed: list[str] = []
    for what, text in texts:
        try:
            stmts = [raw.stmt for raw in parse_sql(text) if raw.stmt is not None]
        except ParseError:
            unparsed.append(what)
            continue
        for stmt in stmts:
            for node in _walk(stmt):
                _refuse_node(node, what, scratch_mode)
    return unparsed


def _refuse_node(node: Any, what: str, scratch_mode: bool) -> None:
    if isinstance(node, ast.TransactionStmt):
        raise Refused(f"the {what} has a transaction statement ({_text(node)}): validation runs everything in "
                      "its own transaction and rolls it back, which a COMMIT or ROLLBACK in the SQL would defeat "
                      "(a COMMIT would keep the changes in the target)")
    if isinstance(node, (ast.PrepareStmt, ast.DeallocateStmt)):
        raise Refused(f"the {what} has {_text(node)}: a prepared statement belongs to the session, a rollback "
                      "does not remove it")
    if isinstance(node, ast.VariableSetStmt) and node.kind == VariableSetKind.VAR_RESET_ALL:
        raise Refused(f"the {what} has RESET ALL: it would also undo the validation's own statement timeout")
    if scratch_mode and isinstance(node, ast.VariableSetStmt):
        raise Refused(f"the {what} has {_text(node)}: scratch mode refuses SET and RESET, because a new "
                      "search_path would send the later statements past the scratch schema onto real objects, "
                      "and a session setting would stay on the connection")
    if isinstance(node, ast.FuncCall):
        name = _names(node.funcname)[-1].lower()
        if name in _ESCAPING_FUNCS:
            raise Refused(f"the {what} calls {name}(), whose effect a rollback does not undo (it reaches beyond "
                          "the validation's transaction)")
        if scratch_mode and name in _SESSION_FUNCS:
            raise Refused(f"the {what} calls {name}(): scratch mode refuses changing session settings, because a "
                          "new search_path would send the later statements past the scratch schema onto real "
                          "objects")


def _text(node: Any) -> str:
    try:
        return str(RawStream()(node)).strip()
    except Exception:  # pglast raises assorted errors for nodes it cannot print
        return type(node).__name__


def plan(conn: psycopg.Connection[Any], schema: str, setup_sql: list[str], suggested_sql: str) -> Plan:
    """Rewrite the setup and the suggestion into `schema`, resolving unqualified names with the current
    search_path (so call this before changing it). Raises Refused when a statement cannot be redirected."""
    parsed: list[tuple[str, list[Any]]] = [(f"setup statement {n}", _parse(text, "setup"))
                                           for n, text in enumerate(setup_sql, 1)]
    parsed.append(("suggested SQL", _parse(suggested_sql, "suggested SQL") if suggested_sql.strip() else []))
    rewriter = _Rewriter(conn, schema, [s for _, stmts in parsed for s in stmts])
    result = Plan(schema=schema)
    texts: list[str] = []
    for what, stmts in parsed:
        kept = []
        for stmt in stmts:
            if isinstance(stmt, ast.CreateSchemaStmt):
                if stmt.schemaElts:
                    raise Refused(f"{what}: CREATE SCHEMA with elements cannot be redirected into the scratch schema")
                result.notes.append(f"skipped in the {what}: CREATE SCHEMA {stmt.schemaname} (the scratch schema "
                                    "stands in for it)")
                continue
            rewriter.statement(stmt)
            kept.append(stmt)
        try:
            texts.append(";\n".join(str(RawStream()(s)) for s in kept))
        except Exception as exc:  # pglast raises assorted errors for nodes it cannot print
            raise Refused(f"{what}: pglast cannot print the rewritten statement ({exc})") from None
    result.setup = [t for t in texts[:-1] if t]
    result.suggestion = texts[-1]
    result.copies = list(rewriter.copies.values())
    return result


def copy_relation(conn: psycopg.Connection[Any], schema: str, src: Source) -> list[str]:
    """Create an empty stand-in for `src` in the scratch schema; returns the statements run."""
    target = f"{quote(schema)}.{quote(src.name)}"
    original = f"{quote(src.schema)}.{quote(src.name)}"
    if src.kind == "S":
        return _run_all(conn, [f"CREATE SEQUENCE IF NOT EXISTS {target}"])
    partition = ""
    if src.kind == "p":
        row = conn.execute("SELECT pg_get_partkeydef(%s)", (src.oid,)).fetchone()
        partition = f" PARTITION BY {row[0]}" if row and row[0] else ""
    # Indexes are rebuilt below under their real names, so ALTER/DROP INDEX and CLUSTER ON find them.
    ran = _run_all(conn, [f"CREATE TABLE {target} (LIKE {original} INCLUDING ALL EXCLUDING INDEXES){partition}"])
    for name, definition in conn.execute(
            """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid = %s AND contype IN ('p', 'u', 'x') ORDER BY conname""", (src.oid,)).fetchall():
        ran += _run_all(conn, [f"ALTER TABLE {target} ADD CONSTRAINT {quote(name)} {definition}"])
    for (definition,) in conn.execute(
            """SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
               WHERE i.indrelid = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                                                     AND c.conrelid = i.indrelid)
               ORDER BY i.indexrelid""", (src.oid,)).fetchall():
        index: Any = parse_sql(definition)[0].stmt
        index.relation.schemaname = schema
        ran += _run_all(conn, [str(RawStream()(index))])
    # A serial default still points at the real sequence: a probe row would advance it.
    for column, seq in conn.execute(
            """SELECT a.attname, s.relname FROM pg_attrdef d
               JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
               JOIN pg_depend dep ON dep.classid = 'pg_attrdef'::regclass AND dep.objid = d.oid
                                 AND dep.refclassid = 'pg_class'::regclass
               JOIN pg_class s ON s.oid = dep.refobjid AND s.relkind = 'S'
               WHERE d.adrelid = to_regclass(%s) ORDER BY a.attnum""", (target,)).fetchall():
        scratch_seq = f"{quote(schema)}.{quote(seq)}"
        ran += _run_all(conn, [f"CREATE SEQUENCE IF NOT EXISTS {scratch_seq}",
                               f"ALTER TABLE {target} ALTER COLUMN {quote(column)} "
                               f"SET DEFAULT nextval('{scratch_seq}'::regclass)"])
    return ran


def _run_all(conn: psycopg.Connection[Any], stmts: list[str]) -> list[str]:
    for stmt in stmts:
        conn.execute(stmt.encode())
    return stmts


def _parse(text: str, what: str) -> list[Any]:
    try:
        stmts = [raw.stmt for raw in parse_sql(text) if raw.stmt is not None]
    except ParseError as exc:
        raise Refused(f"pglast cannot parse the {what} ({exc}), so it cannot be redirected into the scratch "
                      "schema") from None
    for stmt in stmts:
        if not isinstance(stmt, _REDIRECTABLE) or (isinstance(stmt, ast.DropStmt) and stmt.removeType not in (
                _REL_DROPS | _ON_TABLE_DROPS | _NAME_DROPS)):
            raise Refused(f"the {what} has a {type(stmt).__name__} that scratch mode cannot redirect into the "
                          "scratch schema (it could reach real objects)")
    return stmts


def _names(nodes: Any) -> list[str]:
    return [str(n.sval) for n in nodes or ()]


class _Rewriter:
    def __init__(self, conn: psycopg.Connection[Any], schema: str, stmts: list[Any]) -> None:
        self.conn = conn
        self.schema = schema
        self.copies: dict[str, Source] = {}
        self.relations: set[str] = set()
        self.types: set[str] = set()
        self.functions: set[str] = set()
        self._resolved: dict[tuple[str | None, str], Source | None] = {}
        for stmt in stmts:
            self._collect_created(stmt)

    def _collect_created(self, stmt: Any) -> None:
        rel = None
        if isinstance(stmt, ast.CreateStmt):
            rel = stmt.relation
        elif isinstance(stmt, ast.ViewStmt):
            rel = stmt.view
        elif isinstance(stmt, ast.CreateTableAsStmt) and stmt.into is not None:
            rel = stmt.into.rel
        elif isinstance(stmt, ast.CreateSeqStmt):
            rel = stmt.sequence
        elif isinstance(stmt, ast.CompositeTypeStmt):
            rel = stmt.typevar
        elif isinstance(stmt, ast.IndexStmt) and stmt.idxname:
            self.relations.add(str(stmt.idxname))
        elif isinstance(stmt, ast.CreateFunctionStmt):
            self.functions.add(_names(stmt.funcname)[-1])
        elif isinstance(stmt, (ast.CreateEnumStmt, ast.CreateRangeStmt)):
            self.types.add(_names(stmt.typeName)[-1])
        elif isinstance(stmt, ast.CreateDomainStmt):
            self.types.add(_names(stmt.domainname)[-1])
        if rel is not None:
            self.relations.add(str(rel.relname))
            self.types.add(str(rel.relname))  # a table or composite type is also a row type

    def statement(self, stmt: Any) -> None:
        ctes = {str(n.ctename) for n in _walk(stmt) if isinstance(n, ast.CommonTableExpr)}
        reads = _read_relations(stmt)
        if isinstance(stmt, ast.DropStmt):
            stmt.objects = tuple(self._drop_object(stmt.removeType, obj) for obj in stmt.objects or ())
        for attr in ("funcname", "typeName", "domainname", "defnames"):
            if isinstance(stmt, (ast.CreateFunctionStmt, ast.CreateEnumStmt, ast.AlterEnumStmt, ast.CreateDomainStmt,
                                 ast.CreateRangeStmt, ast.CreateStatsStmt)) and getattr(stmt, attr, None):
                setattr(stmt, attr, self._defined(getattr(stmt, attr)))
        for node in _walk(stmt):
            self._node(node, ctes if id(node) in reads else None)

    def _node(self, node: Any, ctes: set[str] | None) -> None:
        if isinstance(node, ast.RangeVar):
            if self._redirect_relation(node.schemaname, str(node.relname), ctes):
                node.schemaname, node.catalogname = self.schema, None
        elif isinstance(node, ast.TypeName) and node.names:
            node.names = self._used(node.names, self.types)
        elif isinstance(node, ast.FuncCall):
            node.funcname = self._used(node.funcname, self.functions)
            first = node.args[0] if node.args else None
            if _names(node.funcname)[-1] in _LITERAL_RELATION_FUNCS and isinstance(first, ast.A_Const):
                self._literal(first)
        elif isinstance(node, ast.CreateTrigStmt):
            node.funcname = self._used(node.funcname, self.functions)
        elif (isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.A_Const) and node.typeName is not None
              and _names(node.typeName.names)[-1] == "regclass"):
            self._literal(node.arg)

    def _literal(self, const: Any) -> None:
        text = getattr(const.val, "sval", None)
        if not isinstance(text, str) or '"' in text or text.count(".") > 1:
            return  # quoted or catalog-qualified names stay as written (a documented limit)
        parts = text.lower().split(".")
        schema, name = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])
        if self._redirect_relation(schema, name, None):
            const.val = ast.String(sval=f"{quote(self.schema)}.{quote(name)}")

    def _redirect_relation(self, schema: str | None, name: str, ctes: set[str] | None) -> bool:
        """Whether a relation reference must point into the scratch schema; copies an existing one there.

        `ctes` is given only for a read position (FROM, JOIN, USING), the one place an unqualified name can mean
        a CTE or a catalog table. Everywhere else (created, altered, dropped, DML target, index/trigger table,
        foreign key target) the name always goes into the scratch schema: left unqualified it would resolve
        through the search_path, and a CTE of the same name never stands in for a DML target."""
        if ctes is not None:
            if schema is None and name in ctes:
                return False
            if schema is not None and is_system_schema(schema):
                return False
            if name in self.relations:
                return True
            found = self._resolve(schema, name)
            if schema is None and (found is None or is_system_schema(found.schema)):
                return False  # read only: the catalog, or a name that fails as it would on the real target
            self._copy(found)
            return True
        if name not in self.relations:
            found = self._resolve(schema, name)
            if found is not None and not is_system_schema(found.schema):
                self._copy(found)
        return True

    def _drop_object(self, kind: Any, obj: Any) -> Any:
        if kind in _REL_DROPS or kind in _ON_TABLE_DROPS:
            names = _names(obj)
            rel = names[:-1] if kind in _ON_TABLE_DROPS else names
            schema = rel[-2] if len(rel) > 1 else None
            self._redirect_relation(schema, rel[-1], None)
            tail = names[-1:] if kind in _ON_TABLE_DROPS else []
            return tuple(ast.String(sval=p) for p in [self.schema, rel[-1], *tail])
        if isinstance(obj, ast.TypeName):
            obj.names = self._defined(obj.names)
        elif isinstance(obj, ast.ObjectWithArgs):
            obj.objname = self._defined(obj.objname)
        return obj

    def _defined(self, names: Any) -> tuple[Any, ...]:
        """A name a statement creates, alters or drops: always the scratch schema's (a system schema's too, so
        such a statement fails instead of changing the catalog)."""
        return (ast.String(sval=self.schema), ast.String(sval=_names(names)[-1]))

    def _used(self, names: Any, created: set[str]) -> tuple[Any, ...]:
        """A type or function merely used: the scratch copy if the SQL creates it, else the real one (read only)."""
        parts = _names(names)
        if (len(parts) == 1 or not is_system_schema(parts[-2])) and parts[-1] in created:
            return (ast.String(sval=self.schema), ast.String(sval=parts[-1]))
        return tuple(names)

    def _resolve(self, schema: str | None, name: str) -> Source | None:
        key = (schema, name)
        if key not in self._resolved:
            qualified = quote(name) if schema is None else f"{quote(schema)}.{quote(name)}"
            row = self.conn.execute(
                """SELECT c.oid, n.nspname, c.relname, c.relkind, i.indrelid FROM pg_class c
                   JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_index i ON i.indexrelid = c.oid
                   WHERE c.oid = to_regclass(%s)""", (qualified,)).fetchone()
            found = None
            if row is not None:
                found = Source(oid=int(row[0]), schema=str(row[1]), name=str(row[2]), kind=str(row[3]))
                if row[4] is not None:  # an index: copy its table, which rebuilds the index under its name
                    table = self.conn.execute(
                        """SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_class c
                           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = %s""", (row[4],)).fetchone()
                    found = None if table is None else Source(oid=int(table[0]), schema=str(table[1]),
                                                              name=str(table[2]), kind=str(table[3]))
            self._resolved[key] = found
        return self._resolved[key]

    def _copy(self, src: Source | None) -> None:
        if src is None or src.kind not in "rpvmfS" or src.name in self.relations:
            return  # missing: the statement fails on the scratch schema, as it would on the real one
        had = self.copies.get(src.name)
        if had is not None and had.oid != src.oid:
            raise Refused(f"{had.schema}.{src.name} and {src.schema}.{src.name} would both be copied to the one "
                          "scratch schema")
        self.copies[src.name] = src


def _read_relations(stmt: Any) -> set[int]:
    """The ids of the RangeVars in FROM, JOIN and USING lists: the only places a CTE name can be read."""
    found: set[int] = set()
    for node in _walk(stmt):
        stack = [*(getattr(node, "fromClause", None) or ()), *(getattr(node, "usingClause", None) or ())]
        while stack:
            item = stack.pop()
            if isinstance(item, ast.RangeVar):
                found.add(id(item))
            elif isinstance(item, ast.JoinExpr):
                stack.extend((item.larg, item.rarg))
            elif isinstance(item, ast.RangeTableSample):
                stack.append(item.relation)
    return found


def _walk(node: Any) -> list[Any]:
    found: list[Any] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Node):
            found.append(item)
            stack.extend(getattr(item, attr, None) for attr in getattr(type(item), "__slots__", ()))
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
    return found
