"""Reading policies from files: bare documents, policy objects, GetPolicy output, lists."""

from __future__ import annotations

import json

import pytest

from acrguard.errors import BadInputError
from acrguard.policy.document import PolicyDocument, PolicyDocumentError
from acrguard.policy.inputs import policies_from_text

DOC = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "cr:PullRepository", "Resource": "*"}]}


def test_bare_document_is_a_custom_policy_named_after_the_file() -> None:
    """A bare document becomes a Custom policy named after its file, attached to the user."""
    (policy,) = policies_from_text(json.dumps(DOC), "dir/pull-only.json")
    assert (policy.ref.name, policy.ref.type, policy.ref.attachment, policy.ref.origin) == \
        ("pull-only", "Custom", "user", "dir/pull-only.json")
    assert isinstance(policy.document, PolicyDocument)


def test_policy_object_with_document_text_and_group_attachment() -> None:
    """A policy object may carry its document as JSON text and say it is attached through a group."""
    data = {"PolicyName": "ops", "PolicyType": "Custom", "DefaultVersion": "v4", "Attachment": "group:ops",
            "PolicyDocument": json.dumps(DOC)}
    (policy,) = policies_from_text(json.dumps(data), "ops.json")
    assert (policy.ref.name, policy.ref.default_version, policy.ref.group) == ("ops", "v4", "ops")


def test_system_policy_without_document_uses_the_offline_copy() -> None:
    """A System policy named without a document is looked up offline, at the given version."""
    data = {"PolicyName": "AliyunContainerRegistryReadOnlyAccess", "PolicyType": "System", "DefaultVersion": "v1"}
    (policy,) = policies_from_text(json.dumps(data), "ro.json")
    assert policy.ref.default_version == "v1" and "offline copy" in policy.ref.origin


def test_get_policy_output_uses_the_default_version_not_the_deprecated_field() -> None:
    """`aliyun ram GetPolicy` output is read from DefaultPolicyVersion; Policy.PolicyDocument is ignored."""
    admin = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    data = {"RequestId": "x", "Policy": {"PolicyName": "AcrPull", "PolicyType": "Custom", "DefaultVersion": "v3",
                                         "PolicyDocument": json.dumps(admin)},
            "DefaultPolicyVersion": {"VersionId": "v3", "IsDefaultVersion": True, "PolicyDocument": json.dumps(DOC)}}
    (policy,) = policies_from_text(json.dumps(data), "get.json")
    assert (policy.ref.name, policy.ref.default_version) == ("AcrPull", "v3")
    assert policy.document.statements[0].actions == ("cr:PullRepository",)


def test_a_list_holds_several_policies() -> None:
    """A JSON list of policies yields them all, bare ones numbered after the file."""
    policies = policies_from_text(json.dumps([DOC, {"PolicyName": "AdministratorAccess", "PolicyType": "System"}]),
                                  "set.json")
    assert [p.ref.name for p in policies] == ["set-1", "AdministratorAccess"]


@pytest.mark.parametrize(("data", "path"), [
    ({"PolicyName": "x", "PolicyDocument": {"Version": "1", "Statement": [{"Effect": "Allow", "Resource": "*"}]}},
     "$.PolicyDocument.Statement[0].Action"),
    ({"PolicyName": "x", "PolicyDocument": '{"Version": "1", "Statement": [{"Effect": "Nope"}]}'},
     "$.PolicyDocument (JSON text) $.Statement[0].Effect"),
    ([DOC, {"Version": "2"}], "$[1].Version"),
    ({"PolicyName": "x", "PolicyType": "Managed", "PolicyDocument": DOC}, "$.PolicyType"),
    ({"PolicyName": "x", "Attachment": "role:r", "PolicyDocument": DOC}, "$.Attachment"),
    ({"PolicyName": "x", "PolicyType": "Custom"}, "$.PolicyDocument"),
    ({"Policy": {"PolicyName": "x"}}, "$.DefaultPolicyVersion.PolicyDocument"),
    ({"Name": "x"}, "$"),
    ([], "$"),
])
def test_errors_name_the_full_json_path(data: object, path: str) -> None:
    """Errors inside a wrapped document carry the path from the top of the file."""
    with pytest.raises(PolicyDocumentError) as caught:
        policies_from_text(json.dumps(data), "f.json")
    assert path in [p for p, _ in caught.value.problems], caught.value.problems


def test_unknown_offline_system_policy_is_bad_input() -> None:
    """A System policy acrguard has no copy of is a clear error."""
    with pytest.raises(BadInputError, match="no offline copy"):
        policies_from_text(json.dumps({"PolicyName": "AliyunECSFullAccess", "PolicyType": "System"}), "f.json")
