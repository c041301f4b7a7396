"""Turn a message into text a person acts on, in each chat platform's markup, within its size limit.

A group message reads: a headline with the severity and the resource, one block per finding
(who did it when known from the ActionTrail record, what changed, the fix), and a footer naming
the group. A digest counts every group and finding (by severity and by rule) and lists as many
groups as fit, each with its id. Whatever does not fit is dropped from the end and counted ("… and
12 more findings not shown"), as Alertmanager's ``TruncateInBytes`` and ``truncatedAlerts`` do; a
finding too big for its room loses its details first and never the first sentence of its fix. The
footer always stays, and every cut names the command that prints what was left out from the state
(``SHOW_COMMAND``, ``LIST_COMMAND``: ``acrguard alert show|list``).

Every piece of finding text is scrubbed with ``acrguard.redact.redact_text`` (AccessKey ids
masked, token parameters removed) and collapsed to single lines of bounded length.

Finding text carries cloud-side strings anyone with write access to the account chose (ACL entry
comments, route entry names, policy, user and repository names), so it is escaped for each
platform before it goes into a message: it must show as the text it is, never as a link with a
hidden target, an image, a mention or a heading.

* Slack ``mrkdwn``: ``&``, ``<`` and ``>`` become ``&amp;``, ``&lt;`` and ``&gt;``, the escaping
  Slack documents ("Escaping text", https://api.slack.com/reference/surfaces/formatting#escaping);
  links (``<url|text>``), mentions (``<@U…>``, ``<!here>``, ``<!channel>``) all need ``<``.
* DingTalk ``markdown``, WeCom ``markdown``, Feishu card ``markdown`` and the generic webhook's
  ``text`` document no escape character (DingTalk: links ``[t](url)``, images ``![](url)``,
  headings, quotes, lists, mentions through ``at``; WeCom: links, ``<font color>`` and ``<@userid>``
  mentions, https://developer.work.weixin.qq.com/document/path/91770; Feishu: links, images,
  ``<at id=all></at>``, ``<font>`` and other tags,
  https://open.larkoffice.com/document/ukTMukTMukTM/uADOwUjLwgDM14CM4ATN). Their syntax is
  broken instead, by acrguard's choice, with characters none of them parses: ``<``/``>`` become
  ``‹``/``›`` (no tag, autolink or ``<@…>``/``<at>`` mention), a ZERO WIDTH SPACE (U+200B) goes
  between ``]`` and ``(``, ``[`` or ``:`` (no inline, reference or image link), before a line's
  first character when it would start a block (``#``, ``-``, ``+``, ``*``, ``=``, ``|``, ``~``,
  a backtick, ``1.``) and after an ``@`` that starts a word (``@all``, ``@所有人``, ``@13800000000``).
  What is visible stays the same text; bare URLs stay as they are (their target is what they show).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from acrguard.alerts.message import DigestMessage, GroupMessage, Message
from acrguard.findings import Finding, Severity
from acrguard.redact import mask_access_key_id, redact_text

BADGE = {Severity.CRITICAL: "🔴", Severity.HIGH: "🟠", Severity.MEDIUM: "🟡", Severity.LOW: "🔵",
         Severity.INFO: "⚪"}
RESOLVED_BADGE = "✅"
#: Length caps (characters) of single fields, so one long value cannot crowd out the rest.
FIELD_CHARS = {"title": 200, "resource": 200, "actor": 160, "agent": 120, "detail_first": 500, "detail_line": 300,
               "detail_short": 160, "fix": 500, "fix_sentence": 1500}
MAX_DETAIL_LINES = 8
MAX_FIX_LINES = 10
MAX_RULES_IN_DIGEST = 15
#: The command that prints a group's findings in full from the state (what a message had to leave out).
SHOW_COMMAND = "python -m acrguard alert show --config acrguard.yaml {group}"
#: The command that lists every open group and its findings from the state.
LIST_COMMAND = "python -m acrguard alert list --config acrguard.yaml"


ZWSP = "\u200b"
_LINK_JOINT = re.compile(r"\](?=[(\[:])")
_BLOCK_START = re.compile(r"^(\s*)(?=[#\-+*=|~`_]|\d{1,9}[.)](?:\s|$))")
_MENTION = re.compile(r"(?<![\w.@])@(?=\w)")


def _defuse_mentions(text: str) -> str:
    return _MENTION.sub("@" + ZWSP, text)


def escape_markdown(text: str) -> str:
    """Cloud-side text for DingTalk, WeCom and Feishu markdown: shown as is, never a link, tag or mention."""
    text = text.replace("<", "‹").replace(">", "›")
    return _defuse_mentions(_LINK_JOINT.sub("]" + ZWSP, text))


def markdown_line(text: str) -> str:
    """Escaped text that starts a line: a leading ``#``, ``-``, ``1.`` … cannot start a heading, list or quote."""
    return _BLOCK_START.sub(lambda m: m.group(1) + ZWSP, text, count=1)


