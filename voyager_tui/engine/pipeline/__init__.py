"""The built-in migration steps, one module per phase, named after it (export_data.py for Phase.EXPORT_DATA).
Each module registers its step with engine/steps.py when imported; engine/steps.py imports them on demand."""
