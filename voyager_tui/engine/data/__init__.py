"""Moving rows: source table discovery, chunk planning, export, import with an exactly-once ledger, verify."""
