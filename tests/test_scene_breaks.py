"""Scene-break separators typed by hand, in AO3 HTML and Wattpad text alike, and their lookalikes."""

from __future__ import annotations

import pytest
from conftest import REPO

from ebookify.ao3 import read_work
from ebookify.model import BlockKind
from ebookify.parse import parse_body
from ebookify.separators import is_scene_break

SEPARATORS = [
    "xxx",
    "XXX",
    "xXx",
    "xxxxxxxx",
    "x x x",
    "oOo",
    "OoOoO",
    "oOoOo",
    "~*~",
    "*~*~*",
    "~*~*~*~",
    "-x-",
    "x-x-x",
    "~o~",
    "-oOo-",
    "~x~x~",
    "◇◇◇",
    "◆◇◆",
    "+++",
    "###",
    "***",
    "* * *",
    "*   *   *",
    "~~~",
    "-----",
    "___",
    "===",
    "———",
    "— — —",
    "–––",
    "•••",
    "• • •",
    "·•·•·",
    "♡♡♡",
    "❤❤❤",
    "☆★☆",
    "§§§",
    "%%%",
    "^^^",
    "<><><>",
    "⁂",
    "❦",
    "§",
    "※",
    "\u00a0* * *\u00a0",  # AO3's no-break spaces around it
    "❤️❤️❤️",  # hearts with their emoji variation selector
    "＊＊＊",
]

NOT_SEPARATORS = [
    "",
    "   ",
    "x",  # a kiss
    "xx",  # a sign-off: a lone "xx" ends a letter or a text far more often than it breaks a scene
    "XO",
    "xo",
    "xox",
    "XOXO",
    "xoxo",
    "love you xx",
    "Oh",
    "Ooo",
    "ooo",
    "OOO",
    "Oo",
    "Ok.",
    "OK",
    "I",
    "A",
    "No",
    "1",
    "123",
    "2024",
    "...",  # a pause or a silence, written as text
    "…",
    ". . .",
    "……",
    "?!",
    "???",
    "!!!",
    "?!?!",
    "-_-",  # faces
    "^_^",
    "o_o",
    "O_O",
    "x_x",
    "X-X",
    "o-o",
    "O.o",
    "o.O",
    ">.<",
    "-.-",
    "*_*",
    ":)",
    ":-)",
    ";)",
    "xD",
    "XD",
    "<3",
    "<333",
    "///",  # blushing
    "\\o/",
    "—",
    "——",
    "--",
    "**",
    "~~",
    "()",
    "(...)",
    "[...]",
    '"..."',
    "“…”",
    "'",
    "😭😭😭",  # a chat message far more often than a break
    "🌸🌸🌸",
    "* * * Y/N * * *",
    "***Chapter Two***",
    "x" * 100,  # too long to be a separator line: read as text
    "。。。",  # CJK sentence punctuation
    "！！！",
    "？？？",
    "⋯⋯",
    "————译者注————",  # a dashed label with words in it
]


@pytest.mark.parametrize("line", SEPARATORS)
def test_separators_are_scene_breaks(line):
    assert is_scene_break(line)


@pytest.mark.parametrize("line", NOT_SEPARATORS)
def test_lookalikes_are_text(line):
    assert not is_scene_break(line)


def wattpad(lines: list[str]) -> str:
    letter = {BlockKind.PARAGRAPH: "P", BlockKind.BREAK: "B", BlockKind.NOTE: "N"}
    return "".join(letter[b.kind] for b in parse_body(list(enumerate(lines, start=1))))


@pytest.mark.parametrize("separator", SEPARATORS)
def test_a_separator_line_in_wattpad_text_is_a_break(separator):
    assert wattpad(["Before.", separator, "After."]) == "PBP"


@pytest.mark.parametrize("line", [line for line in NOT_SEPARATORS if line.strip()])
def test_a_lookalike_line_in_wattpad_text_stays(line):
    assert wattpad(["Before.", line, "After."]) == "PPP"


def ao3(paragraphs: list[str]) -> tuple[str, list[str]]:
    template = (REPO / "tests" / "fixtures" / "ao3" / "oneshot.html").read_text(encoding="utf-8")
    start = template.index('<div class="userstuff">')
    end = template.index("</div>", start)
    from html import escape

    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    data = (template[:start] + f'<div class="userstuff">{body}' + template[end:]).encode("utf-8")
    blocks = [b for b in read_work(data, "w.html")[0].parts[0].blocks if b.kind is not BlockKind.NOTE]
    letter = {BlockKind.PARAGRAPH: "P", BlockKind.BREAK: "B"}
    return "".join(letter[b.kind] for b in blocks), [b.text for b in blocks if b.kind is BlockKind.PARAGRAPH]


@pytest.mark.parametrize("separator", SEPARATORS)
def test_a_separator_paragraph_in_ao3_html_is_a_break(separator):
    assert ao3(["Before.", separator, "After."])[0] == "PBP"


@pytest.mark.parametrize("line", [line for line in NOT_SEPARATORS if line.strip() and "\u00a0" not in line])
def test_a_lookalike_paragraph_in_ao3_html_stays(line):
    assert ao3(["Before.", line, "After."]) == ("PPP", ["Before.", line, "After."])


def test_a_separator_inside_a_list_or_table_is_not_a_break():
    template = (REPO / "tests" / "fixtures" / "ao3" / "oneshot.html").read_text(encoding="utf-8")
    start = template.index('<div class="userstuff">')
    end = template.index("</div>", start)
    body = "<p>a</p><ul><li>***</li></ul><table><tr><td>xxx</td></tr></table><p>b</p>"
    data = (template[:start] + f'<div class="userstuff">{body}' + template[end:]).encode("utf-8")
    blocks = [b for b in read_work(data, "w.html")[0].parts[0].blocks if b.kind is not BlockKind.NOTE]
    assert [(b.kind, b.text) for b in blocks][1:3] == [(BlockKind.PARAGRAPH, "***"), (BlockKind.PARAGRAPH, "xxx")]
