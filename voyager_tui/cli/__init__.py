"""The scriptable face of voyager-tui: parse arguments, call the engine, print with rich."""
