"""The Dagster code location: thin wiring of the ``observatory`` library into assets, checks and a schedule."""
