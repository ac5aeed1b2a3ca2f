"""`python -m qc` is the `qc` command (how `qc serve` starts its pipeline worker)."""

from qc.cli import main

main()
