"""The README's main command: the demo plays the whole story on the local cloud and exits 0."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time


def test_demo_plays_every_chapter_through_the_real_handlers(tmp_path):
    """Routes follow the endpoint, the guard restores the ACL naming the caller, the auditor and advisor alert."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_") and "PROXY" not in k.upper()}
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "acrguard", "demo"], capture_output=True, text=True, env=env,
                            timeout=120, cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    # first sweep: routes on the VBR table and the VPN connection, and the IDC exports
    assert "vbr_route_table:vtb-demovbr0001: + 192.168.10.21/32" in out
    assert "ip route 192.168.10.21 255.255.255.255 10.10.0.1 name acrguard-vpc_endpoint" in out
    # the endpoint moves: the new /32 is routed and DNS answers only the new address
    assert "vbr_route_table:vtb-demovbr0001: + 192.168.10.35/32" in out
    assert "host-record=demoreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com,192.168.10.35" in out
    # a DNS outage removes nothing
    outage = out.split("== A DNS outage", 1)[1].split("==", 1)[0]
    assert "0 write call(s)" in outage and "(nothing removed)" in outage
    # the whitelist is restored and the message names alice; the duplicate delivery does nothing
    assert re.search(r"\[CRITICAL\] Registry demoreg (is|was) open to the whole internet", out)
    assert "Who: ram-user:alice" in out
    assert "duplicate: 0 finding(s); 0 write call(s)" in out
    # the pull key with full access: a high finding with the detach step
    assert "[HIGH] ack-puller can do more than pull" in out
    assert "DetachPolicyFromUser --PolicyType System --PolicyName AliyunContainerRegistryFullAccess" in out
    # the large image: on-demand loading enabled once
    assert out.count("CreateArtifactBuildRule ACCELERATED_IMAGE") == 1
    assert "not-a-real-one" not in out and "SECdemo" not in out  # no secret of the world is printed
    # it ends by saying what to try next, and writes nothing without --keep-running
    assert out.rstrip().split("\n\n")[-1].startswith("Next: `python -m acrguard demo --keep-running`")
    assert list(tmp_path.iterdir()) == []
    assert elapsed < 60
