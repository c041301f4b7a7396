"""The whitelist guard: hold an instance's internet-endpoint ACL to its declared state.

Flow (one small module per step): ``observe`` (read the endpoint) -> ``desired`` (declared CIDRs,
hostnames resolved with hysteresis) -> ``invariants`` (findings) -> ``plan`` (pure diff with the
safety rules) -> ``apply`` (SDK writes, adds before removals) ; ``guard`` runs it per sweep or
per ActionTrail event. Ownership is the ``acrguard:<instance>:<label>`` marker in each entry's
``Comment`` (``marker``).
"""
