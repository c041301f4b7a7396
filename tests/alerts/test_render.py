"""Rendering: headlines, who did it, masking, truncation with counts, digests, keywords."""

from __future__ import annotations

from acrguard.alerts.message import DigestMessage, GroupMessage, sort_findings
from acrguard.alerts.render import DINGTALK, SLACK, WECOM, render, render_digest, render_group, size, truncate_bytes
from acrguard.findings import Severity
from tests.alerts.helpers import finding


def _group(findings, status="firing", reason="first notification", **extra) -> GroupMessage:
    first = findings[0]
    return GroupMessage(group_key=first.group_key, rule=first.rule, scope=first.scope, job="whitelist",
                        status=status, reason=reason, findings=sort_findings(list(findings)), since=1_790_000_000.0,
                        **extra)


def test_single_finding_headline_names_severity_title_and_resource():
    """One finding: the headline is badge, [SEVERITY], title and resource."""
    rendered = render_group(_group([finding()]), DINGTALK, max_bytes=4000, max_items=10)
    assert rendered.title == "🔴 [CRITICAL] Whitelist entry 0 open to the internet — acl-entry-0000"
    assert rendered.text.startswith("### 🔴 [CRITICAL] Whitelist entry 0")


def test_finding_block_says_who_what_and_fix_with_the_access_key_masked():
    """The block names the actor (identity, IP, agent, masked AccessKey, event, time), the change and the fix."""
    text = render_group(_group([finding()]), WECOM, max_bytes=4096, max_items=10).text
    assert ("Who: ram-user:alice from 198.51.100.7 (aliyun-cli/3.0.200) with AccessKey LTAI****Mn3x, "
            "UpdateInstanceEndpointStatus at 2026-01-31T10:00:00Z") in text
    assert "What changed: + 0.0.0.0/0 (entry 0)" in text
    assert "Fix: Remove the entry or narrow it to your office range" in text
    assert "LTAI5tAbCdEfGhIjKlMn3x" not in text


def test_access_key_ids_and_tokens_in_free_text_are_redacted():
    """AccessKey ids and token parameters inside details are masked."""
    leaky = finding(details="key LTAI5tSomeOtherKey99 used https://x/robot/send?access_token=abcdef123456")
    text = render_group(_group([leaky]), WECOM, max_bytes=4096, max_items=10).text
    assert "LTAI****ey99" in text and "LTAI5tSomeOtherKey99" not in text
    assert "abcdef123456" not in text


def test_markup_and_mentions_in_finding_text_are_neutralized():
    """Angle brackets from finding text cannot become tags or mentions."""
    hostile = finding(title='<font color="info">fine</font> <@all>')
    assert "<@all>" not in render_group(_group([hostile]), WECOM, max_bytes=4096, max_items=10).text
    slack = render_group(_group([hostile]), SLACK, max_bytes=4096, max_items=10).text
    assert "<@all>" not in slack and "&lt;@" in slack and "all&gt;" in slack


def test_findings_beyond_max_items_are_counted():
    """Only max_items findings are listed; the rest are counted in a note."""
    rendered = render_group(_group([finding(i) for i in range(25)]), DINGTALK, max_bytes=20_000, max_items=10)
    assert rendered.shown == 10 and rendered.omitted == 15
    assert "… and 15 more findings not shown" in rendered.text


def test_size_limit_is_never_exceeded_and_what_is_cut_is_counted():
    """Long findings are dropped from the end to fit the byte limit, and counted."""
    findings = [finding(i, details="\n".join("línea con acentos " * 8 for _ in range(8))) for i in range(40)]
    rendered = render_group(_group(findings), WECOM, max_bytes=4096, max_items=40)
    assert size(rendered.text) <= 4096
    assert rendered.shown + rendered.omitted == 40 and rendered.omitted > 0
    assert f"… and {rendered.omitted} more findings not shown" in rendered.text


def test_long_details_are_cut_to_a_few_lines_with_a_count_and_the_command_that_prints_them():
    """A change of many lines shows the first eight, counts the rest and names the command that prints them."""
    message = _group([finding(details="\n".join(f"+ 10.0.{i}.0/24" for i in range(20)))])
    text = render_group(message, WECOM, max_bytes=4096, max_items=10).text
    assert "+ 10.0.7.0/24" in text and "+ 10.0.8.0/24" not in text
    assert (f"… 12 more lines not shown: python -m acrguard alert show --config acrguard.yaml {message.group_hash}"
            in text)


def test_a_long_detail_sentence_is_not_cut_before_its_instruction():
    """A 300-character first detail line (the image advisor's) is shown whole, its instruction included."""
    line = ("Build rule crabr-1ca27cd6b3e91015 (ACCELERATED_IMAGE, scope REPOSITORY crr-b3b96cd2c5e8cb5f) converts "
            "new pushes for on-demand loading; clusters must pull the accelerated variant to benefit "
            "(https://www.alibabacloud.com/help/en/acr/user-guide/load-resources-of-a-container-image-on-demand).")
    text = render_group(_group([finding(details=line, fix="")]), DINGTALK, max_bytes=18_000, max_items=10).text
    assert "clusters must pull the accelerated variant to benefit" in text


