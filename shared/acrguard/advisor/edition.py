"""Whether an instance may have accelerated images: its edition and its region.

The two language versions of CreateArtifactBuildRule's reference disagree on the editions:

* Chinese, https://help.aliyun.com/document_detail/601109.html (change history 2023-11-03):
  "加速镜像构建规则创建仅限标准版和高级版实例,基础版不支持" (Standard and Advanced; not Basic);
* English, https://alibabacloud.com/help/en/acr/developer-reference/api-cr-2018-12-01-createartifactbuildrule
  (updated Dec 16, 2025, marked as machine-translated): "only for ... Advanced Edition instances.
  You cannot create ... for ... Basic Edition instances".

Both exclude Basic and finance/gov cloud regions. The Chinese page is the original (the English one
is its machine translation), so acrguard tries on Standard and Advanced; a refusal on a Standard
instance is reported as the edition limit the English page states, and not retried in the same
run (``run.Advisor``). The user guide also lists an index-only mode for Basic instances
(https://help.aliyun.com/en/acr/user-guide/load-resources-of-a-container-image-on-demand). A region
id containing ``finance`` or ``gov`` is taken as not offered (our reading).
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
