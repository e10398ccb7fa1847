"""The run layer: what each command does (execute.py, demo.py, backtests.py, schedule.py), the
pipeline runner (pipeline.py, options.py), its summary, the exit-code policy (outcome.py) and
the run log with its alerts (runlog.py)."""
