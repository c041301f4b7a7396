#!/bin/sh
# acrguard IDC export: Linux routes (ip-route(8) script)
# Instance: testreg (cri-test0000000000001)
# Generated at: 2024-05-01T12:00:00Z
# Only the prefixes/records acrguard manages; acrguard rewrites this file when they change.
# Run as root: sh <this file>. It adds or replaces routes only; see the change alert for removals.
set -e

# vpc_endpoint: 1 prefix(es)
ip route replace 192.168.10.21/32 via 10.10.0.1

# auth: 2 prefix(es)
ip route replace 100.104.12.7/32 via 10.10.0.1
ip route replace 100.104.12.66/32 via 10.10.0.1

# oss: 4 prefix(es)
ip route replace 100.98.170.0/24 via 10.10.0.1
ip route replace 100.114.102.0/24 via 10.10.0.1
ip route replace 100.118.28.0/24 via 10.10.0.1
ip route replace 100.118.31.0/24 via 10.10.0.1
