"""The command line: main.py gathers the commands (one module each); common.py holds what they
share, printing.py how a run reads on the terminal."""

from pipelines.cli.main import app, main

__all__ = ["app", "main"]