def test_a_block_too_big_loses_details_first_and_never_the_fix_first_sentence():
    """Squeezed into a small block, a finding drops details, then later fix lines; the fix's first sentence stays."""
    fix = ("Detach AdministratorAccess from the pull user now. " + "Then rotate the key. " * 20 + "\n"
           + "\n".join(f"step {i}" for i in range(15)))
    big = finding(details="\n".join("línea con acentos " * 30 for _ in range(20)), fix=fix)
    message = _group([big])
    for budget in (3000, 900, 400):
        rendered = render_group(message, SLACK, max_bytes=30_000, max_items=10, max_block_bytes=budget)
        block = rendered.blocks[0]
        assert size(block) <= budget
        assert "Fix: Detach AdministratorAccess from the pull user now." in block
        assert f"alert show --config acrguard.yaml {message.group_hash}" in block
    small = render_group(message, SLACK, max_bytes=30_000, max_items=10, max_block_bytes=900).blocks[0]
    assert "What changed: … 20 lines not shown" in small and "línea" not in small


def test_the_footer_is_kept_when_findings_are_left_out():
    """However much is cut, the message ends with its footer, and the note says how to get the rest."""
    findings = [finding(i, details="\n".join("línea con acentos " * 8 for _ in range(8))) for i in range(40)]
    message = _group(findings)
    rendered = render_group(message, WECOM, max_bytes=4096, max_items=40)
    assert rendered.text.endswith(f"group {message.group_hash} · first notification")
    assert f"all of them: python -m acrguard alert show --config acrguard.yaml {message.group_hash}" in rendered.text


def test_resolved_message_lists_what_resolved():
    """A resolved group says RESOLVED and lists the findings that are gone."""
    rendered = render_group(_group([finding(0), finding(1)], status="resolved", reason="all findings resolved"),
                            DINGTALK, max_bytes=4000, max_items=10)
    assert rendered.title.startswith("✅ [RESOLVED] whitelist.open-to-internet: 2 findings")
    assert "acl-entry-0001" in rendered.text and "no longer reported" in rendered.text


def test_firing_message_mentions_findings_resolved_since_last_time():
    """A firing update names findings that resolved since the channel's last message."""
    message = _group([finding(0)], resolved_since=(finding(5),))
    text = render_group(message, WECOM, max_bytes=4096, max_items=10).text
    assert "Resolved since the last message: Whitelist entry 5 open to the internet — acl-entry-0005" in text


def test_keyword_is_added_only_when_missing():
    """A configured keyword absent from the text is appended to the footer; present ones are not repeated."""
    text = render_group(_group([finding()]), DINGTALK, max_bytes=4000, max_items=10, keywords=("告警",)).text
    assert text.endswith("· 告警")
    text = render_group(_group([finding()]), DINGTALK, max_bytes=4000, max_items=10, keywords=("acrguard",)).text
    assert text.count("acrguard") == 1


def test_digest_counts_every_group_and_finding_by_severity_and_rule():
    """A digest heads with the totals, counts by severity and rule, lists what fits, and counts the rest."""
    groups = [_group([finding(i, scope=f"cri-s{i:03d}", severity=Severity.HIGH if i % 2 else Severity.CRITICAL)])
              for i in range(300)]
    groups.append(_group([finding(999, rule="pullkeys.excess", scope="cri-x")], status="resolved",
                         reason="all findings resolved"))
    rendered = render_digest(DigestMessage(tuple(groups), "301 alert groups were due"), DINGTALK, max_bytes=6000)
    text = rendered.text
    assert size(text) <= 6000
    assert rendered.title.startswith("🔴 acrguard digest: 301 alert groups, 301 findings")
    assert "Firing: 300 groups, 300 findings (🔴 critical 150 · 🟠 high 150)" in text
    assert "Resolved: 1 group, 1 finding" in text
    assert "whitelist.open-to-internet: 300 findings in 300 groups" in text
    assert "pullkeys.excess: 1 finding in 1 group" in text
    hidden = rendered.omitted
    assert hidden > 0 and rendered.shown + hidden == 301
    assert f"… and {hidden} more groups ({hidden} findings) not listed; all 301 findings are counted above" in text
    assert "every group: python -m acrguard alert list --config acrguard.yaml" in text
    assert f"(1 finding, group {groups[0].group_hash})" in text
    assert "Each group's findings in full: python -m acrguard alert show --config acrguard.yaml GROUP" in text


def test_render_dispatches_on_the_message_type():
    """``render`` renders digests as digests and groups as groups."""
    group = _group([finding()])
    assert render(DigestMessage((group,), "why"), WECOM, max_bytes=4096, max_items=5).title.startswith(
        "🔴 acrguard digest: 1 alert group")
    assert render(group, WECOM, max_bytes=4096, max_items=5).title.startswith("🔴 [CRITICAL]")


def test_truncate_bytes_keeps_whole_characters():
    """Cutting UTF-8 text never splits a character and ends with an ellipsis."""
    cut = truncate_bytes("告警" * 10, 10)
    assert size(cut) <= 10 and cut.endswith("…") and cut.startswith("告警")
