"""fleet.yaml: the databases a fleet assessment covers, validated strictly, with errors that name file, line and field.

The file is read twice over one parse: PyYAML composes a node tree (which keeps line numbers), the tree is
constructed into plain data, pydantic validates that data, and every pydantic error location is walked back
through the node tree to the line it came from. A malformed file therefore gives exactly one line such as
`fleet.yaml:7: clusters[1].source-db-type: must be one of postgresql, mysql, oracle`.

Scalars are read as strings (only `null` and merge keys `<<` keep their YAML meaning): `target-db-version: 2.20`
must stay "2.20", not become the float 2.2, and pydantic converts "5432" to an int where a number is wanted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from ..connections import ConnectionParams, SslMode
from ..errors import VoyagerError
from ..yb_versions import YBVersion
from .layout import SourceDbType

RESERVED_NAMES = frozenset({"fleet"})
"""`fleet` is the fleet's own output directory (F/fleet/), so no database may be called that."""

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DEFAULT_PORTS = {SourceDbType.POSTGRESQL: 5432, SourceDbType.MYSQL: 3306, SourceDbType.ORACLE: 1521}
_DEFAULT_USERS = {SourceDbType.POSTGRESQL: "postgres", SourceDbType.MYSQL: "root", SourceDbType.ORACLE: "system"}

Loc = tuple[str | int, ...]


class FleetConfigError(VoyagerError):
    """A malformed fleet.yaml; the message is one line `file:line: field: problem`."""

    def __init__(self, path: str, line: int | None, field: str, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=_kebab)


