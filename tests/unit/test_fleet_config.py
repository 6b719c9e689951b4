"""fleet.yaml: a valid file loads with defaults merged; every malformed one gives ONE line naming file, line, field."""

from __future__ import annotations

from pathlib import Path

import pytest

from voyager_tui.engine.assessment.fleet_config import (
    FleetConfig,
    FleetConfigError,
    PasswordRef,
    load_fleet_config,
    resolve_password,
)
from voyager_tui.engine.assessment.layout import SourceDbType
from voyager_tui.engine.errors import VoyagerError

EXAMPLE = """\
version: 1                      # optional
defaults:                       # optional, merged into every cluster
  target-db-version: 2025.2.3.0
  iops-interval: 60
clusters:
  - name: pg-analytics
    source-db-type: postgresql
    host: db1.internal
    port: 5432
    user: assessor
    database: analytics
    ssl-mode: prefer
    schemas: [analytics, reporting]
    password: {env: PG_ANALYTICS_PASSWORD}
  - name: oracle-prod-east
    source-db-type: oracle
    metadata-dir: collected/oracle-prod-east
    schemas: [HR, FINANCE]
    iops-interval: 5
"""

# Three lines every malformed case below builds on: the first cluster starts on line 2.
PG = """\
clusters:
  - name: pg-analytics
    source-db-type: postgresql
    database: analytics
"""


def load(tmp_path: Path, text: str) -> FleetConfig:
    path = tmp_path / "fleet.yaml"
    path.write_text(text, encoding="utf-8")
    return load_fleet_config(path, "fleet.yaml")


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(FleetConfigError) as info:
        load(tmp_path, text)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_example_loads_with_defaults_merged(tmp_path: Path) -> None:
    config = load(tmp_path, EXAMPLE)
    pg, ora = config.clusters
    assert pg.name == "pg-analytics" and pg.source_db_type is SourceDbType.POSTGRESQL
    assert pg.connection_params().label == "assessor@db1.internal:5432/analytics"
    assert pg.connection_params().sslmode == "prefer"
    assert pg.schema_list() == ["analytics", "reporting"]
    assert pg.password == PasswordRef.model_validate({"env": "PG_ANALYTICS_PASSWORD"})
    assert pg.target_db_version == "2025.2.3.0" and pg.iops_interval == 60.0
    assert pg.live
    # A cluster's own value wins over defaults; a relative metadata-dir is relative to the fleet file.
    assert ora.iops_interval == 5.0 and ora.target_db_version == "2025.2.3.0"
    assert ora.metadata_dir == tmp_path / "collected/oracle-prod-east"
    assert not ora.live
    assert ora.describe_source() == f"oracle metadata {tmp_path / 'collected/oracle-prod-east'}"


def test_scalars_stay_as_typed(tmp_path: Path) -> None:
    """2.20 must not become the float 2.2; numbers still become numbers where the model wants them."""
    config = load(tmp_path, "defaults:\n  target-db-version: 2.20\n  port: '5433'\n" + PG)
    (c,) = config.clusters
    assert c.target_db_version == "2.20"
    assert c.connection_params().port == 5433


def test_live_defaults_follow_the_product(tmp_path: Path) -> None:
    (c,) = load(tmp_path, PG).clusters
    p = c.connection_params()
    assert (p.host, p.port, p.user, p.dbname, p.sslmode) == ("127.0.0.1", 5432, "postgres", "analytics", "prefer")
    assert c.schema_list() == ["public"] and c.password is None


def test_yaml_merge_keys_work(tmp_path: Path) -> None:
    text = "clusters:\n  - &pg {name: a, source-db-type: postgresql, database: d, host: h1}\n  - <<: *pg\n    name: b\n"
    a, b = load(tmp_path, text).clusters
    assert a.name == "a"
    assert (b.name, b.host, b.database) == ("b", "h1", "d")


