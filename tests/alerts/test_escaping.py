"""Cloud-side text in chat messages shows as text on every platform: no hidden link, image, tag, mention or heading.

An ACL entry comment, a route entry name or a RAM user name is chosen by whoever can write to the
account. Each message is sent through the real channel code to the local robots and read back as
the platform received it. Markdown bodies are parsed with a CommonMark parser (markdown-it-py) as
a witness: nothing from the finding may become a link, an image, raw HTML or a heading.
"""

from __future__ import annotations

from typing import Any

import pytest
from markdown_it import MarkdownIt

from acrguard.alerts.render import ZWSP
from acrguard.findings import Actor
from tests.alerts.helpers import finding

SCOPE = "cri-test0000000000001"
EVIL = "https://evil.example/login"
TITLE = f"Entry [Open the console]({EVIL}) <{EVIL}|Log in> ![logo]({EVIL}.png) @all"
DETAILS = "\n".join([
    "+ 10.9.0.0/16 (comment: <at id=all></at> <@all> <!channel> <font color=\"info\">ok</font> [x][r])",
    "# RESOLVED: nothing to do",
    f"[r]: {EVIL}",
    "> quoted @所有人",
])
ACTOR = Actor("ram-user:@here", "198.51.100.7", "<!everyone> agent", None, "2026-01-31T10:00:00Z", "AddEntry", "e-1")
#: What a reader must still be able to read, once zero-width spaces are ignored and ‹› read as <>.
VISIBLE = ["[Open the console]", EVIL, "Log in", "@all", "<at id=all></at>", "# RESOLVED: nothing to do", "@所有人"]


def hostile_finding():
    """A finding whose title, details and actor carry markup a platform would act on."""
    return finding(title=TITLE, details=DETAILS, actor=ACTOR, resource="acl-entry-[a](https://evil.example)")


def markdown_texts(kind: str, body: dict[str, Any]) -> list[str]:
    """The markdown parts of a message as the platform received it."""
    if kind == "dingtalk":
        return [body["markdown"]["text"]]
    if kind == "wecom":
        return [body["markdown"]["content"]]
    if kind == "feishu":
        return [e["content"] for e in body["card"]["elements"] if e.get("tag") == "markdown"]
    return [body["text"]]  # the generic webhook's markdown text


def tokens_of(text: str) -> list[str]:
    """Every token type CommonMark reads in ``text``, inline ones included."""
    found = []
    for token in MarkdownIt("commonmark").parse(text):
        found.append(token.type)
        found.extend(child.type for child in token.children or [])
    return found


@pytest.mark.parametrize(("kind", "own_headings"), [("dingtalk", 1), ("wecom", 1), ("feishu", 0), ("webhook", 1)])
def test_markdown_platforms_show_links_tags_and_mentions_as_text(cloud, alerts_config, invocation, kind,
                                                                 own_headings):
    """DingTalk, WeCom, Feishu and the webhook's text: no link, image, HTML or extra heading; the words remain."""
    report = invocation(alerts_config(kind)).process("whitelist", [hostile_finding()], {SCOPE})
    assert [d.delivered for d in report.deliveries] == [True]
    (message,) = cloud.chat.accepted(kind)
    for text in markdown_texts(kind, message.body):
        types = tokens_of(text)
        assert not {"link_open", "image", "html_inline", "html_block"} & set(types), (kind, types)
        assert types.count("heading_open") == own_headings  # only the message's own headline
        assert "<" not in text and "](" not in text and "@all" not in text and "@所有人" not in text
        readable = text.replace(ZWSP, "").replace("‹", "<").replace("›", ">")
        for words in VISIBLE:
            assert words in readable, (kind, words)


def test_slack_escapes_ampersand_and_angle_brackets_everywhere_it_reads_mrkdwn(cloud, alerts_config, invocation):
    """Sections, context and the notification text carry &lt; and &gt;: no <url|text> link, no <!channel>."""
    report = invocation(alerts_config("slack")).process("whitelist", [hostile_finding()], {SCOPE})
    assert [d.delivered for d in report.deliveries] == [True]
    (message,) = cloud.chat.accepted("slack")
    body = message.body
    mrkdwn = [body["text"]]
    for block in body["blocks"]:
        if block["type"] == "section":
            mrkdwn.append(block["text"]["text"])
        elif block["type"] == "context":
            mrkdwn.extend(e["text"] for e in block["elements"])
    joined = "\n".join(mrkdwn)
    assert "<" not in joined and ">" not in joined.replace("&gt;", "")
    assert f"&lt;{EVIL}|Log in&gt;" in body["text"] and f"&lt;{EVIL}|Log in&gt;" in joined
    assert "&lt;!channel&gt;" in joined and "&lt;!everyone&gt;" in joined
    assert "@all" not in joined and "@here" not in joined and "@" + ZWSP + "all" in joined
    header = body["blocks"][0]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"  # never parsed: shown as is
