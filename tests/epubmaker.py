"""Small EPUBs in the shapes fan-fiction tools write, made up with original text, for the tests of
EPUB input (tests/fixtures/epub/README.md describes each tool's template and where it comes from).

Each maker returns the bytes of a whole .epub; `package` is the zip layer the makers share, and
the hostile tests use it to write what no tool would.
"""

from __future__ import annotations

import io
import zipfile
from html import escape

CONTAINER = (
    '<?xml version="1.0"?>\n<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
    '<rootfiles><rootfile full-path="{opf}" media-type="application/oebps-package+xml"/></rootfiles></container>'
)
XHTML = (
    '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"'
    ' xmlns:epub="http://www.idpf.org/2007/ops"><head><title>{title}</title>'
    "</head>\n<body{attrs}>\n{body}\n</body></html>"
)


def picture(size: tuple[int, int] = (8, 6), kind: str = "PNG", mode: str = "RGB") -> bytes:
    """A small picture made by Pillow (the same bytes every time)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size, (30, 90, 160) if mode == "RGB" else (30, 90, 160, 128)).save(out, kind)
    return out.getvalue()


PNG = picture()


def package(files: dict[str, bytes | str], opf_path: str = "OEBPS/content.opf") -> bytes:
    """An EPUB zip: mimetype first and stored, the container naming `opf_path`, then `files`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", CONTAINER.format(opf=opf_path))
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def page(body: str, title: str = "", attrs: str = "") -> str:
    return XHTML.format(title=escape(title), attrs=attrs, body=body)


def paragraphs(*texts: str) -> str:
    return "".join(f"<p>{text}</p>\n" for text in texts)


def opf(
    metadata: str,
    items: list[tuple[str, str, str]],
    spine: list[str],
    version: str = "2.0",
    toc: str | None = "ncx",
    properties: dict[str, str] | None = None,
    linear_no: tuple[str, ...] = (),
) -> str:
    """A package document: items are (id, href, media type); the spine lists ids."""
    properties = properties or {}
    manifest = "".join(
        f'<item id="{i}" href="{h}" media-type="{t}"'
        + (f' properties="{properties[i]}"' if i in properties else "")
        + "/>"
        for i, h, t in items
    )
    refs = "".join(f'<itemref idref="{i}"' + (' linear="no"' if i in linear_no else "") + "/>" for i in spine)
    spine_toc = f' toc="{toc}"' if toc else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<package xmlns="http://www.idpf.org/2007/opf" version="{version}"'
        ' unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"'
        f' xmlns:opf="http://www.idpf.org/2007/opf">{metadata}</metadata><manifest>{manifest}</manifest>'
        f"<spine{spine_toc}>{refs}</spine></package>"
    )


def ncx(points: list[tuple[str, str]] | list, title: str = "") -> str:
    """An NCX; a point is (title, src), or (title, src, [children])."""

    def navpoints(found: list, start: int) -> tuple[str, int]:
        out = ""
        for point in found:
            start += 1
            inner, start = navpoints(point[2], start) if len(point) > 2 else ("", start)
            out += (
                f'<navPoint id="p{start}" playOrder="{start}"><navLabel><text>{escape(point[0])}</text></navLabel>'
                f'<content src="{point[1]}"/>{inner}</navPoint>'
            )
        return out, start

    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">'
        f"<head/><docTitle><text>{escape(title)}</text></docTitle><navMap>{navpoints(points, 0)[0]}</navMap></ncx>"
    )


def nav(points: list[tuple[str, str]], heading: str = "") -> str:
    items = "".join(f'<li><a href="{href}">{escape(title)}</a></li>' for title, href in points)
    return page(f'<nav epub:type="toc" id="id" role="doc-toc"><h2>{escape(heading)}</h2><ol>{items}</ol></nav>')


HTML = "application/xhtml+xml"
NCX = ("ncx", "toc.ncx", "application/x-dtbncx+xml")


# -- AO3: calibre's split of AO3's HTML download, EPUB 2 -------------------------------------------