def escape_slack(text: str) -> str:
    """Cloud-side text for Slack ``mrkdwn``: ``&``, ``<``, ``>`` escaped as Slack documents; no mention."""
    return _defuse_mentions(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


@dataclass(frozen=True)
class Dialect:
    """How one platform marks up headings, bold text and line breaks, and what it must escape."""

    name: str
    heading: Callable[[str], str]
    bold: Callable[[str], str]
    escape: Callable[[str], str]
    line_start: Callable[[str], str] = str  # applied to escaped text that begins a line
    line_break: str = "\n"
    block_break: str = "\n\n"
    bullet: str = "- "


DINGTALK = Dialect("dingtalk", heading=lambda s: f"### {s}", bold=lambda s: f"**{s}**", escape=escape_markdown,
                   line_start=markdown_line, line_break="  \n")
WECOM = Dialect("wecom", heading=lambda s: f"### {s}", bold=lambda s: f"**{s}**", escape=escape_markdown,
                line_start=markdown_line)
FEISHU = Dialect("feishu", heading=lambda s: f"**{s}**", bold=lambda s: f"**{s}**", escape=escape_markdown,
                 line_start=markdown_line)
SLACK = Dialect("slack", heading=lambda s: f"*{s}*", bold=lambda s: f"*{s}*", escape=escape_slack)
#: the generic webhook's ``text`` is markdown for receivers that just show it
PLAIN = Dialect("plain", heading=lambda s: f"## {s}", bold=lambda s: f"**{s}**", escape=escape_markdown,
                line_start=markdown_line)


@dataclass(frozen=True)
class Rendered:
    """A message laid out for one dialect: a plain-text ``title`` and the parts of the body."""

    title: str
    head: str  # the heading line and the summary
    blocks: tuple[str, ...]
    note: str
    footer: str
    shown: int
    omitted: int
    block_break: str = "\n\n"
    summary: str = ""  # the head without its heading line (for platforms that show the title themselves)

    @property
    def text(self) -> str:
        """The whole body: head, blocks, the omission note and the footer."""
        return self.block_break.join(part for part in (self.head, *self.blocks, self.note, self.footer) if part)


# -- small text helpers ------------------------------------------------------------------------
def size(text: str) -> int:
    """UTF-8 length in bytes (the unit the platforms limit)."""
    return len(text.encode("utf-8"))


def truncate_bytes(text: str, max_bytes: int, marker: str = "…") -> str:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes (ending in ``marker`` when cut)."""
    if size(text) <= max_bytes:
        return text
    budget = max(0, max_bytes - size(marker))
    cut = text.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    return cut + marker if max_bytes >= size(marker) else ""


def clean(text: str | None, limit: int) -> str:
    """One line: secrets redacted, control characters and runs of blanks collapsed, at most ``limit`` chars."""
    if not text:
        return ""
    flat = " ".join(redact_text(str(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def when(epoch: float) -> str:
    """``2026-01-31 18:00:00 UTC``."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def plural(count: int, noun: str) -> str:
    """``1 finding`` / ``3 findings``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def show_command(group_hash: str) -> str:
    """``python -m acrguard alert show --config acrguard.yaml 98c2dd6f20b4``: the group's findings in full."""
    return SHOW_COMMAND.format(group=group_hash)


_SENTENCE_END = re.compile(r"[.;:!?](?=\s)")


def first_sentence(text: str) -> str:
    """``text`` up to the end of its first sentence (all of it when it has one sentence)."""
    match = _SENTENCE_END.search(text)
    return text[: match.end()] if match else text


def clip(text: str | None, limit: int, *, keep_first_sentence: bool = False) -> str:
    """One line like ``clean``, but cut after a whole sentence or word, never inside one when avoidable.

    ``keep_first_sentence``: the first sentence is never cut (up to ``FIELD_CHARS["fix_sentence"]``),
    for the line that says what to do.
    """
    flat = clean(text, 1_000_000)
    if keep_first_sentence:
        limit = max(limit, min(len(first_sentence(flat)), FIELD_CHARS["fix_sentence"]))
    if len(flat) <= limit:
        return flat
    head = flat[: limit - 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= limit // 2:
        return head[: ends[-1]] + " …"
    space = head.rfind(" ")
    return (head[:space] if space >= limit // 2 else head) + "…"


# -- pieces of a group message -----------------------------------------------------------------
def headline(message: GroupMessage) -> str:
    """The first line: severity, what and where (plain text)."""
    count = len(message.findings)
    first = message.findings[0] if message.findings else None
    if message.status == "resolved":
        what = clean(first.title, FIELD_CHARS["title"]) if count == 1 and first else \
            f"{message.rule}: {plural(count, 'finding')}"
        return f"{RESOLVED_BADGE} [RESOLVED] {what} — {clean(message.scope, FIELD_CHARS['resource'])}"
    severity = message.severity
    if count == 1 and first is not None:
        return (f"{BADGE[severity]} [{severity.value.upper()}] {clean(first.title, FIELD_CHARS['title'])} — "
                f"{clean(first.resource, FIELD_CHARS['resource'])}")
    return (f"{BADGE[severity]} [{severity.value.upper()}] {message.rule}: {plural(count, 'finding')} in "
            f"{clean(message.scope, FIELD_CHARS['resource'])}")


def actor_line(finding: Finding) -> str:
    """``alice from 198.51.100.7 (aliyun-cli/3.0) with AccessKey LTAI****Ab3x, AuthorizeSecurityGroup at …``."""
    actor = finding.actor
    if actor is None:
        return ""
    parts = [clean(actor.identity, FIELD_CHARS["actor"]) or "unknown identity"]
    if actor.source_ip:
        parts.append(f"from {clean(actor.source_ip, 64)}")
    if actor.user_agent:
        parts.append(f"({clean(actor.user_agent, FIELD_CHARS['agent'])})")
    if actor.access_key_id:
        parts.append(f"with AccessKey {mask_access_key_id(actor.access_key_id)}")
    text = " ".join(parts)
    if actor.event_name:
        text += f", {clean(actor.event_name, 80)}"
    if actor.event_time:
        text += f" at {clean(actor.event_time, 40)}"
    return text


@dataclass(frozen=True)
class _Cut:
    """How much of a finding's details and fix one attempt at fitting a block keeps."""

    detail_lines: int  # 0: the details are left out
    first_chars: int  # of the first detail line
    line_chars: int  # of each later detail line
    fix_lines: int
    fix_sentence_only: bool = False


#: From the whole block to the least that still says what to do: details shrink first, then the fix
#: loses its later lines, and last its first line is cut to the first sentence, which is never cut.
_CUTS = (
    _Cut(MAX_DETAIL_LINES, FIELD_CHARS["detail_first"], FIELD_CHARS["detail_line"], MAX_FIX_LINES),
    _Cut(1, FIELD_CHARS["detail_first"], 0, MAX_FIX_LINES),
    _Cut(1, FIELD_CHARS["detail_short"], 0, MAX_FIX_LINES),
    _Cut(0, 0, 0, MAX_FIX_LINES),
    _Cut(0, 0, 0, 1),
    _Cut(0, 0, 0, 1, fix_sentence_only=True),
)


def _more(count: int, what: str, group_hash: str) -> str:
    """``… 22 more lines: python -m acrguard alert show …``: what was left out, and where it is."""
    where = f": {show_command(group_hash)}" if group_hash else ""
    return f"… {plural(count, what)} not shown{where}"


def finding_block(finding: Finding, dialect: Dialect, resolved: bool = False, *, max_bytes: int | None = None,
                  group_hash: str = "") -> str:
    """One finding: title and severity, resource, who, what changed, the fix; within ``max_bytes`` if given.

    What does not fit is left out in this order: detail lines after the first, the rest of the first
    detail line, the details, the fix's later lines, the rest of the fix's first line after its first
    sentence. The first sentence of the fix is always kept; each cut says how many lines were left out
    and (with ``group_hash``) the command that prints them from the state.
    """
    text = ""
    for cut in _CUTS:
        text = _finding_text(finding, dialect, resolved, cut, group_hash)
        if max_bytes is None or size(text) <= max_bytes:
            return text
    return truncate_bytes(text, max_bytes)  # title, resource and the fix's first sentence alone are too long


def _finding_text(finding: Finding, dialect: Dialect, resolved: bool, cut: _Cut, group_hash: str) -> str:
    esc = dialect.escape
    badge = RESOLVED_BADGE if resolved else BADGE[finding.severity]
    lines = [f"{badge} {dialect.bold(esc(clean(finding.title, FIELD_CHARS['title'])))} · "
             f"{finding.severity.value.upper()}",
             f"Resource: {esc(clean(finding.resource, FIELD_CHARS['resource']))}"]
    who = actor_line(finding)
    if who:
        lines.append(f"Who: {esc(who)}")
    if resolved:
        return dialect.line_break.join(lines)
    details = [line for line in (finding.details or "").splitlines() if line.strip()]
    if details and cut.detail_lines == 0:
        lines.append(f"What changed: {_more(len(details), 'line', group_hash)}")
    elif details:
        lines.append(f"What changed: {esc(clip(details[0], cut.first_chars))}")
        kept = details[1:cut.detail_lines]
        lines.extend(f"  {dialect.line_start(esc(clip(line, cut.line_chars)))}" for line in kept)
        if len(details) > 1 + len(kept):
            lines.append(f"  {_more(len(details) - 1 - len(kept), 'more line', group_hash)}")
    fixes = [line for line in (finding.fix or "").splitlines() if line.strip()]
    if fixes:
        whole = clean(fixes[0], 1_000_000)
        first = clip(whole, FIELD_CHARS["fix"], keep_first_sentence=True)
        if cut.fix_sentence_only and first_sentence(whole) != whole:
            first = first_sentence(whole) + " …"
        lines.append(f"Fix: {esc(first)}")
        kept = fixes[1:cut.fix_lines]
        lines.extend(f"  {dialect.line_start(esc(clip(line, FIELD_CHARS['fix'])))}" for line in kept)
        if len(fixes) > 1 + len(kept):
            lines.append(f"  {_more(len(fixes) - 1 - len(kept), 'more line', group_hash)}")
    return dialect.line_break.join(lines)


def _group_head(message: GroupMessage, dialect: Dialect) -> tuple[str, str]:
    esc = dialect.escape
    summary = (f"Rule {esc(message.rule)} · scope {esc(clean(message.scope, FIELD_CHARS['resource']))} · "
               f"{plural(len(message.findings), 'finding')} · firing since {when(message.since)}")
    if message.status == "resolved":
        summary = (f"Rule {esc(message.rule)} · scope {esc(clean(message.scope, FIELD_CHARS['resource']))}: "
                   f"{plural(len(message.findings), 'finding')} no longer reported (first seen {when(message.since)})")
    parts = [summary]
    if message.resolved_since:
        names = "; ".join(clean(f"{f.title} — {f.resource}", 120) for f in message.resolved_since[:5])
        more = len(message.resolved_since) - 5
        parts.append(f"Resolved since the last message: {esc(names)}" + (f" and {more} more" if more > 0 else ""))
    return dialect.heading(esc(headline(message))), dialect.line_break.join(parts)


def _footer(job: str, group: str, reason: str, keywords: tuple[str, ...], text_so_far: str) -> str:
    footer = f"acrguard · {job or 'alerts'} · {group} · {reason}"
    if keywords and not any(k in text_so_far or k in footer for k in keywords):
        footer += f" · {keywords[0]}"
    return footer


# -- fitting ---------------------------------------------------------------------------------
#: A block of a message, laid out within a byte budget (None: no limit).
BlockMaker = Callable[[int | None], str]


def _line_maker(line: str) -> BlockMaker:
    return lambda budget: line if budget is None else truncate_bytes(line, budget)


def _fit(heading: str, summary: str, blocks: list[BlockMaker], footer: str, total: int,
         describe_omitted: Callable[[int], str], dialect: Dialect, max_bytes: int, title: str,
         max_block_bytes: int | None) -> Rendered:
    """Keep as many ``blocks`` as fit in ``max_bytes`` with head, footer and a note counting the rest.

    ``describe_omitted(n)`` words the note for ``n`` left-out items; it must not grow as ``n`` shrinks.
    The footer is always kept. A block too big for its own limit (``max_block_bytes``) or for the
    room left is laid out smaller by its maker (a finding keeps its fix's first sentence).
    """
    head = heading + dialect.line_break + summary
    sep = size(dialect.block_break)
    worst_note = describe_omitted(total)
    available = max_bytes - size(head) - size(footer) - size(worst_note) - 3 * sep
    shown: list[str] = []
    for make in blocks:
        block = make(max_block_bytes)
        cost = size(block) + sep
        if cost > available:
            if not shown and available > 200:  # one oversize block: the part of it that fits rather than nothing
                shown.append(make(available - sep))
            break
        shown.append(block)
        available -= cost
    omitted = total - len(shown)
    note = describe_omitted(omitted) if omitted > 0 else ""
    rendered = Rendered(title=title, head=head, blocks=tuple(shown), note=note, footer=footer, shown=len(shown),
                        omitted=omitted, block_break=dialect.block_break, summary=summary)
    if size(rendered.text) > max_bytes:  # only when head and footer alone are too long
        head = truncate_bytes(head, max(0, max_bytes - size(footer) - size(describe_omitted(total)) - 3 * sep))
        rendered = Rendered(title=title, head=head, blocks=(), note=describe_omitted(total), footer=footer, shown=0,
                            omitted=total, block_break=dialect.block_break,
                            summary=truncate_bytes(summary, max(0, size(head) - size(heading))))
    return rendered


def render_group(message: GroupMessage, dialect: Dialect, *, max_bytes: int, max_items: int,
                 keywords: tuple[str, ...] = (), max_block_bytes: int | None = None) -> Rendered:
    """A group message within ``max_bytes``, at most ``max_items`` findings listed, the rest counted.

    What is left out (findings, lines of a finding) is counted, and the note names the command that
    prints the group in full from the state (``show_command``).
    """
    resolved = message.status == "resolved"
    heading, summary = _group_head(message, dialect)
    group = message.group_hash
    blocks: list[BlockMaker] = [
        (lambda budget, f=f: finding_block(f, dialect, resolved, max_bytes=budget, group_hash=group))
        for f in message.findings[:max_items]]
    footer = _footer(message.job, f"group {group}", message.reason, keywords,
                     heading + summary + "".join(finding_block(f, dialect, resolved)
                                                 for f in message.findings[:max_items]))
    total = len(message.findings)
    return _fit(heading, summary, blocks, footer, total,
                lambda n: f"… and {plural(n, 'more finding')} not shown; all of them: {show_command(group)}",
                dialect, max_bytes, truncate_bytes(headline(message), 256), max_block_bytes)


def _digest_head(message: DigestMessage, dialect: Dialect) -> tuple[str, str, str]:
    esc = dialect.escape
    firing = [g for g in message.groups if g.status == "firing"]
    resolved = [g for g in message.groups if g.status == "resolved"]
    badge = BADGE[message.severity] if firing else RESOLVED_BADGE
    title = (f"{badge} acrguard digest: {plural(len(message.groups), 'alert group')}, "
             f"{plural(message.finding_count, 'finding')}")
    lines = [f"Sent as one message: {esc(message.reason)}"]
    if firing:
        by_severity = Counter(f.severity for g in firing for f in g.findings)
        counts = " · ".join(f"{BADGE[s]} {s.value} {by_severity[s]}" for s in Severity if by_severity[s])
        lines.append(f"Firing: {plural(len(firing), 'group')}, "
                     f"{plural(sum(len(g.findings) for g in firing), 'finding')} ({counts})")
    if resolved:
        lines.append(f"Resolved: {plural(len(resolved), 'group')}, "
                     f"{plural(sum(len(g.findings) for g in resolved), 'finding')}")
    by_rule: dict[str, list[int]] = {}
    for group in message.groups:
        entry = by_rule.setdefault(group.rule, [0, 0])
        entry[0] += len(group.findings)
        entry[1] += 1
    ranked = sorted(by_rule.items(), key=lambda item: (-item[1][0], item[0]))
    lines.append("By rule:")
    lines.extend(f"{dialect.bullet}{esc(rule)}: {plural(f, 'finding')} in {plural(g, 'group')}"
                 for rule, (f, g) in ranked[:MAX_RULES_IN_DIGEST])
    if len(ranked) > MAX_RULES_IN_DIGEST:
        rest = ranked[MAX_RULES_IN_DIGEST:]
        lines.append(f"{dialect.bullet}… and {plural(len(rest), 'more rule')} with "
                     f"{plural(sum(f for _, (f, _g) in rest), 'finding')}")
    lines.append(f"A digest counts findings without their text. Each group's findings in full: "
                 f"{show_command('GROUP')} (GROUP as listed below); every open group and its findings: "
                 f"{LIST_COMMAND}")
    return title, dialect.heading(esc(title)), dialect.line_break.join(lines)


def render_digest(message: DigestMessage, dialect: Dialect, *, max_bytes: int, keywords: tuple[str, ...] = (),
                  max_block_bytes: int | None = None) -> Rendered:
    """A digest within ``max_bytes``: every group counted, as many listed (one line each) as fit.

    Each listed group carries its id for ``alert show``; the groups that do not fit are counted and
    the note names ``alert list``, so no finding is only a number.
    """
    title, heading, summary = _digest_head(message, dialect)
    lines = [f"{dialect.bullet}{dialect.escape(headline(g))} ({plural(len(g.findings), 'finding')}, "
             f"group {g.group_hash})" for g in message.groups]
    jobs = sorted({g.job for g in message.groups if g.job})
    footer = _footer(",".join(jobs), "digest", "rate limit", keywords, heading + summary + "".join(lines))
    sizes = [len(g.findings) for g in message.groups]
    total_findings = sum(sizes)

    def omitted(n: int) -> str:
        hidden = sum(sizes[len(sizes) - n:]) if n else 0
        return (f"… and {plural(n, 'more group')} ({plural(hidden, 'finding')}) not listed; "
                f"all {plural(total_findings, 'finding')} are counted above; every group: {LIST_COMMAND}")

    return _fit(heading, summary, [_line_maker(line) for line in lines], footer, len(message.groups), omitted,
                dialect, max_bytes, truncate_bytes(title, 256), max_block_bytes)


def render(message: Message, dialect: Dialect, *, max_bytes: int, max_items: int, keywords: tuple[str, ...] = (),
           max_block_bytes: int | None = None) -> Rendered:
    """Render a group message or a digest (see ``render_group`` and ``render_digest``)."""
    if isinstance(message, DigestMessage):
        return render_digest(message, dialect, max_bytes=max_bytes, keywords=keywords,
                             max_block_bytes=max_block_bytes)
    return render_group(message, dialect, max_bytes=max_bytes, max_items=max_items, keywords=keywords,
                        max_block_bytes=max_block_bytes)
