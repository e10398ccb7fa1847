"""`marketflow check`: every data-quality check, as a table or JSON."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from pipelines.cli.common import AsOfOpt, GatewayOpt, console, guarded, print_logged, project
from pipelines.cli.printing import print_checks, tally
from pipelines.quality.results import failed, problems
from pipelines.run.execute import execute_check
from pipelines.run.options import run_moment


def check(
    as_of: AsOfOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    only_problems: Annotated[
        bool, typer.Option("--problems", help="only the checks that warn or fail, then a count")
    ] = False,
    gateway: GatewayOpt = None,
) -> None:
    """Data-quality checks, as a table or JSON; exit 3 when a fail-level check fails."""

    def body() -> int:
        loaded = project(gateway)
        moment = run_moment(loaded, as_of)
        outcome = execute_check(loaded, moment)
        if as_json:
            shown = problems(outcome.results) if only_problems else outcome.results
            payload = {
                "run_id": outcome.record.run_id,
                "as_of": moment.isoformat(),
                "checks": [r.as_dict() for r in shown],
                "failed": len(failed(outcome.results)),
            }
            sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
        else:
            print_checks(outcome.results, only_problems=only_problems)
            if only_problems:
                count = f"{len(outcome.results)}: {tally(outcome.results, every=True)}"
                console.print(f"[bold]Checks[/bold]: {count}")
        print_logged(outcome.logged)
        return outcome.exit_code

    guarded(body)