def ao3_epub() -> bytes:
    """A three-chapter AO3 work as AO3's EPUB is: the download's #preface, #chapters and #afterword
    split by calibre into files, class names renamed (userstuff2, calibre1), toc-heading h2s."""
    work = "https://archiveofourown.org/works/70001234"
    tags = (
        '<dl class="tags"><dt class="calibre3">Rating:</dt><dd class="calibre4">'
        '<a href="#">Teen And Up Audiences</a></dd>'
        '<dt class="calibre3">Archive Warning:</dt><dd class="calibre4"><a href="#">No Archive Warnings Apply</a></dd>'
        '<dt class="calibre3">Fandom:</dt><dd class="calibre4"><a href="#">Lanternfall (Web Series)</a></dd>'
        '<dt class="calibre3">Relationship:</dt><dd class="calibre4"><a href="#">Wren Okafor/Reader</a></dd>'
        '<dt class="calibre3">Additional Tags:</dt><dd class="calibre4">'
        '<a href="#">Slow Burn</a>, <a href="#">Y/N</a></dd>'
        '<dt class="calibre3">Language:</dt><dd class="calibre4">English</dd>'
        '<dt class="calibre3">Series:</dt><dd class="calibre4">Part 2 of <a href="#">Lantern Nights</a></dd>'
        '<dt class="calibre3">Stats:</dt>'
        '<dd class="calibre5">Published: 2025-01-04 Updated: 2025-02-01 Words: 123 Chapters: 3/5</dd></dl>'
    )
    preface_1 = (
        '<div id="preface" class="calibre1"><h2 class="toc-heading" id="calibre_toc_1">Preface</h2>'
        f'<p class="message"><b class="calibre2">The Lantern Keeper</b><br class="calibre1"/>Posted originally on the '
        f'<a href="https://archiveofourown.org/">Archive of Our Own</a> at <a href="{work}">{work}</a>.</p>'
        f'<div class="calibre1">{tags}</div></div>'
    )
    preface_2 = (
        '<div id="preface" class="calibre1"><div class="calibre1"><h1 class="calibre6">The Lantern Keeper</h1>'
        '<div class="byline">by <a rel="author" href="#">moth_and_ember</a></div>'
        '<p class="calibre7">Summary</p><blockquote class="userstuff">'
        "<p>Every lantern in the town goes out at once.</p>"
        "<p>Only Y/N knows why.</p></blockquote>"
        '<p class="calibre7">Notes</p><blockquote class="userstuff"><p>Written for a winter exchange.</p></blockquote>'
        '</div></div><div id="chapters" class="userstuff1"><div class="calibre1">'
        '<div class="calibre8" id="calibre_pb_2"></div></div></div>'
    )

    def chapter(n: int, heading: str, text: str, end: str = "") -> str:
        notes = (
            f'<div class="calibre1" id="endnotes{n}"><p class="calibre7">Chapter End Notes</p>'
            f'<blockquote class="userstuff"><p>{end}</p></blockquote></div>'
            if end
            else ""
        )
        return (
            f'<div class="userstuff1" id="chapters"><div class="calibre1"><h2 class="heading" id="calibre_toc_{n + 2}">'
            f'{heading}</h2></div><div class="userstuff2">{text}</div>{notes}'
            f'<div class="calibre1"><div class="calibre8" id="calibre_pb_{n + 3}"></div></div></div>'
        )

    files = {
        "Lantern_split_000.xhtml": page(preface_1, "The Lantern Keeper", ' class="calibre"'),
        "Lantern_split_001.xhtml": page(preface_2, "The Lantern Keeper", ' class="calibre"'),
        "Lantern_split_002.xhtml": page(
            chapter(
                1,
                "Chapter 1: Wick",
                paragraphs("Y/N trimmed the wick with <em>great</em> care.", "xxx", "Night came early."),
            )
        ),
        "Lantern_split_003.xhtml": page(
            chapter(2, "Chapter 2: Oil", paragraphs("The oil had gone cold in the jar."), "Thank you for reading!")
        ),
        # calibre split the third chapter in two files: the second is not in the contents.
        "Lantern_split_004.xhtml": page(chapter(3, "Chapter 3: Flame", paragraphs("Wren struck the match."))),
        "Lantern_split_005.xhtml": page(
            '<div class="userstuff1" id="chapters"><div class="userstuff2"><p>And the flame held.</p></div></div>'
        ),
        "Lantern_split_006.xhtml": page(
            '<div id="afterword" class="calibre1"><h2 class="toc-heading">Afterword</h2><div class="calibre1">'
            '<div id="endnotes" class="calibre1"><p class="calibre7">End Notes</p><blockquote class="userstuff">'
            "<p>More soon, I promise.</p></blockquote></div></div>"
            '<p class="message">Please drop by the Archive and comment'
            " to let the creator know if you enjoyed their work!</p></div>"
        ),
    }
    names = list(files)
    items = [(f"html{i}", name, HTML) for i, name in enumerate(names)] + [NCX]
    metadata = (
        "<dc:title>The Lantern Keeper</dc:title><dc:language>en</dc:language>"
        '<dc:creator opf:role="aut">moth_and_ember</dc:creator><dc:identifier id="id">urn:uuid:1b0c</dc:identifier>'
        "<dc:publisher>Archive of Our Own</dc:publisher><dc:subject>Fanworks</dc:subject>"
        "<dc:description>&lt;p&gt;Every lantern in the town goes out at once.&lt;/p&gt;</dc:description>"
    )
    toc = [("Preface", names[0]), ("Chapter 1: Wick", names[2]), ("Chapter 2: Oil", names[3])]
    toc += [("Chapter 3: Flame", names[4]), ("Afterword", names[6])]
    files["content.opf"] = opf(metadata, items, [i for i, _, _ in items[:-1]])
    files["toc.ncx"] = ncx(toc, "The Lantern Keeper")
    return package(files, "content.opf")


