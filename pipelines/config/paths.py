"""The directories the product deletes or rewrites (the API's snapshots, the report's build)
must be its own: never the project, a parent of it, or a place holding its other data (the raw
store, a drop folder, dlt's folder, the warehouse file, the Evidence project), and never inside
each other. Checked when config.yaml loads, before anything is written; and inside them the
product deletes only what carries its marker (OWNED_MARKER)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipelines.config.errors import ConfigError
from pipelines.config.schema import Settings

OWNED_MARKER = ".marketflow-owned"  # in every directory the product created and may delete


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or child.is_relative_to(parent)


def check_owned_dirs(
    root: Path,
    settings: Settings,
    warehouse_files: list[Path],
    resolve: Callable[[str], Path],
    where: str,
) -> None:
    """ConfigError naming the key of an owned directory that is not the product's to delete."""
    local_raw = [] if "://" in settings.storage.raw_url else [resolve(settings.storage.raw_url)]
    data = {
        "storage.raw_url": local_raw,
        "pipelines_dir": [resolve(settings.pipelines_dir)],
        "providers.<name>.drop_folder": [
            resolve(p.drop_folder) for p in settings.providers.values() if hasattr(p, "drop_folder")
        ],
    }
    site = resolve(settings.report.site_dir)
    owned = {
        "api.snapshot_dir": resolve(settings.api.snapshot_dir),
        "report.build_dir": resolve(settings.report.build_dir),
    }
    problems = {
        key: _problem(root, path, site, warehouse_files, data) for key, path in owned.items()
    }
    for key, path in owned.items():
        for other, other_path in owned.items():
            if not problems[key] and other != key and _inside(path, other_path):
                problems[key] = f"lies inside {other}"
    lines = [
        f"  variables.marketflow.{key}: {owned[key]} {problem}"
        for key, problem in problems.items()
        if problem
    ]
    if lines:
        raise ConfigError(
            f"{where}: directories the product deletes what is in, so each must be its own "
            "(e.g. the default):\n" + "\n".join(lines)
        )


def _problem(
    root: Path, path: Path, site: Path, files: list[Path], data: dict[str, list[Path]]
) -> str | None:
    if _inside(root, path):
        return "is the project folder or holds it"
    if any(_inside(f, path) for f in files):
        return "holds the warehouse file"
    if _inside(site, path) or (_inside(path, site) and path != site / "build"):
        return f"overlaps the Evidence project ({site})"
    for what, paths in data.items():
        if any(_inside(p, path) or _inside(path, p) for p in paths):
            return f"overlaps {what}"
    return None
