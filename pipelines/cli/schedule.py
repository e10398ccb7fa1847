"""`marketflow calendar`: is there a session for this slot? (exit 0 yes, 4 no)"""

from __future__ import annotations

from typing import Annotated

import typer

from pipelines.cli.common import console, guarded, project
from pipelines.config.params import parse_duration
from pipelines.run.options import run_moment
from pipelines.run.schedule import slot


def calendar(
    at: Annotated[
        str | None, typer.Option("--at", help="the moment to ask about (default: now)")
    ] = None,
    session_open: Annotated[
        bool,
        typer.Option(
            "--session-open", help="exit 0 if a session is open (or closed within --grace)"
        ),
    ] = False,
    closed_within: Annotated[
        str | None,
        typer.Option(
            "--closed-within", help="exit 0 if a session closed within this long, e.g. 6h, 90m"
        ),
    ] = None,
    grace: Annotated[str, typer.Option("--grace", help="with --session-open")] = "0m",
) -> None:
    """The exchange calendar for schedulers: is there a session for this slot? Exit 0 yes,
    4 no (a weekend, a holiday, outside hours), so a scheduled job can skip cleanly."""

    def body() -> int:
        loaded = project()
        # Bad durations exit 2 before anything is printed.
        window = parse_duration("closed_within", closed_within) if closed_within else None
        answer = slot(
            loaded,
            run_moment(loaded, at),
            session_open=session_open,
            closed_within=window,
            grace=parse_duration("grace", grace),
        )
        console.print(answer.message)
        return answer.exit_code

    guarded(body)
