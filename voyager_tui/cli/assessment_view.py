"""`voyager-tui assessment view`: the report viewer of one assessment dir, served to a browser (textual-serve).

Every browser session runs its own copy of the viewer as a child process (`… --in-terminal`), so the served app
is exactly the TUI screen, keys and all. The server binds 127.0.0.1 unless told otherwise: the report names
tables and SQL of the source, and textual-serve has no authentication.
"""

from __future__ import annotations

import errno
import os
import shlex
import socket
import sys
from pathlib import Path

import click

from ..engine.assessment.layout import AssessmentDir
from ..engine.assessment.registry import remember_assessment
from ..engine.assessment.report_model import AssessmentReport
from ..engine.errors import VoyagerError

VIEW_HELP = """Open an assessment report in a browser (or, with --in-terminal, right here).

\b
EXAMPLES:
  voyager-tui assessment view --assessment-dir ./shop-assessment
  voyager-tui assessment view --assessment-dir ./shop-assessment --port 9000
  voyager-tui assessment view --assessment-dir ./shop-assessment --in-terminal
"""


def read_report(assessment_dir: Path) -> AssessmentReport:
    """The dir's report, or a VoyagerError that says what to run first."""
    adir = AssessmentDir(assessment_dir)
    if not adir.root.is_dir():
        raise VoyagerError(f"assessment dir {adir.root} does not exist")
    if not adir.report_json.is_file():
        raise VoyagerError(f"{adir.root} has no report yet ({adir.report_json} is missing); run "
                           f"`voyager-tui assessment generate-report --assessment-dir {shlex.quote(str(adir.root))}`")
    from ..engine.assessment.report import load_report

    return load_report(adir.root)


def check_port_free(host: str, port: int) -> None:
    """Fail early, with a sentence, when the address is taken or cannot be bound (the server would log a trace)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise VoyagerError(f"cannot resolve --host {host}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # Same option as aiohttp, so a port in TIME_WAIT counts as free and only a live listener as taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise VoyagerError(f"port {port} on {host} is already in use; pick another with --port") from None
            raise VoyagerError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def serve_command(assessment_dir: Path) -> str:
    """The shell command textual-serve runs for each browser session."""
    return shlex.join([sys.executable, "-m", "voyager_tui.cli.assessment_view", "--assessment-dir",
                       str(assessment_dir), "--in-terminal"])


def _run_in_terminal(assessment_dir: Path, report: AssessmentReport) -> None:
    from ..tui.app import ReportViewerApp

    served = bool(os.environ.get("TEXTUAL_DRIVER"))  # textual-serve's web driver talks over pipes, not a tty
    if not served and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise VoyagerError("--in-terminal needs a terminal; without it the report is served to a browser")
    ReportViewerApp(assessment_dir, report).run()


@click.command("view", help=VIEW_HELP)
@click.option("--assessment-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The assessment dir (holds reports/assessment_report.json).")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Port to serve on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but a loopback address exposes the report without a password.")
@click.option("--in-terminal", is_flag=True, help="Open the viewer in this terminal instead of serving it.")
def view_command(assessment_dir: Path, port: int, host: str, in_terminal: bool) -> None:
    root = assessment_dir.expanduser().resolve()
    report = read_report(root)
    remember_assessment(root)  # so Home lists it from now on, wherever it lives
    if in_terminal:
        _run_in_terminal(root, report)
        return
    check_port_free(host, port)
    from textual_serve.server import Server

    server = Server(serve_command(root), host=host, port=port, title=f"voyager-tui assessment {root.name}")
    click.echo(f"Serving the assessment report of {root} at {server.public_url}  (Ctrl+C stops)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"note: listening on {host}: anyone who can reach it can read the report (no authentication)",
                   err=True)
    sys.stdout.flush()
    try:
        server.serve()
    except OSError as exc:  # lost the race for the port after the check
        raise VoyagerError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


def main() -> None:
    """`python -m voyager_tui.cli.assessment_view`: what the server runs per session, with the CLI's error style."""
    try:
        view_command.main(prog_name="voyager-tui assessment view")
    except VoyagerError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
