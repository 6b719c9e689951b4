"""Standalone assessment: collect metadata (live or by DBA-run scripts), find issues, size, estimate, report."""
