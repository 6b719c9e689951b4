"""The full-screen face of voyager-tui: Textual screens over the engine, fed by per-target polls."""
