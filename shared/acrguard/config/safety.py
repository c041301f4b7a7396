"""``safety:``: the limits that protect users (hysteresis, blast radius)."""

from __future__ import annotations

from acrguard.config.base import Strict
from acrguard.config.schema import Field


class SafetyConfig(Strict):
    """Remove only after ``hold_runs`` successful observations over ``hold_hours``; stop big deletions."""

    hold_runs: int = Field(default=3, ge=1, le=100, description="successful observations without an address")
    hold_hours: float = Field(default=24.0, ge=0, le=24 * 90, description="hours an address must stay absent")
    max_delete_share: float = Field(default=0.3, gt=0, le=1.0,
                                    description="largest share of managed entries one run may delete")
    max_delete_floor: int = Field(default=2, ge=0, description="deletions always allowed regardless of share")
