"""The one gate to the optional heavy stack: torch, sparseml, onnx, onnxruntime, deepsparse.

Everything in :mod:`recipe_studio.bridge` imports these through :func:`require`, inside
functions, so that `import recipe_studio` and `recipe-studio lint` never pay for them and a
missing extra is one clear message instead of a traceback.

Network: SparseML, SparseZoo and DeepSparse 1.8 create a Google Analytics client when they
are imported (`sparsezoo.analytics.GoogleAnalytics`, reading `NM_DISABLE_ANALYTICS` in its
constructor; with the variable empty or unset it even asks ident.me for the external IP to
decide whether the user is in a GDPR country) and send an event on import and on every
`Engine` / `ScheduledModifierManager` construction. SparseZoo's version check
(`sparsezoo.package.check_package_version`) honours `NM_VERSION_CHECK=false`. So before the
first import we set both variables, and after it we switch off every analytics client that
already exists (in case the user's own code imported the packages earlier).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import warnings
from types import ModuleType

#: the pip extra that installs the whole stack
EXTRA = "sparseml"

#: environment read by the Neural Magic packages at import time (see the module docstring)
QUIET_ENV = {
    "NM_DISABLE_ANALYTICS": "1",
    "NM_VERSION_CHECK": "false",
}

_ANALYTICS_CLIENTS = (
    ("sparsezoo.analytics", "sparsezoo_analytics"),
    ("sparseml.analytics", "sparseml_analytics"),
    ("deepsparse.analytics", "deepsparse_analytics"),
)


class MissingDependency(ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, module: str, extra: str, reason: str = ""):
        self.module = module
        self.extra = extra
        detail = f" ({reason})" if reason else ""
        super().__init__(
            f"`{module}` is not available{detail}; install the `{extra}` extra: "
            f"pip install 'recipe-studio[{extra}]'")


def quiet_network() -> None:
    """Make the Neural Magic packages send nothing: analytics and version checks off."""
    for name, value in QUIET_ENV.items():
        # an empty NM_DISABLE_ANALYTICS counts as "enabled" (and triggers the GDPR lookup)
        if not os.environ.get(name):
            os.environ[name] = value
    for module_name, attr in _ANALYTICS_CLIENTS:
        module = sys.modules.get(module_name)
        client = getattr(module, attr, None) if module is not None else None
        if client is not None and hasattr(client, "_disabled"):
            client._disabled = True


def require(module: str, *, extra: str = EXTRA) -> ModuleType:
    """Import `module` (e.g. "torch", "sparseml.pytorch.optim") or raise
    :class:`MissingDependency` naming the pip extra that provides it."""
    quiet_network()
    try:
        with warnings.catch_warnings():
            # SparseML 1.8 imports pkg_resources, which setuptools<81 flags as deprecated
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated",
                                    category=UserWarning)
            imported = importlib.import_module(module)
    except ImportError as e:
        missing = getattr(e, "name", None)
        reason = "" if missing in (None, module, module.split(".")[0]) else f"it needs {missing}"
        raise MissingDependency(module, extra, reason) from e
    quiet_network()
    return imported


def available(module: str) -> bool:
    """Whether `module` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
