"""ConfigMap lint: RRSA and assume-role modes say there is no key and what to check; sample placeholders are errors."""

from __future__ import annotations

import json

import pytest

from acrguard.pullkeys.configmap import lint_text

HEADER = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: acr-configuration\n  namespace: kube-system\n"

# The RRSA sample of the cross-account page of the ACR docs, as published (placeholders and all).
RRSA_SAMPLE = HEADER + """data:
  service-account: "default"
  watch-namespace: "all"
  expiring-threshold: "15m"
  notify-email: "c*@example.com"
  acr-registry-info: |
    - instanceId: "cri-xxx"                                   # The ID of the ACR instance.
      regionId: "cn-hangzhou"                                 # The region ID of the ACR instance.
      domains: "xxxxx-registry.cn-hangzhou.cr.aliyuncs.com"   # The endpoint of the ACR instance.
      rrsaRoleARN: "<ARN of the role created in Account A>"
      rrsaOIDCProviderRoleARN: "<The ARN of the OIDC IdP from the basic information page of the ACK cluster>"
      assumeRoleARN: "<ARN of the role created in Account B>"
      expireDuration: 3600
  rrsa: |
    enable: true
"""

ASSUME_ROLE = """data:
  acr-registry-info: |
    - instanceId: "cri-abc123"
      regionId: "cn-hangzhou"
      assumeRoleARN: "acs:ram::1234567890123456:role/acr-puller"
"""


def _codes(report):
    return [(p.code, p.line, p.column) for p in report.problems]


def test_the_published_rrsa_sample_flags_every_placeholder_where_it_is():
    """cri-xxx, xxxxx-registry… and each <ARN of …> are errors at their line and column (exit 2)."""
    report = lint_text(RRSA_SAMPLE, "cm.yaml")
    placeholders = [(p.line, p.message.split(":", 1)[1].split(" is ", 1)[0].strip())
                    for p in report.problems if p.code == "entry.placeholder"]
    assert placeholders == [(12, "instanceId"), (14, "domains"), (15, "rrsaRoleARN"),
                            (16, "rrsaOIDCProviderRoleARN"), (17, "assumeRoleARN")]
    assert report.exit_code == 2


def test_a_role_mode_says_there_is_no_key_and_what_to_check_instead():
    """assumeRoleARN without a key: a note naming the role, the command listing its policies and policy check."""
    report = lint_text(ASSUME_ROLE, "cm.yaml")
    assert report.exit_code == 0
    (note,) = report.notes
    assert (note.code, note.line, note.column) == ("entry.no-static-key", 5, 7)
    assert "no AccessKey in this ConfigMap" in note.message and "the role acr-puller" in note.message
    assert "aliyun ram ListPoliciesForRole --RoleName acr-puller" in note.hint
    assert "python -m acrguard policy check" in note.hint and "--instance-id cri-abc123" in note.hint


def test_a_placeholder_role_arn_is_not_taken_for_a_role_name():
    """With assumeRoleARN still a placeholder, the note says which field names the role and how to read its name."""
    report = lint_text(RRSA_SAMPLE, "cm.yaml")
    (note,) = report.notes
    assert "the role in assumeRoleARN" in note.message and "<ROLE_NAME> is the name at the end" in note.hint


@pytest.mark.parametrize("key_id", ["xxxxx", "LTAI****", "<your-access-key-id>", "LTAI********************"])
def test_a_published_placeholder_key_is_an_error_not_a_key(key_id):
    """A sample key from the docs is flagged as a placeholder (exit 2), not audited as a plain-text key."""
    text = (f'data:\n  acr-registry-info: |\n    - instanceId: "cri-abc123"\n      customAccessKey: "{key_id}"\n'
            '      customAccessKeySecret: "xxxxxx"\n')
    report = lint_text(text, "cm.yaml")
    assert [(c, line) for c, line, _ in _codes(report) if c == "entry.placeholder"] == [
        ("entry.placeholder", 4), ("entry.placeholder", 5)]
    assert "access-key.plaintext" not in {p.code for p in report.problems}
    assert report.entries[0].access_key_id is None and report.access_key_ids == ()
    secret = next(p for p in report.problems if "customAccessKeySecret" in p.message)
    assert "its value is not shown" in secret.message and "xxxxxx" not in json.dumps(report.to_dict())


def test_a_real_key_is_not_mistaken_for_a_placeholder():
    """A real-looking AccessKey id (even with an x in it) is the plain-text warning, not a placeholder."""
    text = ('data:\n  acr-registry-info: |\n    - instanceId: "cri-abc123"\n'
            '      customAccessKey: "LTAI5tXxAbCdEfGhIjKlMn3x"\n      customAccessKeySecret: "S3cretValueXx0000"\n')
    report = lint_text(text, "cm.yaml")
    assert [p.code for p in report.problems] == ["access-key.plaintext"]


def test_a_key_found_only_in_the_raw_text_has_a_line_and_column():
    """When the entries do not parse, a customAccessKey found in the text is reported where it is."""
    text = ('data:\n  acr-registry-info: |\n    - instanceId: "cri-a"\n'
            '       customAccessKey: "LTAI5tAbCdEfGhIjKlMn3x"\n')
    report = lint_text(text, "cm.yaml")
    (found,) = [p for p in report.problems if p.code == "access-key.plaintext"]
    assert (found.line, found.column) == (4, 8) and "LTAI****Mn3x" in found.message
