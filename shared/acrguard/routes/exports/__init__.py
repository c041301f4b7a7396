"""IDC-side exports of the endpoint keeper: the desired routes and DNS records in routers' and resolvers' syntax.

Route formats (``linux``, ``cisco_ios``, ``huawei_vrp``, ``junos``) list every desired prefix
toward a configured next hop; DNS formats (``hosts``, ``dnsmasq``, ``bind``, ``coredns``) map
the registry's names to their IPv4 addresses. Each rendering is a pure, sorted function of an
``ExportInput`` (``model``), written only when it changed (``write``, ``publish``), and
announced with a unified diff and paste-ready commands (``diff``).
"""

from __future__ import annotations

from acrguard.routes.exports.model import (
    DnsRecord,
    ExportError,
    ExportInput,
    input_from_desired,
    records_from_desired,
)
from acrguard.routes.exports.publish import ExportResult, publish, publish_all
from acrguard.routes.exports.render import render_export

__all__ = ["DnsRecord", "ExportError", "ExportInput", "ExportResult", "input_from_desired", "publish",
           "publish_all", "records_from_desired", "render_export"]
