"""Whether an instance may have accelerated images: its edition and its region.

CreateArtifactBuildRule's reference: accelerated-image build rules are for Standard and
Advanced instances only, and not offered in Finance Cloud or Gov Cloud regions
(https://help.aliyun.com/document_detail/601109.html). The English machine translation of the
same page says "Advanced" only; the user guide agrees with the Chinese page for the full mode and
also lists an index-only mode for Basic instances
(https://help.aliyun.com/en/acr/user-guide/load-resources-of-a-container-image-on-demand).
acrguard creates rules only on the editions both pages allow for the default mode (Standard,
Advanced) and treats a region id containing ``finance`` or ``gov`` as not offered (our reading).
"""

from __future__ import annotations

from dataclasses import dataclass

BASIC = "Enterprise_Basic"
STANDARD = "Enterprise_Standard"
ADVANCED = "Enterprise_Advanced"
ACCELERATION_EDITIONS: tuple[str, ...] = (STANDARD, ADVANCED)
_LABELS = {BASIC: "Basic", STANDARD: "Standard", ADVANCED: "Advanced"}


@dataclass(frozen=True)
class Edition:
    """An instance's ``InstanceSpecification``, region and ``InstanceName`` (as ``GetInstance`` tells)."""

    specification: str
    region: str
    instance_name: str = ""

    @property
    def label(self) -> str:
        """``Basic``, ``Standard``, ``Advanced`` (or the raw specification when unknown)."""
        return _LABELS.get(self.specification, self.specification or "unknown")

    @property
    def region_offers_acceleration(self) -> bool:
        """False in finance and gov regions (``cn-shanghai-finance-1``, ``cn-north-2-gov-1``)."""
        lowered = self.region.lower()
        return "finance" not in lowered and "gov" not in lowered

    @property
    def obstacle(self) -> str | None:
        """Why no rule can be created here (``region``, ``basic``, ``unknown-edition``), or None."""
        if not self.region_offers_acceleration:
            return "region"
        if self.specification == BASIC:
            return "basic"
        if self.specification not in ACCELERATION_EDITIONS:
            return "unknown-edition"
        return None
