from __future__ import annotations

import pytest

from voyager_tui.engine.errors import InvalidTransition
from voyager_tui.engine.phases import (
    PHASE_ORDER,
    Phase,
    PhaseStatus,
    check_transition,
    current_phase,
    missing_prerequisites,
    phase_title,
)

NS, IP, OK, FAIL, SKIP = (PhaseStatus.NOT_STARTED, PhaseStatus.IN_PROGRESS, PhaseStatus.COMPLETED,
                          PhaseStatus.FAILED, PhaseStatus.SKIPPED)


def statuses(**kw: PhaseStatus) -> dict[Phase, PhaseStatus]:
    out = {p: NS for p in PHASE_ORDER}
    out.update({Phase(k): v for k, v in kw.items()})
    return out


def test_order_matches_design() -> None:
    assert [p.value for p in PHASE_ORDER] == [
        "assessment", "export_schema", "analyze_schema", "import_schema", "export_data", "import_data",
        "finalize_schema", "verify", "cutover", "end"]


def test_first_phase_can_start() -> None:
    check_transition(Phase.EXPORT_SCHEMA, IP, statuses())


def test_cannot_start_before_prerequisites() -> None:
    with pytest.raises(InvalidTransition, match="Import Schema cannot start before Analyze Schema"):
        check_transition(Phase.IMPORT_SCHEMA, IP, statuses(export_schema=OK))


def test_import_data_may_follow_a_running_export() -> None:
    s = statuses(export_schema=OK, analyze_schema=OK, import_schema=OK, export_data=IP)
    assert missing_prerequisites(Phase.IMPORT_DATA, s) == []
    s[Phase.EXPORT_DATA] = NS
    assert missing_prerequisites(Phase.IMPORT_DATA, s) == [Phase.EXPORT_DATA]


@pytest.mark.parametrize(("old", "new", "ok"), [
    (NS, OK, False), (NS, FAIL, False), (IP, OK, True), (IP, FAIL, True), (IP, IP, True),
    (FAIL, IP, True), (OK, IP, True), (FAIL, OK, False),
])
def test_status_transitions(old: PhaseStatus, new: PhaseStatus, ok: bool) -> None:
    s = statuses(export_schema=old)
    if ok:
        check_transition(Phase.EXPORT_SCHEMA, new, s)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(Phase.EXPORT_SCHEMA, new, s)


def test_only_optional_phases_skip() -> None:
    check_transition(Phase.ASSESSMENT, SKIP, statuses())
    with pytest.raises(InvalidTransition, match="cannot be skipped"):
        check_transition(Phase.VERIFY, SKIP, statuses())


def test_cutover_runs_once() -> None:
    done = {p: OK for p in PHASE_ORDER} | {Phase.END: NS}
    with pytest.raises(InvalidTransition, match="cannot be run again"):
        check_transition(Phase.CUTOVER, IP, done)


def test_nothing_runs_after_end() -> None:
    with pytest.raises(InvalidTransition, match="has ended"):
        check_transition(Phase.VERIFY, IP, {p: OK for p in PHASE_ORDER})


def test_current_phase_prefers_running_then_failed_then_last_done() -> None:
    assert current_phase(statuses()) == (Phase.EXPORT_SCHEMA, NS)
    assert current_phase(statuses(export_schema=OK)) == (Phase.EXPORT_SCHEMA, OK)
    assert current_phase(statuses(export_schema=OK, analyze_schema=FAIL)) == (Phase.ANALYZE_SCHEMA, FAIL)
    assert current_phase(statuses(export_schema=OK, analyze_schema=FAIL, export_data=IP)) == (Phase.EXPORT_DATA, IP)


def test_phase_title_tolerates_unknown_names() -> None:
    assert phase_title("import_data") == "Import Data"
    assert phase_title("from_the_future") == "from_the_future"
    assert phase_title(None) == ""
