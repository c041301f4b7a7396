"""Parsing RAM policy documents: accepted forms, and malformed ones named by JSON path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from acrguard.errors import BadInputError
from acrguard.policy.document import PolicyDocumentError, parse_document


def doc(*statements: Any, statement: Any = None) -> dict[str, Any]:
    """A version-1 document with the given statements (or a raw Statement value)."""
    return {"Version": "1", "Statement": statement if statement is not None else list(statements)}


ALLOW_PULL = {"Effect": "Allow", "Action": "cr:PullRepository", "Resource": "*"}


def test_statement_may_be_a_single_object() -> None:
    """A Statement given as one object (seen in the wild) is one statement at index 0."""
    parsed = parse_document(doc(statement=ALLOW_PULL))
    assert [s.actions for s in parsed.statements] == [("cr:PullRepository",)]
    assert parsed.statements[0].index == 0


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("Action", "cr:PullRepository", ("cr:PullRepository",)),
    ("Action", ["cr:GetAuthorizationToken", "cr:PullRepository"], ("cr:GetAuthorizationToken", "cr:PullRepository")),
    ("NotAction", "ram:*", ("ram:*",)),
    ("NotAction", ["ram:*", "ims:*"], ("ram:*", "ims:*")),
])
def test_action_and_not_action_accept_string_or_list(key: str, value: Any, expected: tuple[str, ...]) -> None:
    """Action and NotAction take a string or a list of strings."""
    statement = parse_document(doc({"Effect": "Allow", key: value, "Resource": "*"})).statements[0]
    assert statement.actions == expected
    assert statement.not_action is (key == "NotAction")


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("Resource", "*", ("*",)),
    ("Resource", ["acs:cr:*:*:repository/cri-x/*", "acs:cr:*:*:instance/cri-x"],
     ("acs:cr:*:*:repository/cri-x/*", "acs:cr:*:*:instance/cri-x")),
    ("NotResource", "acs:cr:*:*:repository/cri-x/prod/*", ("acs:cr:*:*:repository/cri-x/prod/*",)),
])
def test_resource_and_not_resource_accept_string_or_list(key: str, value: Any, expected: tuple[str, ...]) -> None:
    """Resource (and the undocumented NotResource) take a string or a list."""
    statement = parse_document(doc({"Effect": "Allow", "Action": "cr:*", key: value})).statements[0]
    assert statement.resources == expected
    assert statement.not_resource is (key == "NotResource")


def test_effect_is_normalised_and_conditions_kept() -> None:
    """`allow` reads as Allow; a Condition is kept, an empty one counts as none."""
    parsed = parse_document(doc(
        {"Effect": "allow", "Action": "cr:*", "Resource": "*",
         "Condition": {"IpAddress": {"acs:SourceIp": ["10.0.0.0/8"]}}},
        {"Effect": "Deny", "Action": "cr:*", "Resource": "*", "Condition": {}},
    ))
    first, second = parsed.statements
    assert first.effect == "Allow" and first.is_conditional
    assert second.effect == "Deny" and not second.is_conditional


def test_json_text_and_bytes_are_accepted() -> None:
    """A document arrives from RAM as JSON text; bytes work too."""
    text = json.dumps(doc(ALLOW_PULL))
    assert parse_document(text).statements[0].actions == ("cr:PullRepository",)
    assert parse_document(text.encode()).statements[0].actions == ("cr:PullRepository",)


def test_placeholders_are_reported_per_statement() -> None:
    """Unresolved template values are listed by the statement that has them."""
    statement = parse_document(doc({"Effect": "Allow", "Action": "cr:PullRepository",
                                     "Resource": "acs:cr:$regionid:$accountid:repository/${instance}/*"})).statements[0]
    assert statement.placeholders() == ["$regionid", "$accountid", "${instance}"]


MALFORMED = [
    ("not-an-object", ["Statement"], "$", "expected a JSON object"),
    ("no-version", {"Statement": [ALLOW_PULL]}, "$.Version", "missing"),
    ("version-number", {"Version": 1, "Statement": [ALLOW_PULL]}, "$.Version", 'must be the string "1"'),
    ("version-2012", {"Version": "2012-10-17", "Statement": [ALLOW_PULL]}, "$.Version", 'must be the string "1"'),
    ("no-statement", {"Version": "1"}, "$.Statement", "missing"),
    ("statement-string", doc(statement="Allow"), "$.Statement", "expected a list of statements"),
    ("statement-item-string", doc("Allow"), "$.Statement[0]", "expected a statement object"),
    ("no-effect", doc({"Action": "cr:*", "Resource": "*"}), "$.Statement[0].Effect", "missing"),
    ("bad-effect", doc({"Effect": "Permit", "Action": "cr:*", "Resource": "*"}), "$.Statement[0].Effect",
     'expected "Allow" or "Deny"'),
    ("no-action", doc({"Effect": "Allow", "Resource": "*"}), "$.Statement[0].Action", "missing"),
    ("both-actions", doc({"Effect": "Allow", "Action": "cr:*", "NotAction": "ram:*", "Resource": "*"}),
     "$.Statement[0]", "both Action and NotAction"),
    ("action-number", doc({"Effect": "Allow", "Action": 7, "Resource": "*"}), "$.Statement[0].Action",
     "expected a string or a list of strings"),
    ("action-empty-list", doc({"Effect": "Allow", "Action": [], "Resource": "*"}), "$.Statement[0].Action",
     "empty list"),
    ("action-item-null", doc(ALLOW_PULL, {"Effect": "Allow", "Action": ["cr:Get*", None], "Resource": "*"}),
     "$.Statement[1].Action[1]", "expected a string"),
    ("action-no-service", doc({"Effect": "Allow", "Action": "PullRepository", "Resource": "*"}),
     "$.Statement[0].Action", "is not '<service>:<action>'"),
    ("no-resource", doc({"Effect": "Allow", "Action": "cr:*"}), "$.Statement[0].Resource", "missing"),
    ("resource-blank", doc({"Effect": "Allow", "Action": "cr:*", "Resource": " "}), "$.Statement[0].Resource",
     "empty string"),
    ("typo-key", doc({"Effect": "Allow", "Actions": "cr:*", "Resource": "*"}), "$.Statement[0].Actions",
     "did you mean Action?"),
    ("principal", doc({"Effect": "Allow", "Action": "cr:*", "Resource": "*", "Principal": {"RAM": "*"}}),
     "$.Statement[0].Principal", "trust policies"),
    ("condition-list", doc({"Effect": "Allow", "Action": "cr:*", "Resource": "*", "Condition": []}),
     "$.Statement[0].Condition", "expected an object"),
    ("condition-operand", doc({"Effect": "Allow", "Action": "cr:*", "Resource": "*",
                               "Condition": {"IpAddress": {"acs:SourceIp": {"cidr": "x"}}}}),
     "$.Statement[0].Condition.IpAddress.acs:SourceIp", "expected a value"),
]


@pytest.mark.parametrize(("data", "path", "message"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_documents_name_the_json_path(data: Any, path: str, message: str) -> None:
    """Every malformed document is refused with the JSON path of the problem and what was expected."""
    with pytest.raises(PolicyDocumentError) as caught:
        parse_document(data, source="p.json")
    assert any(p == path and message in m for p, m in caught.value.problems), caught.value.problems
    assert str(caught.value).startswith("p.json: malformed policy document")
    assert isinstance(caught.value, BadInputError)


def test_every_problem_is_reported_at_once() -> None:
    """Several problems in one document are all listed, not just the first."""
    with pytest.raises(PolicyDocumentError) as caught:
        parse_document(doc({"Effect": "Maybe", "Action": "cr:*", "Resource": "*"},
                           {"Effect": "Allow", "Action": "cr:*"}))
    assert [p for p, _ in caught.value.problems] == ["$.Statement[0].Effect", "$.Statement[1].Resource"]


def test_not_json_names_line_and_column() -> None:
    """Broken JSON is refused with the line and column of the error."""
    with pytest.raises(PolicyDocumentError) as caught:
        parse_document('{"Version": "1",\n "Statement": [}', source="bad.json")
    path, message = caught.value.problems[0]
    assert path == "$" and "line 2 column" in message


def test_duplicate_keys_are_refused() -> None:
    """A key given twice (which one RAM honours is undefined) is an error at its path."""
    text = '{"Version": "1", "Statement": [{"Effect": "Deny", "Effect": "Allow", "Action": "cr:*", "Resource": "*"}]}'
    with pytest.raises(PolicyDocumentError) as caught:
        parse_document(text)
    assert ("$.Statement[0].Effect", "appears more than once; which one RAM honours is undefined") in \
        caught.value.problems
