"""`voyager-tui ai …`: AI-assisted fixes that are proven on the target before anyone accepts them."""

from __future__ import annotations

import getpass
import os
import shlex
import socket
from pathlib import Path
from typing import Any

import click

from ..engine.errors import ConfigError, VoyagerError
from ..engine.paths import app_paths
from .lazy import LazyGroup
from .options import migration_options, migration_selector, target_options, target_params, tty_prompt

AI_HELP = """AI-assisted schema fixes, each run on the real target before you decide.

\b
  voyager-tui ai configure        endpoint and model of an OpenAI-compatible LLM
  voyager-tui ai convert          suggest fixes for the objects import schema could not create
  voyager-tui ai analyze-queries  index and colocation advice from an assessment's query statistics
  voyager-tui ai troubleshoot     advice on a running import; can change its parallelism live

\b
  The built-in rule provider works offline; the LLM provider is optional.
  Only DDL and metadata are sent to an LLM, never row data.
"""


@click.group("ai", cls=LazyGroup, help=AI_HELP)
def ai() -> None:
    pass


@ai.command("configure")
@click.option("--endpoint", required=True, help="OpenAI-compatible base URL, e.g. https://api.openai.com/v1.")
@click.option("--model", required=True, help="Model name, e.g. gpt-4o-mini.")
@click.option("--api-key-from-env", "key_mode", flag_value="env", default=True,
              help="Read the key from VOYAGER_TUI_AI_API_KEY when it is used (default; nothing is stored).")
@click.option("--store-key", "key_mode", flag_value="store",
              help="Ask for the key (hidden input) and store it in the OS keyring.")
def configure_cmd(endpoint: str, model: str, key_mode: str) -> None:
    """Save the LLM endpoint and model in config.toml; the API key never goes there nor on the command line."""
    from ..engine.ai.ai_config import API_KEY_ENV, configure_ai
    from ..engine.secrets import keyring_available

    paths = app_paths()
    key: str | None = None
    if key_mode == "store":
        ok, why = keyring_available()
        if not ok:
            raise ConfigError(f"cannot store the API key: {why}; set {API_KEY_ENV} in the environment instead "
                              "and use --api-key-from-env")
        key = click.prompt("API key", hide_input=True, err=True).strip()
        if not key:
            raise ConfigError("the API key is empty")
    settings = configure_ai(paths, endpoint, model, key)
    click.echo(f"Saved AI endpoint {settings.endpoint} and model {settings.model} in {paths.config_file}")
    if key:
        click.echo("API key stored in the OS keyring (service voyager-tui, account ai-api-key)")
    elif os.environ.get(API_KEY_ENV):
        click.echo(f"API key: read from {API_KEY_ENV} when the LLM is used")
    else:
        click.echo(f"API key: none yet; set {API_KEY_ENV} (endpoints that need no key work without it)")


@ai.command("convert")
@migration_options
@target_options
@click.option("--export-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The migration's export dir on this machine (default: the one registered with the migration).")
@click.option("--schema-file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="A failed.sql to convert instead of a migration's; fixes are written to the objects.json "
                   "next to it when there is one.")
@click.option("--provider", type=click.Choice(["rules", "llm", "auto"]), default="auto", show_default=True,
              help="rules: built-in rules only; llm: rules, then the LLM for the rest (must be configured); "
                   "auto: like llm when the LLM is configured, else rules only.")
@click.option("--target-db-version", default=None,
              help="YugabyteDB version the issues are looked up for (default: the target's, else the latest).")
