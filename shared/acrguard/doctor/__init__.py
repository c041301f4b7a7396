"""``acrguard doctor``: check, once against a real account, what the local cloud cannot prove.

Read-only calls and ``DryRun`` writes only (never a write; a chat message only with ``--send``).
Each check answers PASS, FAIL, "cannot tell" (``????``) or SKIPPED, with its evidence and its fix:

1. ``identity`` (``identity``): who the credentials are;
2. ``role-permissions`` (``roles``): each function's role allows what its code needs (and, with
   ``--assume-roles``, the route writes DryRun as the role);
3. ``triggers`` (``triggers``): the deployed triggers match ``s.yaml``, EventBridge ones asynchronous;
4. ``vbr-service-range`` (``vbr``): each VBR table takes a destination inside 100.64.0.0/10 (DryRun);
5. ``table-quotas`` (``quotas``): the routes acrguard needs fit in each table;
6. ``global-events-region`` (``global_events``): ActionTrail keeps global events where the auditor listens;
7. ``registry-realm`` (``realm``): the VPC domain's ``/v2/`` challenge names an accepted realm;
8. ``vpc-dns`` (``vpc_dns``): the three names resolve within their ranges (inside the VPC);
9. ``oss-ranges`` (``published_ranges``): each region has published OSS ranges;
10. ``chat-channels`` (``channels``): each channel is valid; with ``--send``, it takes a test message.

``runner.run_doctor`` runs them on a ``context.DoctorContext``; ``render`` prints the report;
``needs`` lists what doctor calls and the policy its identity needs.
"""

from acrguard.doctor.context import DoctorContext
from acrguard.doctor.model import CheckResult, DoctorReport, Item, Status
from acrguard.doctor.runner import CHECKS, run_doctor

__all__ = ["CHECKS", "CheckResult", "DoctorContext", "DoctorReport", "Item", "Status", "run_doctor"]
