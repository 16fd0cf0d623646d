"""The operator's command line answers bad input and an unprepared database in one line each:
never a traceback."""

from __future__ import annotations

import pytest

from service import cli
from tests.commands import run_service


@pytest.mark.parametrize(
    "argv",
    [
        ["cleanups", "replay", "99999999999999999999"],  # beyond bigint
        ["cleanups", "replay", "9223372036854775808"],  # bigint max + 1
        ["cleanups", "replay", "-1"],
        ["cleanups", "replay", "0"],
        ["cleanups", "replay", "²"],
        ["cleanups", "list", "--limit", "0"],
        ["events", "list", "--limit", "-5"],
        ["events", "list", "--limit", "1" + "0" * 30],
        ["events", "show", "\udcff"],  # an undecodable byte on the command line
        ["events", "replay", "\udcff"],
    ],
)
def test_ids_and_limits_a_column_cannot_hold_are_refused_before_any_database(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"mux-lessons {argv[0]} {argv[1]}: error: argument" in err
    assert "Traceback" not in err


def test_the_largest_cleanup_id_is_accepted() -> None:
    args = cli.build_parser().parse_args(["cleanups", "replay", "9223372036854775807"])
    assert args.cleanup_id == 2**63 - 1


def test_an_unmigrated_database_is_named_in_one_line(
    scratch_database: str, repo_env: dict[str, str]
) -> None:
    for argv in (["events", "list"], ["cleanups", "replay", "1"], ["events", "show", "x"]):
        done = run_service(*argv, env={**repo_env, "DATABASE_URL": scratch_database})
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("database error: ")
        assert "`mux-lessons migrate` applies the migrations it ships" in line
