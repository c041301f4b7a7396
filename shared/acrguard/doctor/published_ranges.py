"""Check 9, ``oss-ranges``: each instance's region has published OSS ranges in the table acrguard routes from.

The keeper routes a region's published OSS internal VIP ranges (``acrguard.routes.oss_ranges``:
the shipped ``acrguard/data/oss_vip_ranges.json``, or ``routes.oss_ranges_file``). A region the
table does not list, or lists without ranges, gets only resolved /32s: OSS moves its VIP within
the ranges, so pulls break when it moves. The evidence shows the table's version, source and date.
No cloud call: it reads the file.
"""

from __future__ import annotations

from acrguard.doctor import observe
from acrguard.doctor.context import DoctorContext
from acrguard.doctor.model import CheckResult, Item, Status, combine

NAME = "oss-ranges"
ABSENT_FIX = ("ask Alibaba Cloud support for the region's OSS internal VIP ranges (or check the OSS 'regions and "
              "endpoints' page again) and set routes.oss_ranges_file to a table in the same format that lists them; "
              "until then the keeper routes resolved addresses as /32s only")


def check_oss_ranges(ctx: DoctorContext) -> CheckResult:
    """One item per (region, table) the configured instances use."""
    instances = ctx.routed_instances() or list(ctx.config.instances)
    seen: set[tuple[str, str | None]] = set()
    items: list[Item] = []
    for instance in instances or [None]:
        region = ctx.region_of(instance) if instance is not None else ctx.config.cloud.region
        path = instance.routes.oss_ranges_file if instance is not None and instance.routes is not None else None
        if (region, path) in seen:
            continue
        seen.add((region, path))
        outcome = observe.oss_ranges(ctx, instance)
        if outcome.table is None:
            problems = "; ".join(outcome.problem.problems) if outcome.problem is not None else "unreadable"
            items.append(Item(region, Status.FAIL, f"the OSS ranges file cannot be used: {problems}",
                              "fix routes.oss_ranges_file (same format as acrguard/data/oss_vip_ranges.json) or remove "
                              "it to use the shipped table"))
            continue
        table = outcome.table
        ranges = table.for_region(region)
        if ranges is None:
            items.append(Item(region, Status.FAIL, f"{table.absence(region)} ({table.label})", ABSENT_FIX,
                              {"version": table.version, "source": table.source, "retrieved": table.retrieved}))
            continue
        outside = ranges.outside_service_space
        note = f"; outside 100.64.0.0/10 as published: {', '.join(outside)}" if outside else ""
        items.append(Item(region, Status.PASS, f"{len(ranges.ranges)} ranges ({', '.join(sorted(ranges.prefixes))}) "
                          f"in {table.label}{note}",
                          data={"ranges": sorted(ranges.prefixes), "version": table.version, "source": table.source,
                                "retrieved": table.retrieved, "file": table.origin}))
    return combine(NAME, items, none="no region to check")
