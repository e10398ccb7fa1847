"""Bronze: the dlt pipeline (pipeline.py) that merges raw landings (load.py) with one row per
key (dedupe.py), what bronze already holds (state.py), and the universe (universe.py)."""