@pytest.mark.parametrize(("text", "expected"), [
    # YAML syntax errors, with the line PyYAML points at
    ("clusters:\n  - name: a\n    schemas: [x\n",
     "fleet.yaml:4: YAML syntax error: expected ',' or ']', but got '<stream end>' "
     "(while parsing a flow sequence started on line 3)"),
    ("clusters:\n\t- name: a\n",
     "fleet.yaml:2: YAML syntax error: found character '\\t' that cannot start any token"),
    (PG + "---\n" + PG,
     "fleet.yaml:5: YAML syntax error: expected a single document in the stream but found another document"),
    ("clusters: !!python/object/apply:os.system [ls]\n",
     "fleet.yaml:1: YAML syntax error: could not determine a constructor for the tag "
     "'tag:yaml.org,2002:python/object/apply:os.system'"),
    # wrong types and values
    (PG + "    port: abc\n",
     "fleet.yaml:5: clusters[0].port: must be a valid integer, unable to parse string as an integer"),
    (PG + "    port: 70000\n", "fleet.yaml:5: clusters[0].port: must be less than or equal to 65535"),
    (PG + "    schemas: public\n", "fleet.yaml:5: clusters[0].schemas: must be a valid list"),
    (PG + "    schemas: []\n", "fleet.yaml:5: clusters[0].schemas: must not be empty"),
    (PG + "    iops-interval: -1\n", "fleet.yaml:5: clusters[0].iops-interval: must be greater than 0"),
    (PG + "    ssl-mode: on\n",
     "fleet.yaml:5: clusters[0].ssl-mode: must be one of disable, allow, prefer, require, verify-ca, verify-full"),
    (PG + "  - name: ora\n    source-db-type: oracel\n    metadata-dir: x\n",
     "fleet.yaml:6: clusters[1].source-db-type: must be one of postgresql, mysql, oracle"),
    ("defaults:\n  target-db-version: 15.4\n" + PG,
     "fleet.yaml:2: defaults.target-db-version: not a YugabyteDB version: '15.4' (series are 2.x or YYYY.N)"),
    ("version: 2\n" + PG, "fleet.yaml:1: version: must be one of 1"),
    ("clusters: abc\n", "fleet.yaml:1: clusters: must be a valid list"),
    ("clusters:\n  - just-a-name\n", "fleet.yaml:2: clusters[0]: must be a valid dictionary"),
    # unknown keys, at every level
    (PG + "    hots: db1\n",
     "fleet.yaml:5: clusters[0].hots: unknown key (allowed: source-db-type, host, port, user, ssl-mode, schemas, "
     "password, target-db-version, iops-interval, statement-timeout, name, database, metadata-dir)"),
    ("colusters: []\n" + PG, "fleet.yaml:1: colusters: unknown key (allowed: version, defaults, clusters)"),
    ("defaults:\n  name: x\n" + PG,
     "fleet.yaml:2: defaults.name: unknown key (allowed: source-db-type, host, port, user, ssl-mode, schemas, "
     "password, target-db-version, iops-interval, statement-timeout)"),
    (PG + "    password: {file: /etc/pw}\n",
     "fleet.yaml:5: clusters[0].password.file: unknown key (allowed: env, keyring)"),
    # password references
    (PG + "    password: {env: A, keyring: svc/user}\n",
     "fleet.yaml:5: clusters[0].password: give exactly one of env or keyring"),
    (PG + "    password: {env: 1A}\n", "fleet.yaml:5: clusters[0].password.env: not an environment variable name: 1A"),
    (PG + "    password: {keyring: justservice}\n",
     "fleet.yaml:5: clusters[0].password.keyring: must be service/user (e.g. voyager-tui/assessor@db1)"),
    # names: required, safe as a directory, not reserved, unique (case-insensitively)
    ("clusters:\n  - source-db-type: mysql\n    metadata-dir: x\n", "fleet.yaml:2: clusters[0].name: required"),
    ("clusters:\n  - name: ../etc\n    source-db-type: mysql\n    metadata-dir: x\n",
     "fleet.yaml:2: clusters[0].name: must be a safe directory name: letters, digits, '.', '_', '-', starting "
     "with a letter or digit, at most 63 characters"),
    ("clusters:\n  - name: Fleet\n    source-db-type: mysql\n    metadata-dir: x\n",
     "fleet.yaml:2: clusters[0].name: 'Fleet' is reserved (the fleet's own output directory)"),
    (PG + "  - name: other\n    source-db-type: mysql\n    metadata-dir: x\n"
          "  - name: PG-Analytics\n    source-db-type: mysql\n    metadata-dir: y\n",
     "fleet.yaml:8: clusters[2].name: duplicate name 'PG-Analytics' (also clusters[0])"),
    # structure
    ("clusters:\n  - name: a\n    metadata-dir: x\n", "fleet.yaml:2: clusters[0].source-db-type: required"),
    ("clusters:\n  - name: a\n    source-db-type: postgresql\n",
     "fleet.yaml:2: clusters[0].database: required for a live postgresql collection (or set metadata-dir)"),
    (PG + "    database: again\n", "fleet.yaml:5: duplicate key 'database'"),
    ("version: 1\n", "fleet.yaml:1: clusters: required"),
    ("clusters: []\n", "fleet.yaml:1: clusters: must not be empty"),
    ("", "fleet.yaml:1: the file is empty; it needs a clusters: list"),
    ("- a\n- b\n", "fleet.yaml:1: expected a mapping with a clusters: list"),
], ids=lambda v: v.split("\n")[-2][:40] if "\n" in v else None)
def test_malformed_gives_one_line(tmp_path: Path, text: str, expected: str) -> None:
    assert error_of(tmp_path, text) == expected


