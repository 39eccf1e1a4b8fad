"""One module per source: where its files are, how they are read and validated, and what lands in staging."""