# -- FanFicFare, EPUB 2 ------------------------------------------------------------------------------


def fanficfare_pages(
    prefix: str,
    title: str,
    author: str,
    chapters: list[tuple[str, str]],
    summary: str,
    work: int = 70005678,
    series: str | None = "Lantern Nights [3]",
) -> dict:
    """FanFicFare's title page, log page and chapter files, under `prefix` (EpubMerge puts each
    book of an anthology in a numbered folder)."""
    entries = [
        ("Category", "Lanternfall (Web Series) &amp; Other Lights"),
        ("Genre", "Angst, Slow Burn"),
        ("Characters", "Wren Okafor, Reader"),
        ("Relationships", "Wren Okafor/Reader"),
        ("Language", "English"),
        ("Status", "In-Progress"),
        ("Published", "2025-03-01"),
        ("Updated", "2025-03-09"),
        ("Packaged", "2025-03-10 10:00:00"),
        ("Rating", "General Audiences"),
        ("Warnings", "No Archive Warnings Apply"),
        ("Chapters", str(len(chapters))),
        ("Words", "1,204"),
        *([("Series", series)] if series else []),
        ("Story URL", f"https://archiveofourown.org/works/{work}"),
    ]
    lines = "".join(f"<b>{label}:</b> {value}<br />\n" for label, value in entries)
    lines += f'<b>Summary:</b> <div class="userstuff">{summary}</div><br />\n<b>Kudos:</b> 12<br />\n'
    title_page = page(
        f'<h3><a href="https://archiveofourown.org/works/{work}">{title}</a> by '
        f"<a class='authorlink' href='https://archiveofourown.org/users/{author}'>{author}</a></h3>\n<div>{lines}</div>",
        title,
        ' class="fff_titlepage"',
    )
    log_page = page(
        "<h3>Update Log</h3><p><b>Updated:</b> 2025-03-09<br/><b>Chapters:</b> 2</p>",
        "Update Log",
        ' class="fff_logpage"',
    )
    files = {f"{prefix}OEBPS/title_page.xhtml": title_page, f"{prefix}OEBPS/log_page.xhtml": log_page}
    for n, (heading, body) in enumerate(chapters, start=1):
        files[f"{prefix}OEBPS/file{n:04d}.xhtml"] = page(
            f'<h3 class="fff_chapter_title">{heading}</h3>\n<div class="story">{body}</div>',
            heading,
            ' class="fff_chapter"',
        )
    return files


