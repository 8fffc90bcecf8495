"""Warnings that help: a place in an AO3 work is its chapter and paragraph (a chapter is one
physical line there), a Wattpad part keeps file:line, and a warning repeated in one file is one
line with its count and first place."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO, assert_sound_epub, story_text
from test_cli import run

from ebookify.build import BuildOptions, build
from ebookify.places import Place, Repeated, collapse

FIXTURES = REPO / "tests" / "fixtures" / "ao3"
MULTI = (FIXTURES / "multichapter.html").read_text(encoding="utf-8")
GULLS = "<p>“They all write about the gulls,” Callum said. “Every keeper. Like it’s a rule.”</p>"
HOW = "<p>“How?”</p>"
assert GULLS in MULTI and HOW in MULTI
# Two quotes left open: chapter 2's fifth paragraph, chapter 3's fourth.
QUOTES = MULTI.replace(GULLS, GULLS.replace("rule.”", "rule.")).replace(HOW, "<p>“How?</p>")


def one_line_chapters(html: str) -> str:
    """The download as AO3 writes real ones: each chapter's text on one physical line."""
    return re.sub(
        r'(<div class="userstuff">)(.*?)(</div>\n<!--/chapter content-->)',
        lambda m: m.group(1) + m.group(2).replace("\n", "") + m.group(3),
        html,
        flags=re.S,
    )


def check_json(tmp_path, *args: str) -> dict:
    result = run(tmp_path, "check", "--json", *args)
    return json.loads(result.stdout)


@pytest.mark.parametrize("html", [QUOTES, one_line_chapters(QUOTES)], ids=["line-per-paragraph", "line-per-chapter"])
def test_check_places_ao3_problems_by_chapter_and_paragraph(tmp_path, stories, html):
    stories({"work.html": html})
    result = run(tmp_path, "check", "--name", "Sam")
    warnings = [line for line in result.stderr.splitlines() if line.startswith("ebookify: warning:")]
    assert warnings == [
        "ebookify: warning: stories/work.html, chapter 1, paragraph 5 has an image (https://example.com/x.png); "
        "left out, as ebookify fetches no picture from the web; its description is kept",
        "ebookify: warning: 2 unbalanced quotes in stories/work.html, first at chapter 2, paragraph 5",
        "ebookify: warning: no value for L/N (3×, first at stories/work.html, summary), "
        "H/C (1×, first at stories/work.html, chapter 1, paragraph 4): left as written; fill with --set L/N=…",
    ]
    assert "stories/work.html, chapter 3, paragraph 7" in result.stdout  # F/N's first place, in the table


def test_check_json_gives_chapter_and_paragraph(tmp_path, stories):
    stories({"work.html": one_line_chapters(QUOTES)})
    report = check_json(tmp_path, "--name", "Sam")
    firsts = {p["code"]: p["first"] for p in report["placeholders"]}
    assert {k: v for k, v in firsts["H/C"].items() if k != "line"} == {
        "file": "stories/work.html",
        "chapter": 1,
        "paragraph": 4,
        "where": "chapter 1, paragraph 4",
    }
    assert firsts["L/N"]["where"] == "summary" and firsts["L/N"]["chapter"] is None
    assert "2 unbalanced quotes in stories/work.html, first at chapter 2, paragraph 5" in report["warnings"]


def test_one_problem_in_a_file_is_told_where_it_is(tmp_path, stories):
    stories({"work.html": MULTI.replace(HOW, "<p>“How?</p>")})
    report = check_json(tmp_path)
    assert "stories/work.html, chapter 3, paragraph 4 has an unbalanced quote" in report["warnings"]


def test_a_one_shot_has_paragraphs_but_no_chapter(tmp_path, stories):
    oneshot = (FIXTURES / "oneshot.html").read_text(encoding="utf-8")
    sat = "<p>You sat. You did not touch the compass rose.</p>"
    assert sat in oneshot
    stories({"work.html": oneshot.replace(sat, "<p>“You sat. You did not touch the compass rose.</p>")})
    assert "stories/work.html, paragraph 3 has an unbalanced quote" in check_json(tmp_path)["warnings"]