def test_first_problem_in_file_order_is_reported(tmp_path: Path) -> None:
    text = PG + "  - name: b\n    source-db-type: oracel\n    metadata-dir: x\n    port: nope\n"
    text = text.replace("database: analytics", "database: analytics\n    hots: x")
    assert error_of(tmp_path, text).startswith("fleet.yaml:5: clusters[0].hots: unknown key")


@pytest.mark.parametrize("value", ["s3cret-Pa55", "12345", "'quoted secret'", "yes"])
def test_inline_password_is_rejected_without_echoing_it(tmp_path: Path, value: str) -> None:
    message = error_of(tmp_path, PG + f"    password: {value}\n")
    assert message == ("fleet.yaml:5: clusters[0].password: inline passwords are not allowed; use "
                       "{env: VAR_NAME} or {keyring: service/user}")
    assert value.strip("'") not in message


def test_unreadable_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_bytes(b"clusters:\n  - name: \xff\n")
    with pytest.raises(FleetConfigError, match=r"^fleet\.yaml: cannot read: .*utf-8"):
        load_fleet_config(path, "fleet.yaml")
    with pytest.raises(FleetConfigError, match=r"nope\.yaml: cannot read: .*No such file"):
        load_fleet_config(tmp_path / "nope.yaml")


def test_resolve_password_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = PasswordRef.model_validate({"env": "VT_FLEET_TEST_PW"})
    monkeypatch.setenv("VT_FLEET_TEST_PW", "hunter2")
    assert resolve_password(ref) == "hunter2"
    monkeypatch.delenv("VT_FLEET_TEST_PW")
    with pytest.raises(VoyagerError, match=r"^password: environment variable VT_FLEET_TEST_PW is not set$"):
        resolve_password(ref)
    assert resolve_password(None) is None


def test_resolve_password_without_keyring_backend_is_one_line() -> None:
    # The isolated_env fixture selects keyring's null backend, as on a headless Linux box.
    ref = PasswordRef.model_validate({"keyring": "voyager-tui/assessor@db1:5432/analytics"})
    assert ref.keyring_parts() == ("voyager-tui", "assessor@db1:5432/analytics")
    with pytest.raises(VoyagerError, match=r"^password: (keyring voyager-tui/\S+ unusable|no keyring entry)"):
        resolve_password(ref)
