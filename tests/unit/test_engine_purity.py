"""The engine must work with no terminal: it never imports textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import voyager_tui.engine


def test_engine_never_imports_textual() -> None:
    modules = [m.name for m in pkgutil.walk_packages(voyager_tui.engine.__path__, "voyager_tui.engine.")]
    assert "voyager_tui.engine.state_store" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"engine pulled in textual: {out.stdout}"


def test_cli_help_does_not_import_textual() -> None:
    """`voyager-tui migrate status` must start fast: the TUI is imported only when it opens."""
    code = (
        "import sys\nfrom voyager_tui.cli.main import cli\n"
        "print(any(m.startswith('textual') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
