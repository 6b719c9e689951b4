"""Everything that is not UI. This package never imports textual (tests/unit/test_engine_purity.py)."""
