"""Processes a run forks (SQLMesh loads a project in a pool of forked workers) die with it.

A SIGKILLed parent runs no cleanup, and a forked worker blocked on its pipe would otherwise sit
there, re-parented to init, for as long as the machine runs. Every child forked from here on
asks the kernel (Linux's PR_SET_PDEATHSIG) for SIGKILL when its parent dies, and exits at once
if the parent died before it could ask. Processes started with exec (npm, the PostgreSQL
binaries) are not forked through Python and are not affected.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
_parent = {"pid": 0}
_installed = {"done": False}


def _before_fork() -> None:
    _parent["pid"] = os.getpid()


def _in_child() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != _parent["pid"]:  # the parent died between fork and prctl
        os._exit(1)


def die_with_parent() -> None:
    """From now on, every child this process forks dies when this process does."""
    if _installed["done"] or not sys.platform.startswith("linux"):
        return
    os.register_at_fork(before=_before_fork, after_in_child=_in_child)
    _installed["done"] = True
