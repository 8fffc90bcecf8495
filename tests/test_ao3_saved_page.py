"""AO3 work pages saved from a browser: read like the work's download, nothing of the site kept."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import REPO, assert_sound_epub, epub_pages, page_text

from ebookify.ao3 import read_work
from ebookify.build import BuildOptions, build
from ebookify.errors import StoryError
from ebookify.model import BlockKind, Story

FIXTURES = REPO / "tests" / "fixtures" / "ao3"
SITE = [  # text of the site around the work: menus, login, search, kudos, comments, footer
    "Main Content",
    "While we've done our best",
    "Log In",
    "Forgot password",
    "Fandoms",
    "Work Search",
    "sherlock",
    "Chapter by Chapter",
    "Chapter Index",
    "Share",
    "Download",
    "Entire Work",
    "Next Chapter",
    "Previous Chapter",
    "Work Header",
    "Chapter Text",
    "Work Text",
    "Kudos ♥",
    "saltwaterfern",
    "pebblemoth",
    "left kudos",
    "Post Comment",
    "you can't leave a comment",
    "deserves a medal",
    "Site Map",
    "Terms of Service",
    "Hits",
    "Bookmarks",
    "Previous Work",
    "monospace",
    "setupToggled",
    "In response to a",
    "See the end",
]


def read(name: str, warnings: list[str] | None = None, source: str | None = None) -> Story:
    """The work in fixture `name`; its warnings are added to `warnings` when given."""
    story, said = read_work((FIXTURES / name).read_bytes(), source or name)
    if warnings is not None:
        warnings += said
    return story


def unplaced(story: Story) -> Story:
    """The story without where each piece sat in its file (a page and a download differ there)."""
    parts = tuple(
        replace(p, title_line=1, synopsis_line=None, blocks=tuple(replace(b, line=0) for b in p.blocks))
        for p in story.parts
    )
    return replace(story, parts=parts)


def every_text(story: Story) -> str:
    work = story.work
    texts = [story.title, story.who, work.summary or "", *work.freeforms, *work.characters, *(t for _, t in work.stats)]
    for part in story.parts:
        texts += [part.label or "", part.synopsis or "", *(b.text for b in part.blocks)]
    return "\n".join(texts)


@pytest.mark.parametrize(
    ("download", "page"),
    [
        ("multichapter.html", "saved-page-entire.html"),
        ("oneshot.html", "saved-page-oneshot.html"),
    ],
)
def test_a_saved_page_gives_the_same_story_as_the_download(download, page):
    from_download, from_page = [], []
    expected = read(download, from_download, source="work.html")
    story = read(page, from_page, source="work.html")
    assert unplaced(story) == unplaced(expected)
    assert story.work == expected.work
    assert [w.partition(" has ")[2] for w in from_page] == [w.partition(" has ")[2] for w in from_download]


def test_the_entire_work_page_keeps_the_work_and_nothing_of_the_site():
    story = read("saved-page-entire.html")
    meta = story.work
    assert (story.title, meta.url) == ("Where the Tide Turns", "https://archiveofourown.org/works/51377024")
    assert meta.authors == ("marrowlight", "Tamsin Reed (tidewrack)")
    assert (meta.rating, meta.warnings, meta.categories) == (
        "General Audiences",
        ("Creator Chose Not To Use Archive Warnings",),
        ("Gen", "F/M"),
    )
    assert (meta.language, meta.series, meta.words) == ("English", (("Harbour Lights", 2),), 1036)
    published, completed = ("Published", "2024-06-02"), ("Completed", "2024-06-30")
    assert meta.stats == (published, completed, ("Words", "1,036"), ("Chapters", "3/3"))  # no kudos, hits
    assert [p.label for p in story.parts] == ["1. The Lighthouse", "Chapter 2", "3. Y/N's Choice"]
    assert story.parts[0].synopsis == "The lamp goes dark, and the village sends you up the hill with soup."
    notes = [b.text for b in story.parts[0].blocks if b.kind is BlockKind.NOTE]
    assert notes == [
        "L/N = last name, H/C = hair colour, F/N = first name",
        "Part two of Harbour Lights, but you don't need to have read part one.",
        "Set a few months after part one. Callum still hasn't fixed the gate.",
    ]
    assert story.parts[1].blocks[-1].text.startswith("The keeper's log entries are made up")
    text = every_text(story)
    for site in SITE:
        assert site not in text, site


def test_a_one_shot_page_saved_complete_names_its_work_from_the_saved_address():
    warnings: list[str] = []
    story = read("saved-page-oneshot.html", warnings)
    assert story.work.url == "https://archiveofourown.org/works/48213907"
    assert len(story.parts) == 1 and story.parts[0].part is None
    assert story.parts[0].blocks[-1].kind is BlockKind.NOTE  # the work's end notes
    assert story.parts[0].blocks[-1].text == "Kudos and comments keep the lamps lit."
    assert warnings == []
    text = every_text(story)
    for site in SITE:
        assert site not in text, site


def test_a_page_of_one_chapter_builds_that_chapter_and_says_what_is_missing():
    warnings: list[str] = []
    story = read("saved-page-one-chapter.html", warnings)
    assert warnings == [
        "saved-page-one-chapter.html shows chapter 2 of 3 only; use Entire Work or Download → HTML for the rest"
    ]
    (chapter,) = story.parts
    assert (chapter.part, chapter.label) == (2, "Chapter 2")
    entire = read("saved-page-entire.html").parts[1]
    assert [b.text for b in chapter.blocks] == [b.text for b in entire.blocks]
    assert story.work.url == "https://archiveofourown.org/works/51377024"  # from AO3's relative links
    assert story.work.summary is None  # a later chapter's page does not show the work's summary


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        # AO3's chapter navigation alone tells a one-chapter page, even with no stats
        ('<dt class="chapters">Chapters:</dt><dd class="chapters">3/3</dd>', "shows chapter 2 only"),
        # a page with no navigation but stats naming more chapters than it shows
        ('<li class="chapter entire">', "shows chapter 2 of 3 only"),
    ],
)
def test_one_chapter_of_several_is_told_by_stats_or_by_navigation(cut, message):
    page = (FIXTURES / "saved-page-one-chapter.html").read_text(encoding="utf-8").replace(cut, "")
    _, warnings = read_work(page.encode("utf-8"), "p.html")
    assert warnings == [f"p.html {message}; use Entire Work or Download → HTML for the rest"]


def test_a_saved_page_with_no_text_in_a_chapter_is_refused_naming_the_chapter():
    page = (FIXTURES / "saved-page-entire.html").read_text(encoding="utf-8")
    start = page.index('<h3 class="landmark heading" id="work">Chapter Text</h3>', page.index('id="chapter-2"'))
    end = page.index("</div>", start)
    broken = page[: start + len('<h3 class="landmark heading" id="work">Chapter Text</h3>')] + page[end:]
    with pytest.raises(StoryError, match=r"^p\.html:\d+ has no story text in chapter 2$"):
        read_work(broken.encode("utf-8"), "p.html")[0]


def test_saved_pages_build_sound_books(tmp_path, stories):
    folder = stories(
        {
            name: (FIXTURES / name).read_bytes()
            for name in ("saved-page-entire.html", "saved-page-oneshot.html", "saved-page-one-chapter.html")
        }
    )
    report = build(BuildOptions(stories=folder, out_dir=tmp_path / "dist", names=("Sam",), values={"L/N": "Rivers"}))
    (written,) = report.written
    assert_sound_epub(written.path)  # EPUBCheck: books.py ao3-mix
    text = "\n".join(page_text(p) for p in epub_pages(written.path.read_bytes()).values())
    assert "Lamp lit at 04:52 by Sam." in text and "Sam Rivers" in text
    for site in ("Kudos ♥", "deserves a medal", "Chapter Text", "Work Text:", "Next Chapter →", "Log In"):
        assert site not in text, site
    assert any("shows chapter 2 of 3 only" in w for w in report.warnings)