class PasswordRef(_Strict):
    """Where a password lives: an environment variable, or an OS keyring entry `service/user`."""

    env: str | None = None
    keyring: str | None = None

    @field_validator("env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_RE.match(value):
            raise PydanticCustomError("env_name", "not an environment variable name: {value}", {"value": value})
        return value

    @field_validator("keyring")
    @classmethod
    def _keyring_ref(cls, value: str | None) -> str | None:
        if value is not None:
            service, _, user = value.partition("/")
            if not service or not user:
                raise PydanticCustomError("keyring_ref", "must be service/user (e.g. voyager-tui/assessor@db1)")
        return value

    def keyring_parts(self) -> tuple[str, str]:
        """(service, user): split at the first slash, since this tool's own keyring accounts contain slashes."""
        assert self.keyring is not None
        service, _, user = self.keyring.partition("/")
        return service, user

    def describe(self) -> str:
        return f"env {self.env}" if self.env is not None else f"keyring {self.keyring}"


def _password_ref(value: Any) -> Any:
    # An inline string would put a secret into a file that gets copied, committed and mailed around.
    if isinstance(value, str | int | float | bool):
        raise PydanticCustomError(
            "inline_password", "inline passwords are not allowed; use {env} or {keyring}",
            {"env": "{env: VAR_NAME}", "keyring": "{keyring: service/user}"},
        )
    if isinstance(value, dict) and set(value) <= {"env", "keyring"}:  # unknown keys: the model names them
        given = [k for k in ("env", "keyring") if value.get(k) is not None]
        if len(given) != 1:
            raise PydanticCustomError("password_ref", "give exactly one of env or keyring")
    return value


class _Settings(_Strict):
    """Keys a cluster may take from `defaults:`."""

    source_db_type: SourceDbType | None = None
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    user: str | None = None
    ssl_mode: SslMode | None = None
    schemas: list[str] | None = Field(default=None, min_length=1)
    password: PasswordRef | None = None
    target_db_version: str | None = None
    iops_interval: float | None = Field(default=None, gt=0, le=3600, allow_inf_nan=False)
    """Seconds between the two IOPS samples of a live collection."""
    statement_timeout: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    """Seconds any one catalog query of a live collection may run."""

    @field_validator("password", mode="before")
    @classmethod
    def _no_inline_password(cls, value: Any) -> Any:
        return _password_ref(value)

    @field_validator("target_db_version")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                YBVersion.parse(value)
            except VoyagerError as exc:
                raise PydanticCustomError("yb_version", str(exc)) from None
        return value

    @field_validator("schemas")
    @classmethod
    def _schema_names(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not s.strip() for s in value):
            raise PydanticCustomError("schema_name", "schema names must not be empty")
        return value


class FleetDefaults(_Settings):
    pass


class ClusterConfig(_Settings):
    """One database of the fleet, after `defaults:` were merged in."""

    name: str
    source_db_type: SourceDbType  # required here, optional in defaults
    database: str | None = None
    metadata_dir: Path | None = None
    """Metadata collected by the generate-scripts scripts; when set, it is ingested instead of connecting."""

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if not _NAME_RE.match(value):
            raise PydanticCustomError(
                "cluster_name",
                "must be a safe directory name: letters, digits, '.', '_', '-', starting with a letter or digit, "
                "at most 63 characters",
            )
        if value.lower() in RESERVED_NAMES:
            raise PydanticCustomError("cluster_name", "'{value}' is reserved (the fleet's own output directory)",
                                      {"value": value})
        return value

    @property
    def live(self) -> bool:
        return self.metadata_dir is None

    def connection_params(self) -> ConnectionParams:
        """Where to connect, with the product's defaults (127.0.0.1, the type's port and admin user)."""
        return ConnectionParams(
            host=self.host or "127.0.0.1",
            port=self.port or _DEFAULT_PORTS[self.source_db_type],
            user=self.user or _DEFAULT_USERS[self.source_db_type],
            dbname=self.database or "",
            sslmode=self.ssl_mode or "prefer",
        )

    def schema_list(self) -> list[str]:
        return list(self.schemas) if self.schemas else ["public"]

    def describe_source(self) -> str:
        if self.metadata_dir is not None:
            return f"{self.source_db_type.value} metadata {self.metadata_dir}"
        return f"live {self.source_db_type.value} {self.connection_params().label}"


class FleetConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: Path
    version: int = 1
    clusters: list[ClusterConfig]


class _Top(_Strict):
    version: Literal[1] = 1
    defaults: FleetDefaults | None = None
    clusters: list[dict[str, Any]] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_number(cls, value: Any) -> Any:
        return int(value) if isinstance(value, str) and value.strip().isdigit() else value


# Only null and merge keys are resolved implicitly; everything else stays the string the user typed.
class _Loader(yaml.SafeLoader):
    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def load_fleet_config(path: Path, display: str | None = None) -> FleetConfig:
    """Read and validate a fleet.yaml. Raises FleetConfigError with one line naming file, line and field.

    `display` is how the file is named in messages (default: the path as given).
    """
    shown = display if display is not None else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FleetConfigError(shown, None, "", f"cannot read: {exc}") from None
    root, data = _parse(text, shown)
    if root is None:
        raise FleetConfigError(shown, 1, "", "the file is empty; it needs a clusters: list")
    if not isinstance(data, dict):
        raise FleetConfigError(shown, _line(root, ()), "", "expected a mapping with a clusters: list")

    try:
        top = _Top.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, (), root, shown) from None

    base = {k: v for k, v in (data.get("defaults") or {}).items()}
    clusters: list[ClusterConfig] = []
    problems: list[tuple[Loc, str]] = []
    errors: list[FleetConfigError] = []
    for i, raw in enumerate(top.clusters):
        try:
            cluster = ClusterConfig.model_validate({**base, **raw})
        except ValidationError as exc:
            errors.append(_first_error(exc, ("clusters", i), root, shown))
            continue
        if cluster.metadata_dir is not None and not cluster.metadata_dir.is_absolute():
            # Relative to the file, so a fleet.yaml and its collected dirs can move together.
            cluster = cluster.model_copy(update={"metadata_dir": path.parent / cluster.metadata_dir})
        if cluster.live and cluster.source_db_type is SourceDbType.POSTGRESQL and not cluster.database:
            problems.append((("clusters", i, "database"),
                             "required for a live postgresql collection (or set metadata-dir)"))
        clusters.append(cluster)
    problems.extend(_duplicate_names(top.clusters))
    errors.extend(FleetConfigError(shown, _line(root, loc), _field(loc), msg) for loc, msg in problems)
    if errors:
        raise min(errors, key=lambda e: e.line or 0)
    return FleetConfig(path=path, version=top.version, clusters=clusters)


