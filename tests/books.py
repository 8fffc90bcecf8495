"""The representative books: every kind of book the suite builds, each checked by EPUBCheck once
per session (tests/test_epubcheck.py), instead of one Java start in every test that builds one.

A builder writes its inputs under `root`, builds, and returns the paths of the books it wrote.
Tests about a property of a book (a cover's size, a name's spelling) check that property and the
cheap structure (conftest.assert_zip_structure); the kind of book they make is here, so EPUBCheck
still sees it. To have a new kind of book checked, add a builder with @representative("label"):
it is checked once, and `validated_books.get("label")` hands its paths to any test that wants them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from conftest import REPO, story_text
from PIL import Image

from ebookify.build import BuildOptions, build

FIXTURES = REPO / "tests" / "fixtures" / "ao3"
Builder = Callable[[Path], list[Path]]
REPRESENTATIVE: dict[str, Builder] = {}


def representative(label: str) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        REPRESENTATIVE[label] = builder
        return builder

    return register


def written(options: BuildOptions) -> list[Path]:
    return [book.path for book in build(options).written]


def sample_folders(root: Path) -> tuple[Path, Path]:
    shutil.copytree(REPO / "stories", root / "stories")
    shutil.copytree(REPO / "covers", root / "covers")
    return root / "stories", root / "covers"


@contextlib.contextmanager
def source_date_epoch(value: str) -> Iterator[None]:
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


@representative("sample")
def sample(root: Path) -> list[Path]:
    """The bundled stories for Sam, and the neutral edition (test_build's `sample`)."""
    stories, covers = sample_folders(root)
    return [
        *written(BuildOptions(stories=stories, covers=covers, out_dir=root / "dist", names=("Sam",))),
        *written(BuildOptions(stories=stories, covers=covers, out_dir=root / "dist")),
    ]


@representative("several-books")
def several_books(root: Path) -> list[Path]:
    """Two Wattpad books, a story in parts, an author and a regional language (test_build,
    test_ereaders' `book`)."""
    folder = root / "stories"
    folder.mkdir()
    for name, title, book in [
        ("1.txt", "Ansel - Lanterns (part 1/2)", "Harbour Imagines"),
        ("2.txt", "Iris - Pines", "Forest Imagines"),
        ("3.txt", "Ansel - Lanterns (part 2/2)", "Harbour Imagines"),
    ]:
        (folder / name).write_text(story_text(title, book=book, synopsis="Y/N & <b>"), encoding="utf-8")
    options = BuildOptions(stories=folder, out_dir=root / "dist", names=("Sam",), author="Mara Voss", language="en-gb")
    return written(options)


@representative("hostile")
def hostile(root: Path) -> list[Path]:
    """Markup-like text and a markup-like name (test_build), dated the last second of 9999
    (test_hostile_inputs' SOURCE_DATE_EPOCH)."""
    from test_build import HOSTILE

    folder = root / "stories"
    folder.mkdir()
    text = story_text("<b>Who</b> - <i>Title</i>", body="\n".join(HOSTILE), synopsis="<img src=x>")
    (folder / "1.txt").write_text(text, encoding="utf-8")
    with source_date_epoch("253402300799"):
        return written(BuildOptions(stories=folder, out_dir=root / "dist", names=("<Sam & Co>",)))


@representative("user-covers")
def user_covers(root: Path) -> list[Path]:
    """The reader's own covers: a wide PNG with alpha (fitted), and a phone's MPO, which becomes a
    JPEG (test_build, test_ereaders, test_hostile_inputs)."""
    out = []
    for name, make in [("wide.png", _wide_png), ("phone.jpg", _mpo)]:
        folder = root / name / "stories"
        folder.mkdir(parents=True)
        (folder / "1.txt").write_text(story_text(), encoding="utf-8")
        covers = root / name / "covers"
        covers.mkdir()
        make(covers / f"harbour-imagines{Path(name).suffix}")
        out += written(BuildOptions(stories=folder, covers=covers, out_dir=root / name / "dist", names=("Sam",)))
    return out


def _wide_png(path: Path) -> None:
    Image.new("RGBA", (4000, 2000), (10, 120, 200, 128)).save(path)


def _mpo(path: Path) -> None:
    first, second = Image.new("RGB", (320, 512), (200, 30, 30)), Image.new("RGB", (320, 512), (30, 200, 30))
    first.save(path, "MPO", save_all=True, append_images=[second])


@representative("ao3-mix")
def ao3_mix(root: Path) -> list[Path]:
    """Everything AO3 in one collection with the bundled Wattpad stories, as EPUB and KEPUB: every
    fixture download that builds, the formatting fixture, saved pages, UTF-16 and Windows-1252
    files, hostile formatting, deep nesting and repeated images (test_ao3, test_ao3_formatting,
    test_ao3_saved_page, test_ao3_charset, test_warnings_located); its KEPUB holds the bundled
    Wattpad stories too (test_kepub, test_ereaders' --kepub)."""
    from test_ao3_charset import ONESHOT, PAGE, declared
    from test_ao3_formatting import DEEP, HOSTILE_FORMATTING, with_text
    from test_markdown import STORY as MARKDOWN_STORY
    from test_warnings_located import MULTI

    folder = root / "stories"
    shutil.copytree(REPO / "stories", folder)
    for fixture in sorted(FIXTURES.glob("*.html")):
        if fixture.name != "not-ao3.html":
            shutil.copy(fixture, folder / f"20-{fixture.name}")
    image = '<p><img src="https://example.com/gull.png" alt="a gull" /></p>'
    extra = {
        "30-utf16.html": ONESHOT.encode("utf-16"),
        "31-cp1252.html": declared(PAGE, '<meta charset="windows-1252">').encode("cp1252", "xmlcharrefreplace"),
        "32-hostile-formatting.html": with_text(HOSTILE_FORMATTING),
        "33-images.html": MULTI.replace("<hr>", image + "<hr>").encode("utf-8"),
        **{f"34-deep-{name}.html": with_text(body) for name, body in DEEP.items()},
    }
    for name, data in extra.items():
        (folder / name).write_bytes(data)
    (folder / "35-markdown.md").write_text(MARKDOWN_STORY, encoding="utf-8")  # test_markdown
    options = BuildOptions(
        stories=folder, out_dir=root / "dist", names=("Sam",), values={"L/N": "Rivers", "E/C": "green"}, kepub=True
    )
    return written(options)


@representative("readers-file")
def readers_file(root: Path) -> list[Path]:
    """One book per reader of a readers file (test_share)."""
    from test_share import FRIENDS, PART_2, STORY

    folder = root / "stories"
    folder.mkdir()
    (folder / "1.txt").write_text(STORY, encoding="utf-8")
    (folder / "2.txt").write_text(PART_2, encoding="utf-8")
    (root / "friends.toml").write_text(FRIENDS, encoding="utf-8")
    return written(BuildOptions(stories=folder, out_dir=root / "dist", readers_file=root / "friends.toml"))


# Names of the kinds test_share's property generates: right-to-left text with an emoji sequence,
# and the characters that mean something in XML, paths and TOML.
GENERATED_NAMES = ("שלום 👩🏽‍💻 عليé", "a\\b;'\"<>&")


@representative("generated-names")
def generated_names(root: Path) -> list[Path]:
    from test_share import PROPERTY_STORY

    folder = root / "stories"
    folder.mkdir()
    (folder / "s.txt").write_text(PROPERTY_STORY, encoding="utf-8")
    return written(BuildOptions(stories=folder, out_dir=root / "dist", names=GENERATED_NAMES))


def epub_input_folder(root: Path) -> Path:
    """Wattpad text, an AO3 download and an EPUB of every tool's shape (tests/epubmaker.py)."""
    from epubmaker import SHAPES

    folder = root / "stories"
    folder.mkdir()
    (folder / "01-wattpad.txt").write_text(story_text(), encoding="utf-8")
    shutil.copy(FIXTURES / "multichapter.html", folder / "02-ao3.html")
    for n, (shape, make) in enumerate(SHAPES.items(), start=3):
        (folder / f"{n:02d}-{shape}.epub").write_bytes(make())
    return folder


def with_real_fanficfare(folder: Path) -> Path:
    """The folder with a real FanFicFare EPUB added (test_epub_input_fanficfare)."""
    from test_epub_input_fanficfare import fanficfare

    made = fanficfare(folder.parent / "fanficfare", 2)
    shutil.copy(made, folder / "20-fanficfare-real.epub")
    return folder


@representative("epub-input")
def epub_input(root: Path) -> list[Path]:
    """EPUBs of every tool's shape with Wattpad text and AO3 HTML (test_epub_input)."""
    folder = with_real_fanficfare(epub_input_folder(root))
    return written(BuildOptions(stories=folder, out_dir=root / "dist", names=("Sam",), kepub=True))
