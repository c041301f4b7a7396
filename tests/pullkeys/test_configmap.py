"""ConfigMap lint: a good file, and each common mistake with its line, column and hint."""

from __future__ import annotations

import json

import pytest

from acrguard.pullkeys.configmap import lint_text

KEY_ID = "LTAI5tAbCdEfGhIjKlMn3x"
SECRET = "ThisIsTheSecretValue00"

HEADER = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: acr-configuration\n  namespace: kube-system\n"

GOOD = HEADER + """data:
  service-account: "default"
  watch-namespace: "default"
  expiring-threshold: "15m"
  acr-registry-info: |
    - instanceId: "cri-abc123"
      regionId: "cn-hangzhou"
      domains: "reg.example.com,reg-vpc.example.com"
"""

WITH_KEY = GOOD + f"""      customAccessKey: "{KEY_ID}"
      customAccessKeySecret: "{SECRET}"
"""

# (name, text, code, line, column, a phrase of the hint)
MISTAKES = [
    ("list not indented under the block", HEADER + 'data:\n  acr-registry-info: |\n  - instanceId: "cri-a"\n',
     "registry-info.not-indented", 8, 3, "indent every line of the list at least 4 spaces"),
    ("list at column 1", 'data:\n  acr-registry-info: |\n- instanceId: "cri-a"\n',
     "registry-info.not-indented", 3, 1, "two more than 'acr-registry-info'"),
    ("inner key indented too far", 'data:\n  acr-registry-info: |\n    - instanceId: "cri-a"\n       regionId: "x"\n',
     "yaml.indentation", 4, 8, "indented 3 spaces but the keys above it use 2"),
    ("outer key indented too far", 'data:\n  service-account: "default"\n   watch-namespace: "all"\n',
     "yaml.indentation", 3, 4, "indented 3 spaces but the keys above it use 2"),
    ("tab in outer indentation", 'data:\n\tservice-account: "default"\n', "yaml.tab", 2, 1, "replace the tab"),
    ("tab inside the block", 'data:\n  acr-registry-info: |\n    - instanceId: "cri-a"\n    \tregionId: "x"\n',
     "yaml.tab", 4, 5, "replace the tab"),
    ("comment line ends the block", 'data:\n  acr-registry-info: |\n    - instanceId: "cri-a"\n  # region\n'
     '      regionId: "x"\n', "yaml.comment-indent", 5, 7, "the comment on line 4 is indented less"),
    ("text after a quoted value", 'data:\n  expiring-threshold: "15m" 可选\n', "yaml.text-after-value", 2, 29,
     "start it with ' #'"),
    ("comment inside the quotes", 'data:\n  acr-registry-info: |\n    - instanceId: "cri-a # the EE instance"\n',
     "value.comment-inside", 3, 7, "move it after the closing quote"),
    ("two quoted domains", 'data:\n  acr-registry-info: |\n    - instanceId: "cri-a"\n      domains: "a.com","b.com"\n',
     "yaml.comma-list", 4, 23, 'domains: "a.example.com,b.example.com"'),
    ("empty instanceId", 'data:\n  acr-registry-info: |\n    - instanceId: ""\n      regionId: "cn-hangzhou"\n',
     "entry.empty-instance-id", 3, 7, "Personal Edition"),
    ("wrong key case", 'data:\n  acr-registry-info: |\n    - instanceID: "cri-a"\n',
     "entry.unknown-key", 3, 7, "did you mean 'instanceId'?"),
    ("list instead of a block string", 'data:\n  acr-registry-info:\n    - instanceId: "cri-a"\n',
     "registry-info.not-string", 3, 5, "acr-registry-info: |"),
    ("number value", 'data:\n  acr-registry-info: |\n    - instanceId: "cri-a"\n  expiring-threshold: 15\n',
     "data.not-string", 4, 23, 'quote it'),
    ("webhook setting misspelt", 'data:\n  acr-registry-info: |\n    - instanceId: "cri-a"\n'
     '  webhook-configuration: |\n    enable: true\n    failurePolicy: Ignore\n',
     "settings.unknown-key", 6, 5, "did you mean 'failure-policy'?"),
    ("unknown outer key", 'data:\n  watch-namespaces: "all"\n  acr-registry-info: |\n    - instanceId: "cri-a"\n',
     "data.unknown-key", 2, 3, "did you mean 'watch-namespace'?"),
]