def _parse(text: str, shown: str) -> tuple[yaml.Node | None, Any]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_duplicate_keys(node, shown)  # before constructing: that flattens merge keys into the node
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed"
        if exc.context and exc.problem and exc.problem.startswith("but "):
            problem = f"{exc.context} {exc.problem}"  # "expected a single document ... but found another"
        elif exc.context and exc.problem and exc.context_mark is not None:
            # PyYAML's two-part messages: "while parsing X (started on line N)" is where to look.
            problem += f" ({exc.context} started on line {exc.context_mark.line + 1})"
        raise FleetConfigError(shown, line, "", f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise FleetConfigError(shown, None, "", f"YAML syntax error: {exc}") from None
    finally:
        loader.dispose()
    return node, data


def _check_duplicate_keys(node: yaml.Node, shown: str) -> None:
    """PyYAML keeps the last of two equal keys silently; a fleet file with two `host:` lines is a mistake."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                if key.value in seen:
                    raise FleetConfigError(shown, key.start_mark.line + 1, "", f"duplicate key '{key.value}'")
                seen.add(key.value)
            _check_duplicate_keys(value, shown)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, shown)


def _duplicate_names(clusters: Sequence[dict[str, Any]]) -> list[tuple[Loc, str]]:
    # Case-folded: the names become directories, and macOS/Windows file systems ignore case.
    first: dict[str, int] = {}
    out: list[tuple[Loc, str]] = []
    for i, raw in enumerate(clusters):
        name = raw.get("name")
        if not isinstance(name, str):
            continue
        key = name.casefold()
        if key in first:
            out.append((("clusters", i, "name"), f"duplicate name '{name}' (also clusters[{first[key]}])"))
        else:
            first[key] = i
    return out


def _first_error(exc: ValidationError, prefix: Loc, root: yaml.Node, shown: str) -> FleetConfigError:
    found = []
    for err in exc.errors(include_url=False, include_input=False):
        loc: Loc = prefix + tuple(err["loc"])
        found.append(FleetConfigError(shown, _line(root, loc), _field(loc), _message(err, loc)))
    return min(found, key=lambda e: e.line or 0)


def _message(err: Any, loc: Loc) -> str:
    kind: str = err["type"]
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return f"unknown key (allowed: {', '.join(allowed)})" if allowed else "unknown key"
    if kind == "too_short":
        return "must not be empty"
    if kind in ("enum", "literal_error"):
        expected = str(err.get("ctx", {}).get("expected", ""))
        choices = [c.strip().strip("'\"") for c in re.split(r",| or ", expected) if c.strip()]
        return f"must be one of {', '.join(choices)}"
    msg = str(err["msg"])
    if msg.startswith("Input should be "):
        return "must be " + msg[len("Input should be "):]
    if msg.startswith("Value error, "):
        return msg[len("Value error, "):]
    return msg


def _allowed_keys(loc: Loc) -> list[str]:
    model: type[BaseModel] | None = None
    if loc == ():
        model = _Top
    elif loc == ("defaults",):
        model = FleetDefaults
    elif len(loc) == 2 and loc[0] == "clusters":
        model = ClusterConfig
    elif loc and loc[-1] == "password":
        model = PasswordRef
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _field(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _line(root: yaml.Node, loc: Loc) -> int:
    """The line of the key at `loc`; for a key that is absent, the line where its mapping starts."""
    node = root
    line: int = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def resolve_password(ref: PasswordRef | None) -> str | None:
    """The password a reference points at; None without a reference (libpq then uses ~/.pgpass, trust, ...).

    Raises VoyagerError (one line, never the secret) when the variable is unset or the keyring has no entry.
    """
    if ref is None:
        return None
    if ref.env is not None:
        value = os.environ.get(ref.env)
        if not value:
            raise VoyagerError(f"password: environment variable {ref.env} is not set")
        return value
    from ..secrets import keyring_available

    ok, why = keyring_available()
    if not ok:
        raise VoyagerError(f"password: keyring {ref.keyring} unusable: {why}")
    import keyring

    service, user = ref.keyring_parts()
    try:
        value = keyring.get_password(service, user)
    except Exception as exc:  # backends raise their own types; the message never holds the secret
        raise VoyagerError(f"password: keyring {ref.keyring}: {exc}") from None
    if not value:
        raise VoyagerError(f"password: no keyring entry for service '{service}' user '{user}'")
    return value
