"""Schema analysis: the export manifest, the YugabyteDB issue catalog, and the analyzer that applies it."""
