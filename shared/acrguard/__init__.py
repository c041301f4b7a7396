"""acrguard: keep an ACR Enterprise Edition instance reachable from the IDC and locked down.

The library behind the Function Compute functions and the ``python -m acrguard`` CLI. Modules
are small and have one job each; see docs/architecture.md for the flow
(parse -> observe -> desire -> plan -> guard -> apply -> findings -> alerts).
"""

__version__ = "0.1.0"
