"""A project's settings come from its own folder: Soda, when imported, loads the first `.env`
it finds above its own install folder (with the virtualenv inside a repository, that
repository's .env, whatever project runs: another warehouse's owner password, S3 keys).
Only the project's .env (pipelines/config/loader.py) is read."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import REPO, make_project

# python-dotenv's search for ".env" is what would find the repository's; it answers a stray
# file instead, so the test does not write the repository's own .env.
PROBE = textwrap.dedent(
    """
    import os, sys
    import dotenv.main
    dotenv.main.find_dotenv = lambda *a, **k: sys.argv[1]
    from pipelines.config import load_project
    import pipelines.quality.contracts  # Soda's contracts API, as a run imports it
    load_project(sys.argv[2])
    print(os.environ.get("STRAY_SECRET"), os.environ.get("PROJECT_SETTING"))
    """
)


UNSET = ("STRAY_SECRET", "PROJECT_SETTING", "PYTHON_DOTENV_DISABLED")


def test_only_the_projects_dotenv_is_loaded(tmp_path: Path) -> None:
    stray = tmp_path / "elsewhere" / ".env"
    stray.parent.mkdir()
    stray.write_text("STRAY_SECRET=owner-password\n")
    project = make_project(tmp_path / "project")
    (project.root / ".env").write_text("PROJECT_SETTING=from-the-project\n")
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(stray), str(project.config)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if k not in UNSET},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "from-the-project"]
