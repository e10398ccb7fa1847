"""`python -m pipelines.cli` is `marketflow`."""

from pipelines.cli.main import main

main()
