#!/usr/bin/env python3
"""See the book before calling it done: build a collection and render its pages to PNGs.

    tools/screenshots.py OUT_DIR [--stories DIR] [--name NAME] [--page FILE.xhtml] [--strip PNG]

Builds the stories (default: the sample in stories/) for NAME (default Sam) with the generated
cover, unzips the EPUB, and has headless Chromium render the title page, the contents, a story
opening, a part with a scene break and a note, and the cover, each at 600x900 (a phone) and
1200x900 (a tablet on its side), into OUT_DIR as e.g. title-600.png. Pages are shown with the
book's own stylesheet plus the page margins every reading app adds (READER_MARGINS), which the
book itself leaves to the reader's settings.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIZES = ((600, 900), (1200, 900))
READER_MARGINS = b"<style>body { margin: 1.5em 1.2em; } body[*|type~='cover'] { margin: 0; }</style>"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--stories", type=Path, default=REPO / "stories")
    parser.add_argument("--name", default="Sam")
    parser.add_argument(
        "--page", action="append", default=[], help="also render this page, e.g. story-001-part-02.xhtml"
    )
    parser.add_argument("--strip", type=Path, help="also write the phone-size pages side by side, small, to this PNG")
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    args = parser.parse_args()
    if not args.chromium:
        print("screenshots: error: no chromium found; give --chromium PATH", file=sys.stderr)
        return 1
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        pages = build_and_unzip(args.stories, args.name, Path(scratch))
        extra = {name.removesuffix(".xhtml"): pages / name for name in args.page}
        for label, page in (chosen_pages(pages) | extra).items():
            for width, height in SIZES:
                target = args.out_dir / f"{label}-{width}.png"
                shoot(args.chromium, page, target, width, height)
                print(target)
    if args.strip:
        strip([args.out_dir / f"{label}-600.png" for label in STRIP], args.strip)
        print(args.strip)
    return 0


STRIP = ("cover", "title", "opening", "part")  # the README's picture, left to right


def strip(shots: list[Path], target: Path, width: int = 300) -> None:
    """The shots side by side at `width` pixels each, a hairline between: a small PNG for the README."""
    from PIL import Image

    images = [Image.open(shot).convert("RGB") for shot in shots]
    height = round(images[0].height * width / images[0].width)
    sheet = Image.new("RGB", (len(images) * (width + 8) - 8, height), (200, 200, 200))
    for number, image in enumerate(images):
        sheet.paste(image.resize((width, height), Image.Resampling.LANCZOS), (number * (width + 8), 0))
    sheet.quantize(colors=96).save(target, optimize=True)  # a few shades of grey and the cover: small


def build_and_unzip(stories: Path, name: str, scratch: Path) -> Path:
    """The EPUB built with the project's own command, unzipped; -> its content folder."""
    epub = scratch / "book.epub"
    command = [sys.executable, "-m", "ebookify", "build", "--stories", str(stories), "--name", name]
    command += ["--covers", str(scratch / "no-covers"), "-o", str(epub)]
    subprocess.run(command, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    with zipfile.ZipFile(epub) as book:
        book.extractall(scratch / "book")
    return scratch / "book" / "EPUB"


def chosen_pages(folder: Path) -> dict[str, Path]:
    """Title, contents, cover, the first story's opening, and the first part page (or one-shot)
    that holds both a scene break and an author's note."""
    texts = sorted(folder.glob("story-*.xhtml"))
    both = [p for p in texts if b"scene-break" in p.read_bytes() and b"authors-note" in p.read_bytes()]
    chosen = {
        "cover": folder / "cover.xhtml",
        "title": folder / "title.xhtml",
        "contents": folder / "contents.xhtml",
        "opening": folder / "story-001.xhtml",
    }
    if both:
        chosen["part"] = both[0]
    return chosen


def shoot(chromium: str, page: Path, target: Path, width: int, height: int) -> None:
    shown = page.with_name(f"shown-{page.name}")  # beside it, so its links and images still resolve
    shown.write_bytes(page.read_bytes().replace(b"</head>", READER_MARGINS + b"</head>", 1))
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--screenshot={target}",
        f"--window-size={width},{height}",
        shown.as_uri(),
    ]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


if __name__ == "__main__":
    sys.exit(main())
