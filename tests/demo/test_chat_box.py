"""The demo's chat boxes show a message as the chat does: its heading once, the footer kept when cut."""

from __future__ import annotations

from types import SimpleNamespace

from acrguard.demo.story import BOX_LINES, Story
from localcloud.chat import ChatMessage


def _box(text: str, title: str) -> list[str]:
    """The lines ``Story.show_chat`` prints for one accepted DingTalk markdown message."""
    message = ChatMessage(kind="dingtalk", robot="r", path="/robot/send", query={},
                          body={"msgtype": "markdown", "markdown": {"title": title, "text": text}}, raw=b"", at=0.0,
                          accepted=True)
    printed: list[str] = []
    chat = SimpleNamespace(accepted=lambda *_args: [message])
    story = SimpleNamespace(cloud=SimpleNamespace(chat=chat), seen_messages=0, echo=printed.append)
    assert Story.show_chat(story) == 1  # type: ignore[arg-type]
    return printed


def test_the_title_shows_once_as_the_heading():
    """DingTalk shows ``title`` only in the notification preview: the box has the heading line, not both."""
    title = "🔴 [CRITICAL] Registry demoreg is open — cri-demo"
    lines = _box(f"### {title}\nRule x\n\nbody\n\nacrguard · whitelist_guard · group abc · first notification", title)
    assert sum(title in line for line in lines) == 1 and lines[1] == f"   │ ### {title}"


def test_a_long_message_keeps_its_footer_and_says_how_to_read_the_rest():
    """Cut to BOX_LINES, the box still ends with the footer (the group id) and names alert show."""
    body = "\n".join(["### head", *(f"line {i}" for i in range(60)), "", "acrguard · job · group 1caa69134fe7 · new"])
    lines = _box(body, "head")
    inner = lines[1:-1]
    assert len(inner) == BOX_LINES
    assert inner[-1] == "   │ acrguard · job · group 1caa69134fe7 · new"
    assert "python -m acrguard alert show --config acrguard-demo.yaml GROUP" in inner[-3]
    assert "more lines in this message" in inner[-3]
