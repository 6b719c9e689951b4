"""The built-in migration steps, one module each. Importing this package imports every module in it,
and each module registers its step with engine/steps.py."""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
