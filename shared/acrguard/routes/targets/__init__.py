"""Route targets of the endpoint keeper: every place that must route the registry's prefixes.

One small adapter per target type behind one interface (``base.RouteTarget``): read the entries
acrguard made (and the foreign ones it must avoid), plan purely, apply idempotently. Build them from
the config with ``build.build_target``.
"""