@click.option("--yes", "answer", flag_value="y", help="Accept every VALID suggestion without asking.")
@click.option("--review", "answer", flag_value="review", help="Decide one suggestion at a time.")
def convert_cmd(**kw: Any) -> None:
    """Suggest a fix for each object import schema could not create, prove it on the target, apply accepted ones."""
    from ..engine.ai import store as ai_store
    from ..engine.ai.ai_config import load_llm_provider
    from ..engine.ai.convert import apply_fixes, build_problems, propose, read_failed_sql
    from ..engine.ai.models import Decision, ValidationStatus
    from ..engine.ai.rules import suggest as rule_suggest
    from ..engine.connections import connect_pg, detect_target
    from ..engine.next_step import step_argv
    from ..engine.phases import Phase
    from ..engine.pipeline.analyze_schema import default_target_version
    from ..engine.schema.manifest import load_manifest
    from ..engine.secrets import DbRole
    from ..engine.state_store import StateStore
    from ..engine.yb_versions import LATEST_STABLE

    target = target_params(kw)
    name, uid = migration_selector(kw)
    schema_file: Path | None = kw["schema_file"]
    providers: list[Any] = [rule_suggest]
    if kw["provider"] != "rules":
        try:
            providers.append(load_llm_provider().suggest)
        except ConfigError:
            if kw["provider"] == "llm":
                raise
    out = click.echo
    with connect_pg(target, DbRole.TARGET, prompt=tty_prompt, application_name="voyager-tui-ai") as conn:
        store = StateStore(conn, create=True)
        migration = store.resolve_migration(name, uid) if schema_file is None or name or uid else None
        if schema_file is not None:
            failed_path = schema_file
        else:
            assert migration is not None
            root = kw["export_dir"] or (Path(migration.export_dir) if migration.export_dir else None)
            if root is None:
                raise VoyagerError(f"migration {migration.migration_name} has no export dir registered: "
                                   "pass --export-dir")
            failed_path = root / "schema" / "failed.sql"
        manifest_path = failed_path.parent / "objects.json"
        manifest = load_manifest(manifest_path) if manifest_path.is_file() else None
        failed = read_failed_sql(failed_path)
        if not failed:
            out("No failed objects: nothing to convert")
            return
        version = kw["target_db_version"] or (default_target_version(migration) if migration else LATEST_STABLE)
        items = build_problems(failed, manifest, version, failed_path.name)
        target_name = detect_target(conn).short
        final = propose(conn, items, providers, migration.migration_uuid if migration else None)

        out(f"AI Analysis: Found {len(items)} unsupported constructs")
        for n, (item, s) in enumerate(zip(items, final, strict=True), 1):
            _print_item(n, item.label, item.problem.issue_type, item.file, item.problem.original_sql, s, target_name,
                        item.provider_error)
        candidates = [(item, s) for item, s in zip(items, final, strict=True) if s is not None]
        if not candidates:
            out("No suggestions: fix these objects by hand (or configure the LLM provider), then re-run import schema")
            return
        answer = kw["answer"] or _ask("Apply suggestions? [y/n/review]", ["y", "n", "review"], "n")
        who = f"{getpass.getuser()}@{socket.gethostname()}"
        accepted: dict[str, str] = {}
        for n, (item, s) in enumerate(candidates, 1):
            if answer == "n":
                break
            valid = s.validation_status == ValidationStatus.VALID
            if answer == "review":
                choice = _ask(f"Issue {n} ({item.label}): accept, reject or skip? [a/r/s]", ["a", "r", "s"], "s")
                if choice == "s":
                    continue
                if choice == "a" and not valid:
                    out(f"  cannot accept: validation is {s.validation_status.value}")
                    continue
                decision = Decision.ACCEPTED if choice == "a" else Decision.REJECTED
            elif not valid:
                continue
            else:
                decision = Decision.ACCEPTED
            ai_store.decide(conn, s.suggestion_id, decision, who)
            if decision == Decision.ACCEPTED:
                accepted[item.label] = s.suggested_sql
        if answer == "n":
            out(f"Left {len(candidates)} suggestion(s) pending in ybvoyager.suggestions")
            return
        out(f"Accepted {len(accepted)} suggestion(s) as {who}")
        if not accepted:
            return
        if manifest is None:
            out(f"Not written: no objects.json next to {failed_path}; apply the accepted SQL by hand")
            return
        kept = apply_fixes(manifest_path, accepted)
        out(f"Wrote the accepted fixes into {manifest_path} (original kept as {kept})")
        if migration is not None:
            argv = step_argv(Phase.IMPORT_SCHEMA, migration, target)
            if kw["export_dir"]:
                argv += ["--export-dir", str(kw["export_dir"])]
            out("Re-run import schema for them:")
            out("  " + shlex.join(argv))


def _print_item(n: int, label: str, issue: str, file: str, original: str, s: Any, target_name: str,
                provider_error: str | None = None) -> None:
    out = click.echo
    out(f"Issue {n}: {issue} — {label} (schema/{file})")
    out(f"├── Original: {_one(original)}")
    if s is None:
        why = (f"{_one(provider_error)}; fix it by hand" if provider_error
               else "no rule fixes this; fix it by hand or use the LLM provider")
        out(f"└── Suggested: none ({why})")
        return
    out(f"├── Suggested: {_one(s.suggested_sql) or '(drop the object)'}")
    out(f"├── Reason: {s.reason}")
    for caveat in s.caveats:
        out(f"├── Caveat: {caveat}")
    if s.validation_status.value == "VALID":
        out(f"└── Validation: VALID on {target_name}")
    else:
        error = next((line for line in reversed(s.validation_evidence.splitlines())
                      if "error" in line or "rejected" in line or "failed" in line), s.validation_evidence)
        out(f"└── Validation: INVALID: {error}")


def _one(text: str) -> str:
    return " ".join(text.split())


def _ask(question: str, choices: list[str], default: str) -> str:
    try:
        value: str = click.prompt(question, type=click.Choice(choices), default=default, show_choices=False,
                                  show_default=False)
    except click.Abort:
        return default  # no terminal answer (EOF): the safe choice, nothing decided
    return value


def _analyze_queries() -> click.Command:
    from .ai_queries import analyze_queries_cmd

    return analyze_queries_cmd


def _troubleshoot() -> click.Command:
    from .ai_troubleshoot import troubleshoot_cmd

    return troubleshoot_cmd


ai.add_lazy("analyze-queries", _analyze_queries)
ai.add_lazy("troubleshoot", _troubleshoot)