FFF_CHAPTERS = [
    (
        "1. Ashes",
        '<div class="fff_chapter_notes fff_head_notes"><b>Author\'s Note:</b><blockquote class="userstuff">'
        "<p>First time writing for this fandom.</p></blockquote></div>"
        '<div class="userstuff module"><p>The ashes were still warm when Y/N knelt.</p><p>Wren said nothing.</p></div>',
    ),
    (
        "2. Embers",
        '<div class="userstuff module"><p>By morning the embers had a voice.</p></div>'
        '<div class="fff_chapter_notes fff_foot_notes"><b>End Notes:</b><blockquote class="userstuff">'
        "<p>See you next week.</p></blockquote></div>",
    ),
]


def fanficfare_epub() -> bytes:
    files = fanficfare_pages(
        "", "Ashes and Embers", "lumen_writes", FFF_CHAPTERS, "<p>A fire, a town.</p><p>Y/N remembers.</p>"
    )
    names = list(files)
    items = [("title_page", names[0], HTML), ("log_page", names[1], HTML)]
    items += [(f"file{n:04d}", name, HTML) for n, name in enumerate(names[2:], start=1)] + [NCX]
    metadata = (
        '<dc:identifier id="id">fanficfare-uid:archiveofourown.org-ulumen_writes-s70005678</dc:identifier>'
        '<dc:title>Ashes and Embers</dc:title><dc:creator opf:role="aut">lumen_writes</dc:creator>'
        "<dc:contributor>FanFicFare [https://github.com/JimmXinu/FanFicFare]</dc:contributor>"
        "<dc:language>en</dc:language><dc:description>A fire, a town.Y/N remembers.</dc:description>"
        "<dc:subject>Lanternfall (Web Series) &amp;amp; Other Lights</dc:subject>"
        "<dc:subject>Last Update: 2025/03/09</dc:subject>"
        "<dc:subject>In-Progress</dc:subject><dc:source>https://archiveofourown.org/works/70005678</dc:source>"
    )
    toc = [("Title Page", names[0]), ("Update Log", names[1]), ("1. Ashes", names[2]), ("2. Embers", names[3])]
    files["content.opf"] = opf(metadata, items, [i for i, _, _ in items[:-1]])
    files["toc.ncx"] = ncx(toc, "Ashes and Embers")
    return package(files, "content.opf")


def anthology_epub() -> bytes:
    """EpubMerge's anthology of two FanFicFare books: each in its own numbered folder, the NCX
    nesting each book's pages under its title."""
    first = fanficfare_pages("1/", "Cinder Songs", "lumen_writes", FFF_CHAPTERS, "<p>A fire, a town.</p>", 70005679)
    second = fanficfare_pages(
        "2/",
        "Salt Roads",
        "tidewalker",
        [("Salt Roads", '<div class="userstuff module"><p>The road was white with salt.</p></div>')],
        "<p>A walk to the sea.</p>",
        70009999,
        None,
    )
    files = {**first, **second}
    names = list(files)
    items = [(f"a{n}", name, HTML) for n, name in enumerate(names)] + [NCX]
    metadata = (
        '<dc:identifier id="id">urn:uuid:anthology-1</dc:identifier><dc:title>Two Roads Anthology</dc:title>'
        '<dc:creator opf:role="aut">lumen_writes</dc:creator><dc:creator opf:role="aut">tidewalker</dc:creator>'
        "<dc:language>en</dc:language>"
        "<dc:contributor>FanFicFare [https://github.com/JimmXinu/FanFicFare]</dc:contributor>"
        "<dc:description>An anthology.</dc:description>"
    )
    toc = [
        ("Cinder Songs", names[0], [("Title Page", names[0]), ("1. Ashes", names[2]), ("2. Embers", names[3])]),
        ("Salt Roads", names[4], [("Title Page", names[4]), ("Salt Roads", names[6])]),
    ]
    files["content.opf"] = opf(metadata, items, [i for i, _, _ in items[:-1]])
    files["toc.ncx"] = ncx(toc, "Two Roads Anthology")
    return package(files, "content.opf")


