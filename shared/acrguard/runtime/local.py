"""Run a function's handler locally exactly as FC would: bytes in, an FC-shaped context, its config.

Used by ``acrguard invoke``, the demo and the tests. The handler module is loaded from
``functions/<name>/index.py`` (or a built artifact directory) and called with the event's bytes.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from acrguard.functions import FunctionSpec
from acrguard.runtime import settings
from acrguard.runtime.context import FcCredentials, FcFunction, LocalContext

REPO = Path(__file__).resolve().parents[3]


def load_handler_module(spec: FunctionSpec, code_dir: Path | None = None) -> Any:
    """Import ``index.py`` of a function (from the repo, or from a built code directory)."""
    path = (code_dir or REPO / "functions" / spec.name) / "index.py"
    module_name = f"acrguard_function_{spec.name}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise FileNotFoundError(f"no handler at {path}")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module
    loader_spec.loader.exec_module(module)
    return module


def make_context(spec: FunctionSpec, region: str, account_id: str = "", credentials: Any = None,
                 request_id: str | None = None) -> LocalContext:
    """An FC-shaped context for ``spec`` (credentials: anything with access_key_id/secret/token)."""
    fc_credentials = None
    if credentials is not None:
        fc_credentials = FcCredentials(credentials.access_key_id, credentials.access_key_secret,
                                       getattr(credentials, "security_token", None))
    fields: dict[str, Any] = {"function": FcFunction(spec.fc_name), "region": region,
                              "account_id": account_id, "credentials": fc_credentials}
    if request_id:
        fields["request_id"] = request_id
    return LocalContext(**fields)


def invoke(spec: FunctionSpec, event: bytes, context: LocalContext, config_path: str | Path | None = None) -> Any:
    """Call the function's ``handler(event, context)`` as FC does, with ``config_path`` as its config."""
    previous = os.environ.get("ACRGUARD_CONFIG")
    if config_path is not None:
        os.environ["ACRGUARD_CONFIG"] = str(Path(config_path).resolve())
    settings.clear_cache()
    try:
        module = load_handler_module(spec)
        return module.handler(event, context)
    finally:
        if config_path is not None:
            if previous is None:
                os.environ.pop("ACRGUARD_CONFIG", None)
            else:
                os.environ["ACRGUARD_CONFIG"] = previous
        settings.clear_cache()