def test_a_quote_in_an_authors_note_is_placed_among_the_notes(tmp_path, stories):
    note = "<p>Set a few months after part one. Callum still hasn't fixed the gate.</p>"
    stories({"work.html": MULTI.replace(note, '<p>"Set a few months after part one.</p>')})
    assert "stories/work.html, chapter 1, note paragraph 3 has an unbalanced quote" in check_json(tmp_path)["warnings"]


def test_wattpad_text_keeps_file_and_line_and_repeats_collapse(tmp_path, stories):
    body = "“Run,” Y/N said.\n“Where?\nThe ferry.\n“Now."
    stories({"1.txt": story_text(body=body), "2.txt": story_text(body="“Wait.", title_line="Mara Voss - Part 2")})
    warnings = check_json(tmp_path)["warnings"]
    assert "2 unbalanced quotes in stories/1.txt, first at line 6" in warnings
    assert "stories/2.txt:5 has an unbalanced quote" in warnings


def test_images_repeated_in_a_work_are_one_build_warning_and_the_book_is_valid(tmp_path, stories):
    image = '<p><img src="https://example.com/gull.png" alt="a gull" /></p>'
    html = MULTI.replace("<p>“How?”</p>", "<p>“How?”</p>" + image).replace("<hr>", image + "<hr>")
    report = build(BuildOptions(stories=stories({"work.html": html}), out_dir=tmp_path / "dist", names=("Sam",)))
    images = [w for w in report.warnings if "image" in w and not w.startswith("no value")]
    assert images == [
        f"3 images in {tmp_path}/stories/work.html, first at chapter 1, paragraph 5; "
        "left out, as ebookify fetches no picture from the web; its description is kept"
    ]
    assert_sound_epub(report.written[0].path)  # EPUBCheck: books.py ao3-mix


WORK = Place("w.html", 1, 3, 12)
QUOTE = Repeated(WORK, "has an unbalanced quote", "unbalanced quotes")
LATER = Repeated(Place("w.html", 1, 4, 2), "has an unbalanced quote", "unbalanced quotes")
OTHER_FILE = Repeated(Place("x.html", 9, None, 1), "has an unbalanced quote", "unbalanced quotes")
IMAGE = Repeated(Place("w.html", 1, 3, 2), "has an image (a.png)", "images", "; left out")

WATTPAD = Repeated(Place("p.txt", 4), "has an unbalanced quote", "unbalanced quotes")
FIRST = "2 unbalanced quotes in w.html, first at chapter 3, paragraph 12"
COLLAPSE = [
    # (warnings, as told)
    ([QUOTE], ["w.html, chapter 3, paragraph 12 has an unbalanced quote"]),
    ([QUOTE, "plain", LATER], [FIRST, "plain"]),
    ([QUOTE, OTHER_FILE, LATER], [FIRST, "x.html, paragraph 1 has an unbalanced quote"]),
    (
        [IMAGE, QUOTE, IMAGE],
        [
            "2 images in w.html, first at chapter 3, paragraph 2; left out",
            "w.html, chapter 3, paragraph 12 has an unbalanced quote",
        ],
    ),
    ([WATTPAD, WATTPAD], ["2 unbalanced quotes in p.txt, first at line 4"]),
    (["same", "same"], ["same", "same"]),  # only warnings that know their place are counted
]


@pytest.mark.parametrize(("warnings", "told"), COLLAPSE)
def test_collapse(warnings, told):
    assert list(collapse(warnings)) == told


def test_an_image_in_a_chapters_notes_is_placed_in_them(tmp_path, stories):
    note = "<p>The keeper's log entries are made up"
    assert note in MULTI
    lighthouse = re.compile(r'<p><img src="https://example.com/x.png"[^>]*></p>')  # the chapter's own image
    html = lighthouse.sub("", MULTI, count=1).replace(note, '<p><img src="log.png" alt="" /></p>' + note)
    stories({"work.html": html})
    report = check_json(tmp_path)
    placed = "stories/work.html, chapter 2, notes has an image (log.png)"
    assert f"{placed}; left out, as ebookify fetches no picture from the web" in report["warnings"]