# -- FicHub, EPUB 3 (ebooklib): the nav second in the spine -----------------------------------------


def fichub_epub() -> bytes:
    intro = page(
        "<h1>Glass Harbour</h1><p><b>By: quillfeather</b></p><p/><p>Two keepers, one lighthouse.</p>"
        "<p>Y/N takes the night watch.</p><p>Status: complete</p><p>Published: 2023-05-01</p><p>Updated: 2023-06-11</p>"
        "<p>Words: 2048</p><p>Chapters: 2</p>"
        "<p>Rated: Fiction T - Language: English - Genre: Romance/Drama - Characters:"
        " Wren O., Mara V. - Reviews: 40 - Favs: 99</p>"
        "<p>Original source: <a"
        ' href="https://www.fanfiction.net/s/9990001/1/Glass-Harbour">https://www.fanfiction.net/s/9990001/1/Glass-Harbour</a></p>'
        '<p>Exported with the assistance of <a href="https://fichub.net">FicHub.net</a></p>'
    )
    chapters = {
        "EPUB/chap_1.xhtml": page(
            "<h2>Night Watch</h2><p/><div><p>The lamp turned and turned.</p><hr/><p>Dawn.</p></div>"
        ),
        "EPUB/chap_2.xhtml": page("<h2>Fog</h2><p/><div><p>Fog rolled in over the harbour glass.</p></div>"),
    }
    files: dict[str, bytes | str] = {"EPUB/introduction.xhtml": intro, **chapters}
    files["EPUB/nav.xhtml"] = nav(
        [("Introduction", "introduction.xhtml"), ("Night Watch", "chap_1.xhtml"), ("Fog", "chap_2.xhtml")],
        "Glass Harbour",
    )
    items = [("chapter_0", "introduction.xhtml", HTML), ("nav", "nav.xhtml", HTML)]
    items += [("chapter_1", "chap_1.xhtml", HTML), ("chapter_2", "chap_2.xhtml", HTML)]
    metadata = (
        '<meta property="dcterms:modified">2023-06-11T00:00:00Z</meta>'
        '<meta name="generator" content="Ebook-lib 0.17.1"/>'
        '<dc:identifier id="id">9x8y7z</dc:identifier><dc:title>Glass Harbour</dc:title><dc:language>en</dc:language>'
        '<dc:creator id="creator">quillfeather</dc:creator>'
        "<dc:description>&lt;p&gt;Two keepers, one lighthouse.&lt;/p&gt;&lt;p&gt;Y/N takes"
        " the night watch.&lt;/p&gt;</dc:description>"
    )
    files["EPUB/content.opf"] = opf(
        metadata, items, ["chapter_0", "nav", "chapter_1", "chapter_2"], "3.0", None, {"nav": "nav"}
    )
    return package(files, "EPUB/content.opf")


# -- WebToEpub, EPUB 2: cover page, Information page, chapters with their h1 ------------------------


