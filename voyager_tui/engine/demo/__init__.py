"""The zero-setup demo: an embedded PostgreSQL source with a small sample database."""