def test_good_configmap_is_clean():
    """The documented shape lints clean (exit 0), yields its entry, and says where its credentials come from."""
    report = lint_text(GOOD, "good.yaml")
    assert report.errors == [] and report.warnings == [] and report.exit_code == 0 and report.parsed
    assert [p.code for p in report.notes] == ["entry.no-static-key"]
    (entry,) = report.entries
    assert (entry.instance_id, entry.region_id, entry.domains) == \
        ("cri-abc123", "cn-hangzhou", ("reg.example.com", "reg-vpc.example.com"))


@pytest.mark.parametrize(("name", "text", "code", "line", "column", "hint"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_common_mistake_is_located_and_explained(name, text, code, line, column, hint):
    """Each mistake is reported with its code, 1-based line and column in the outer file, and a hint."""
    report = lint_text(text, "cm.yaml")
    matching = [p for p in report.problems if p.code == code]
    assert matching, f"{name}: got {[(p.code, p.line, p.column) for p in report.problems]}"
    assert (matching[0].line, matching[0].column) == (line, column), name
    assert hint in matching[0].hint, name


def test_plain_text_key_is_a_warning_with_the_id_masked():
    """customAccessKey is flagged (exit 1), masked in the message; the secret appears nowhere."""
    report = lint_text(WITH_KEY, "cm.yaml")
    assert [p.code for p in report.problems] == ["access-key.plaintext"]
    assert report.exit_code == 1
    assert "LTAI****Mn3x" in report.problems[0].message
    rendered = json.dumps(report.to_dict()) + "".join(p.render("cm.yaml") for p in report.problems) + repr(report)
    assert KEY_ID not in rendered and SECRET not in rendered
    assert report.entries[0].access_key_id == KEY_ID  # kept in memory for the owner search


def test_every_error_is_reported_not_only_the_first():
    """Independent mistakes in two instance entries and in the outer file are all reported."""
    text = ('data:\n\tservice-account: "default"\n  acr-registry-info: |\n')
    tabs_and_more = lint_text(text + '    - instanceId: ""\n', "cm.yaml")
    assert {p.code for p in tabs_and_more.problems} >= {"yaml.tab"}
    two_items = ('data:\n  acr-registry-info: |\n    - instanceId: ""\n      regionID: "cn-hangzhou"\n'
                 '    - instanceId: "cri-b"\n       regionId: "cn-beijing"\n')
    report = lint_text(two_items, "cm.yaml")
    codes = [(p.code, p.line) for p in report.problems]
    assert ("entry.empty-instance-id", 3) in codes and ("entry.unknown-key", 4) in codes
    assert ("yaml.indentation", 6) in codes
    assert report.exit_code == 2


def test_mis_indented_file_still_yields_the_key_id():
    """When nothing parses, the raw text is still searched for customAccessKey."""
    text = f'data:\n  acr-registry-info: |\n    - instanceId: "cri-a"\n       customAccessKey: "{KEY_ID}"\n'
    report = lint_text(text, "cm.yaml")
    assert report.parsed is False and report.access_key_ids == (KEY_ID,)
    assert any(p.code == "access-key.plaintext" and "LTAI****Mn3x" in p.message for p in report.problems)


def test_json_value_from_terraform_is_accepted():
    """acr-registry-info given as JSON (a YAML subset) parses like the block form."""
    text = 'data:\n  acr-registry-info: \'[{"instanceId": "cri-a", "regionId": "cn-beijing"}]\'\n'
    report = lint_text(text, "cm.yaml")
    assert report.exit_code == 0 and report.entries[0].region_id == "cn-beijing"


def test_key_without_secret_is_an_error():
    """customAccessKey without customAccessKeySecret cannot work: an error."""
    text = f'data:\n  acr-registry-info: |\n    - instanceId: "cri-a"\n      customAccessKey: "{KEY_ID}"\n'
    report = lint_text(text, "cm.yaml")
    assert ("entry.secret-missing", 4) in [(p.code, p.line) for p in report.problems]
    assert report.exit_code == 2