def webtoepub_epub() -> bytes:
    cover = page(
        '<div class="svg_outer svg_inner">'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        ' height="99%" width="100%" version="1.1" preserveAspectRatio="xMidYMid meet" viewBox="0 0 2 2">'
        '<image xlink:href="../Images/0000_cover.png" height="2" width="2"/></svg></div>',
        "Cover",
    )
    information = page(
        "<h1>Information</h1><div><p><b>Table of Contents URL:</b> https://example.org/story/tidewrack</p></div>"
        "<div><dl><dt>Rating:</dt><dd><a>Mature</a></dd><dt>Fandom:</dt><dd><a>Storm Logs (Podcast)</a></dd></dl>"
        "<p>A sailor and a storm, told in two parts.</p><p>Y/N keeps the log.</p></div>",
        "Information",
    )
    chapter_1 = page(
        '<div class="userstuff module"><h1>Part One: Squall</h1><p>The squall hit at noon.</p>'
        '<p><img src="../Images/0001_map.png" alt="a hand-drawn map of the bay"/></p><p>We held on.</p></div>',
        "Part One: Squall",
    )
    chapter_2 = page(
        '<div class="userstuff module"><h1>Part Two: Calm</h1><p>Then it was calm.</p>'
        '<p><img src="../Images/0002_gull.webp" alt="a gull on a post"/></p></div>',
        "Part Two: Calm",
    )
    files: dict[str, bytes | str] = {
        "OEBPS/Text/Cover.xhtml": cover,
        "OEBPS/Text/0000_Information.xhtml": information,
        "OEBPS/Text/0001_Part_One.xhtml": chapter_1,
        "OEBPS/Text/0002_Part_Two.xhtml": chapter_2,
        "OEBPS/Images/0000_cover.png": PNG,
        "OEBPS/Images/0001_map.png": PNG,
        "OEBPS/Images/0002_gull.webp": picture((2400, 30), "WEBP"),  # re-encoded, and scaled down
    }
    items = [("cover", "Text/Cover.xhtml", HTML), ("info", "Text/0000_Information.xhtml", HTML)]
    items += [("c1", "Text/0001_Part_One.xhtml", HTML), ("c2", "Text/0002_Part_Two.xhtml", HTML)]
    items += [("img0", "Images/0000_cover.png", "image/png"), ("img1", "Images/0001_map.png", "image/png")]
    items += [("img2", "Images/0002_gull.webp", "image/webp")]
    items += [("ncx", "toc.ncx", "application/x-dtbncx+xml")]
    metadata = (
        "<dc:title>Tidewrack</dc:title><dc:language>en</dc:language><dc:date>2024-02-02</dc:date>"
        '<dc:creator opf:file-as="Harrow, Pell" opf:role="aut">Pell Harrow</dc:creator>'
        '<dc:identifier id="id" opf:scheme="URI">https://example.org/story/tidewrack</dc:identifier>'
        '<dc:contributor opf:role="bkp">[https://github.com/dteviot/WebToEpub] (ver. 1.0.0.0)</dc:contributor>'
        '<meta content="img0" name="cover"/><meta content="Storm Logs" name="calibre:series"/>'
        '<meta content="2" name="calibre:series_index"/>'
        '<dc:source id="id.c1">https://example.org/story/tidewrack/1</dc:source>'
    )
    toc = [("Information", "Text/0000_Information.xhtml"), ("Part One: Squall", "Text/0001_Part_One.xhtml")]
    toc += [("Part Two: Calm", "Text/0002_Part_Two.xhtml")]
    files["OEBPS/content.opf"] = opf(metadata, items, ["cover", "info", "c1", "c2"])
    files["OEBPS/toc.ncx"] = ncx(toc, "Tidewrack")
    return package(files)


# -- a Wattpad downloader, EPUB 3 (ebooklib): nav first, cover and title pages of a picture ---------


