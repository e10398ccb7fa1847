"""The two errors a user can fix by changing what they typed: exit code 2 on the command line,
HTTP 422 (or 404) in the API."""

from __future__ import annotations


class ConfigError(Exception):
    """Invalid configuration or arguments; the message names the file and key, or the flag."""


class ParameterError(ConfigError):
    """One bad parameter: a command-line flag or an API query parameter, by its name (`as_of`,
    `start`) and what is wrong with the value. The CLI shows `--as-of: <message>`, the API
    answers {"error": {"parameter": "as_of", "message": <message>}}."""

    def __init__(self, parameter: str, message: str, status: int = 422) -> None:
        self.parameter, self.message, self.status = parameter, message, status
        super().__init__(f"--{parameter.replace('_', '-')}: {message}")


def yaml_error(path: object, exc: Exception) -> ConfigError:
    """A YAML file that does not parse (PyYAML's or ruamel's error): `<file>, line L, column C:
    <problem>`, the position of the problem itself."""
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return ConfigError(f"{path}: {exc}")
    return ConfigError(
        f"{path}, line {mark.line + 1}, column {mark.column + 1}: {getattr(exc, 'problem', exc)}"
    )
