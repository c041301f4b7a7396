"""How item answers fold into a check's answer, and how the report is printed."""

from __future__ import annotations

from acrguard.doctor.model import CheckResult, DoctorReport, Item, Status, combine, worst
from acrguard.doctor.render import summary, text_lines, to_json


def test_the_worst_status_wins_and_nothing_is_skipped():
    """FAIL beats cannot tell beats PASS beats SKIPPED; no answer at all is SKIPPED."""
    assert worst([Status.PASS, Status.UNKNOWN, Status.FAIL]) is Status.FAIL
    assert worst([Status.PASS, Status.UNKNOWN]) is Status.UNKNOWN
    assert worst([Status.SKIPPED, Status.PASS]) is Status.PASS
    assert worst([]) is Status.SKIPPED


def test_combine_counts_names_the_first_trouble_and_merges_equal_fixes():
    """Evidence counts the items and names the first failing one; one fix shared by two items is given once."""
    result = combine("c", [Item("a", Status.PASS, "fine"), Item("b", Status.FAIL, "broken", "do X"),
                           Item("d", Status.FAIL, "also broken", "do X")], none="nothing")
    assert result.status is Status.FAIL
    assert result.evidence == "2 fail, 1 pass; b: broken"
    assert result.fix == "do X"
    assert result.details == ("PASS a: fine", "FAIL b: broken", "FAIL d: also broken")


def test_different_fixes_are_named_by_their_subjects():
    """Two items with different fixes: each fix is preceded by what it is for."""
    result = combine("c", [Item("b", Status.FAIL, "x", "do X"), Item("d", Status.UNKNOWN, "y", "do Y")], none="-")
    assert result.fix == "b: do X\nd: do Y"


def test_no_item_is_skipped_with_the_reason():
    """Nothing to look at: SKIPPED, and the evidence says why."""
    result = combine("c", [], none="no target", notes=["a note"])
    assert (result.status, result.evidence, result.details) == (Status.SKIPPED, "no target", ("a note",))


def test_the_text_report_has_one_line_per_check_then_each_trouble_and_a_summary():
    """PASS/FAIL/????/SKIP lines, then details and fix of what failed or could not tell, then the counts."""
    report = DoctorReport((
        CheckResult("identity", Status.PASS, "account 1"),
        CheckResult("vpc-dns", Status.FAIL, "broken", ("FAIL name: broken",), "fix one\nfix two"),
        CheckResult("realm", Status.UNKNOWN, "unknown", (), "retry"),
        CheckResult("chat-channels", Status.SKIPPED, "not sent"),
    ))
    lines = text_lines(report)
    assert lines[:4] == ["PASS  identity              account 1", "FAIL  vpc-dns               broken",
                         "????  realm                 unknown", "SKIP  chat-channels         not sent"]
    assert lines[4:] == ["", "vpc-dns: FAIL", "  FAIL name: broken", "  fix:", "    - fix one", "    - fix two",
                         "", "realm: ????", "  fix: retry", "", summary(report)]
    assert summary(report) == "Doctor: 1 pass, 1 fail, 1 cannot tell, 1 skipped."


def test_the_json_report_has_every_check_and_the_exit_code():
    """--json: status, counts, the exit code and every check with its items."""
    report = DoctorReport((combine("c", [Item("a", Status.PASS, "fine", data={"n": 1})], none="-"),))
    data = to_json(report, 0)
    assert data["status"] == "pass" and data["exit_code"] == 0 and data["counts"]["pass"] == 1
    assert data["checks"][0]["items"] == [{"subject": "a", "status": "pass", "evidence": "fine", "fix": "",
                                           "data": {"n": 1}}]


def test_secrets_in_evidence_are_redacted():
    """An AccessKey id that slipped into evidence is masked in text and JSON."""
    report = DoctorReport((CheckResult("identity", Status.FAIL, "key LTAI5tAbCdEfGhIjKlMn0001 refused"),))
    assert "LTAI5tAbCdEfGhIjKlMn0001" not in "\n".join(text_lines(report))
    assert "LTAI5tAbCdEfGhIjKlMn0001" not in str(to_json(report, 2))