def wattpad_epub() -> bytes:
    files: dict[str, bytes | str] = {
        "EPUB/cover.jpg": PNG,  # the name a downloader gives it; the tests never read it as a JPEG
        "EPUB/cover.xhtml": page('<img src="cover.jpg"/>'),
        "EPUB/titlepage.xhtml": page('<img src="cover.jpg" alt="Cover"/>'),
        "EPUB/0_1001.xhtml": page("<h1>Meet Me at the Pier</h1><p>Y/N waited at the end of the pier.</p>"),
        "EPUB/1_1002.xhtml": page(
            '<h1>Tide Tables</h1><p>The tide came in.</p><p><img src="https://img.example.com/x.png"/></p>'
        ),
    }
    files["EPUB/nav.xhtml"] = nav([("Meet Me at the Pier", "0_1001.xhtml"), ("Tide Tables", "1_1002.xhtml")])
    items = [
        ("cover-img", "cover.jpg", "image/png"),
        ("cover", "cover.xhtml", HTML),
        ("chapter_0", "titlepage.xhtml", HTML),
    ]
    items += [("p1", "0_1001.xhtml", HTML), ("p2", "1_1002.xhtml", HTML), ("nav", "nav.xhtml", HTML)]
    metadata = (
        '<meta property="dcterms:modified">2024-12-10T15:21:46Z</meta><dc:identifier id="id">wp-1</dc:identifier>'
        '<dc:creator id="creator">saltandsea</dc:creator><dc:title>Pier Nights</dc:title>'
        "<dc:description>Summer at the pier.\nTwo strangers.</dc:description><dc:language>English</dc:language>"
        "<dc:date>2024-06-01T10:00:00Z</dc:date>"
        '<meta name="tags" content="romance, summer, y/n"/>'
        '<meta name="mature" content="0"/><meta name="completed" content="1"/>'
        '<meta name="cover" content="cover-img"/>'
    )
    files["EPUB/content.opf"] = opf(
        metadata,
        items,
        ["nav", "cover", "chapter_0", "p1", "p2"],
        "3.0",
        None,
        {"nav": "nav", "cover-img": "cover-image"},
    )
    return package(files, "EPUB/content.opf")


SHAPES = {
    "ao3": ao3_epub,
    "fanficfare": fanficfare_epub,
    "fichub": fichub_epub,
    "webtoepub": webtoepub_epub,
    "wattpad": wattpad_epub,
    "anthology": anthology_epub,
}


def ao3_epub_from_download(html: bytes) -> bytes:
    """AO3's EPUB of one of the project's AO3 HTML fixtures, made as AO3 makes it: calibre splits
    the download at the preface, each chapter and the afterword, and renames AO3's classes."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html.decode("utf-8"), "html.parser")
    preface, chapters, afterword = (soup.find(id=name) for name in ("preface", "chapters", "afterword"))
    for meta in preface.find_all("div", class_="meta"):
        meta["class"] = ["calibre1"]
    files = {"Work_split_000.xhtml": page('<h2 class="toc-heading">Preface</h2>' + str(preface))}
    toc = [("Preface", "Work_split_000.xhtml")]
    groups: list[list] = []
    for child in chapters.find_all(True, recursive=False):
        classes = child.get_attribute_list("class")
        if ("meta" in classes and "group" in classes) or not groups:
            groups.append([])
        groups[-1].append(child)
    for n, group in enumerate(groups, start=1):
        heading = None
        for child in group:
            classes = child.get_attribute_list("class")
            if "group" in classes:
                heading = child.find(class_="heading")
            child["class"] = ["userstuff2"] if "userstuff" in classes else ["calibre1"]
        name = f"Work_split_{n:03d}.xhtml"
        files[name] = page('<div class="userstuff1" id="chapters">' + "".join(str(c) for c in group) + "</div>")
        toc.append((" ".join(heading.get_text().split()) if heading is not None else "Chapter", name))
    if afterword is not None:
        name = f"Work_split_{len(groups) + 1:03d}.xhtml"
        files[name] = page(str(afterword))
        toc.append(("Afterword", name))
    names = list(files)
    items = [(f"html{i}", name, HTML) for i, name in enumerate(names)] + [NCX]
    metadata = (
        '<dc:title>A Work</dc:title><dc:language>en</dc:language><dc:identifier id="id">urn:uuid:2c0d</dc:identifier>'
        "<dc:publisher>Archive of Our Own</dc:publisher>"
    )
    files["content.opf"] = opf(metadata, items, [i for i, _, _ in items[:-1]])
    files["toc.ncx"] = ncx(toc)
    return package(files, "content.opf")
