"""The floor: no tool can do less and still turn a story folder into a personalised EPUB.

    python bench/floor.py STORIES_DIR OUT.epub --name Sam

Read every .txt file, put the name in for Y/N (one regex), wrap each file in a minimal XHTML
page (html.escape, one <p> per line), and zip a minimal EPUB 3: mimetype stored first, then
container.xml, content.opf (manifest and spine), a nav page, and the pages, deflated. No
parsing of the export format, no typography, no cover, no checks.

Written independently of ebookify (it imports nothing from it) and only the standard library, so
the benchmark's ratio ebookify/floor measures ebookify's own work, not Python's start-up.
"""

from __future__ import annotations

import html
import re
import sys
import zipfile
from pathlib import Path

# Y/N, y/n, Y/n, (Y/N), [Y/N], {Y/N}, and Y/N's (the 's stays): not glued to letters.
NAME = re.compile(r"[(\[{]?(?<![\w/])[Yy]/[Nn](?![\w/])[)\]}]?")
# Every placeholder holds "/N" or "/n", which is rare in prose: the engine finds a pattern that
# starts with a literal character by a fast scan, where NAME's optional first group would make it
# try a match at every character (five times slower).
SLASH_N = re.compile(r"/[Nn]")
DATE = (2000, 1, 1, 0, 0, 0)

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>
"""
PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
<head><meta charset="utf-8"/><title>{title}</title></head>
<body>
{body}
</body>
</html>
"""
NAV = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="en" lang="en">
<head><meta charset="utf-8"/><title>Contents</title></head>
<body><nav epub:type="toc"><ol>
{items}
</ol></nav></body>
</html>
"""
OPF = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id" xml:lang="en">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="id">urn:floor:{name}</dc:identifier>
<dc:title>Stories for {name}</dc:title>
<dc:language>en</dc:language>
<meta property="dcterms:modified">2000-01-01T00:00:00Z</meta>
</metadata>
<manifest>
<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
{items}
</manifest>
<spine>
{itemrefs}
</spine>
</package>
"""


def fill(text: str, name: str) -> str:
    """NAME.sub(name, text), tried only where a "/N" is: one or two characters before it."""
    out, last = [], 0
    for slash in SLASH_N.finditer(text):
        at = slash.start()
        found = NAME.match(text, max(at - 2, last)) or NAME.match(text, max(at - 1, last))
        if found and found.end() > at:
            out += [text[last : found.start()], name]
            last = found.end()
    return "".join([*out, text[last:]]) if out else text


def page(text: str, name: str) -> tuple[str, str]:
    """One story file -> (its first line as the page title, the XHTML page)."""
    # Escaped once for the whole file, not line by line: html.escape is five str.replace calls.
    text = html.escape(fill(text.removeprefix("\ufeff"), name), quote=False)  # text, not attributes
    lines = [line for line in (line.strip() for line in text.splitlines()) if line]
    title = lines[0] if lines else "Untitled"
    body = "<p>" + "</p>\n<p>".join(lines) + "</p>" if lines else ""
    return title, PAGE.format(title=title, body=body)


def add(book: zipfile.ZipFile, name: str, data: str, compress: int = zipfile.ZIP_DEFLATED) -> None:
    info = zipfile.ZipInfo(name, DATE)
    info.compress_type = compress
    book.writestr(info, data.encode("utf-8"))


def build(stories: Path, out: Path, name: str) -> int:
    files = sorted(p for p in stories.iterdir() if p.suffix == ".txt" and p.is_file())
    titles = []
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as book:
        add(book, "mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        add(book, "META-INF/container.xml", CONTAINER)
        for number, path in enumerate(files, start=1):
            title, xhtml = page(path.read_text("utf-8", errors="replace"), name)
            add(book, f"OEBPS/p{number}.xhtml", xhtml)
            titles.append(title)
        numbers = range(1, len(titles) + 1)
        items = "\n".join(f'<li><a href="p{n}.xhtml">{t}</a></li>' for n, t in zip(numbers, titles, strict=True))
        add(book, "OEBPS/nav.xhtml", NAV.format(items=items))
        manifest = "\n".join(f'<item id="p{n}" href="p{n}.xhtml" media-type="application/xhtml+xml"/>' for n in numbers)
        spine = "\n".join(f'<itemref idref="p{n}"/>' for n in numbers)
        add(book, "OEBPS/content.opf", OPF.format(name=html.escape(name), items=manifest, itemrefs=spine))
    return len(files)


USAGE = "usage: floor.py STORIES_DIR OUT.epub --name NAME"


def main(argv: list[str] | None = None) -> int:
    # The arguments read by hand: importing argparse is a few per cent of a 60k-word floor.
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 4 or args[2] != "--name":
        print(USAGE, file=sys.stderr)
        return 2
    stories, out, name = Path(args[0]), Path(args[1]), args[3]
    count = build(stories, out, name)
    print(out)
    print(f"{count} files -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
