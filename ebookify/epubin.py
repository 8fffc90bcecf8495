"""An EPUB a reader already has -> its package: the OPF's metadata, the spine in reading order,
the table of contents' titles, and the documents' bytes. Nothing here knows about stories:
epubstory.py and epubfront.py read the pages.

An EPUB is a zip archive from anywhere, so it is opened as hostile input: the number of entries and
their unpacked size are bounded before anything is unpacked (a zip bomb claims little and unpacks
to gigabytes), entries are read by name only and never written out, a name that climbs out of the
archive ("../") or is absolute, and an entry that is a link, refuse the whole file, and so do the
marks of DRM (META-INF/rights.xml, or META-INF/encryption.xml encrypting more than fonts). XML is
parsed without DTDs, entities or the network.
"""

from __future__ import annotations

import io
import posixpath
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from .errors import StoryError
from .inputs import MAX_EPUB_BYTES, MB, read_regular

MAX_ENTRIES = 5_000  # a 36-chapter FicHub book has 45; a novel with pictures a few hundred
MAX_UNPACKED = 512 * MB  # all entries together, as the archive declares and as they unpack
CONTAINER = "META-INF/container.xml"
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "x": "http://www.w3.org/1999/xhtml",
    "ops": "http://www.idpf.org/2007/ops",
    "enc": "http://www.w3.org/2001/04/xmlenc#",
}
# Font obfuscation (IDPF's and Adobe's) hides fonts from copying, not the text: not DRM.
_FONT_OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
# What zipfile raises for a damaged archive or entry: a bad header, a bad deflate stream, a bad
# checksum, a version or method it does not know, data that ends too soon.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, ValueError, NotImplementedError, EOFError, RuntimeError)
_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False)


@dataclass(frozen=True)
class SpineItem:
    path: str  # the document's path in the archive
    media_type: str
    linear: bool = True
    nav: bool = False  # the EPUB 3 navigation document itself
    properties: str = ""


@dataclass(frozen=True)
class Meta:
    """The OPF's metadata, as written (subjects unescaped once: a FanFicFare slip writes "&amp;amp;")."""

    titles: tuple[str, ...] = ()
    creators: tuple[str, ...] = ()
    contributors: tuple[str, ...] = ()
    description: str | None = None
    subjects: tuple[str, ...] = ()
    language: str | None = None
    identifiers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    publisher: str | None = None
    dates: tuple[tuple[str, str], ...] = ()  # (event or "", value)
    series: tuple[str, int | None] | None = None
    named: dict[str, str] = field(default_factory=dict)  # <meta name= content=> (calibre's, Wattpad's "tags")
    generator: str = ""


@dataclass(frozen=True)
class Package:
    source: str
    meta: Meta
    spine: tuple[SpineItem, ...]
    toc: tuple[tuple[str, str], ...]  # (document path, title), in the table of contents' order
    entries: dict[str, bytes]
    damaged: frozenset[str] = frozenset()  # entries that would not unpack (a bad checksum, a bad method)

    def document(self, path: str) -> bytes | None:
        return self.entries.get(path)

    def toc_title(self, path: str) -> str | None:
        return next((title for where, title in self.toc if where == path), None)


def read_package(path: Path, source: str) -> Package:
    data = read_regular(path, MAX_EPUB_BYTES, lambda why: StoryError(source, why))
    return open_package(data, source)


def open_package(data: bytes, source: str) -> Package:
    """The package of an EPUB's bytes; a StoryError in one line for anything that is not a readable,
    unencrypted EPUB."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        raise StoryError(source, "is not an EPUB: it is not a zip archive") from exc
    with archive:
        entries, damaged = _unpacked(archive, source)
    _refuse_drm(entries, source)
    opf_path = _rootfile(entries, source)
    opf = _parse(entries[opf_path], source, opf_path, "package file (OPF)")
    meta = _meta(opf)
    manifest = _manifest(opf, opf_path)
    spine = _spine(opf, manifest, source, opf_path)
    toc = _toc(opf, manifest, entries)
    return Package(source, meta, spine, toc, entries, frozenset(damaged))


# -- the archive ---------------------------------------------------------------------------------


def _unpacked(archive: zipfile.ZipFile, source: str) -> tuple[dict[str, bytes], set[str]]:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise StoryError(
            source, f"is refused: it holds {len(infos):,} files, more than an EPUB needs ({MAX_ENTRIES:,})"
        )
    for info in infos:
        _check_entry(info, source)
    if sum(info.file_size for info in infos) > MAX_UNPACKED:
        raise StoryError(source, f"is refused: it unpacks to more than {MAX_UNPACKED // MB} MB")
    entries: dict[str, bytes] = {}
    damaged: set[str] = set()
    left = MAX_UNPACKED
    for info in infos:
        if info.is_dir():
            continue
        try:
            with archive.open(info) as member:
                data = member.read(left + 1)  # a size the archive lies about stops here
        except _ZIP_ERRORS:
            damaged.add(info.filename)  # the chapter that needs it says so; the rest is read
            continue
        left -= len(data)
        if left < 0:
            raise StoryError(source, f"is refused: it unpacks to more than {MAX_UNPACKED // MB} MB")
        entries[info.filename] = data
    return entries, damaged


def _check_entry(info: zipfile.ZipInfo, source: str) -> None:
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"):
        raise StoryError(source, f"is refused: its entry {name!r} points outside the archive")
    if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
        raise StoryError(source, f"is refused: its entry {name!r} is a link")
    if info.flag_bits & 0x1:
        raise StoryError(source, "is encrypted (DRM): ebookify reads only EPUBs without DRM")


def _refuse_drm(entries: dict[str, bytes], source: str) -> None:
    if "META-INF/rights.xml" in entries:
        raise StoryError(
            source, "is protected by DRM (it has META-INF/rights.xml): ebookify reads only EPUBs without DRM"
        )
    encryption = entries.get("META-INF/encryption.xml")
    if encryption is None:
        return
    try:
        root = etree.fromstring(encryption, _XML)
    except etree.XMLSyntaxError:
        root = None
    methods = (
        [m.get("Algorithm", "") for m in root.iter(f"{{{NS['enc']}}}EncryptionMethod")] if root is not None else []
    )
    if root is None or any(method not in _FONT_OBFUSCATION for method in methods):
        raise StoryError(
            source,
            "is protected by DRM (META-INF/encryption.xml encrypts its content): ebookify reads only EPUBs without DRM",
        )


def _parse(data: bytes, source: str, where: str, what: str) -> etree._Element:
    try:
        return etree.fromstring(data, _XML)
    except etree.XMLSyntaxError as exc:
        line = f" line {exc.lineno}" if exc.lineno else ""
        raise StoryError(source, f"has a broken {what} ({where}{line}: {exc.msg})") from exc


def _rootfile(entries: dict[str, bytes], source: str) -> str:
    if CONTAINER not in entries:
        raise StoryError(source, f"is not an EPUB: the zip archive has no {CONTAINER}")
    container = _parse(entries[CONTAINER], source, CONTAINER, "container")
    rootfile = container.find(".//c:rootfile", NS)
    path = rootfile.get("full-path", "") if rootfile is not None else ""
    if not path or path not in entries:
        raise StoryError(source, f"has a broken {CONTAINER}: its package file {path!r} is not in the archive")
    return path


# -- the package ---------------------------------------------------------------------------------


def _meta(opf: etree._Element) -> Meta:
    metadata = opf.find("opf:metadata", NS)
    if metadata is None:
        return Meta()

    def texts(tag: str) -> tuple[str, ...]:
        return tuple(t for e in metadata.iterfind(f"dc:{tag}", NS) if (t := " ".join("".join(e.itertext()).split())))

    named = {e.get("name", ""): e.get("content", "") for e in metadata.iterfind("opf:meta", NS) if e.get("name")}
    description = next(("".join(e.itertext()).strip() for e in metadata.iterfind("dc:description", NS)), None)
    dates = tuple(
        (e.get(f"{{{NS['opf']}}}event", ""), "".join(e.itertext()).strip()) for e in metadata.iterfind("dc:date", NS)
    )
    return Meta(
        titles=texts("title"),
        creators=texts("creator"),
        contributors=texts("contributor"),
        description=description or None,
        subjects=tuple(unescape_once(s) for s in texts("subject")),
        language=next(iter(texts("language")), None),
        identifiers=texts("identifier"),
        sources=texts("source"),
        publisher=next(iter(texts("publisher")), None),
        dates=dates,
        series=_series(metadata, named),
        named=named,
        generator=named.get("generator", ""),
    )


def unescape_once(text: str) -> str:
    """'Neil Gaiman &amp; Terry Pratchett' (escaped twice by the tool) -> '… & …'."""
    import html

    return html.unescape(text) if "&" in text else text


def _series(metadata: etree._Element, named: dict[str, str]) -> tuple[str, int | None] | None:
    """calibre:series and its index (EPUB 2, and calibre's EPUB 3), or EPUB 3's belongs-to-collection."""
    if named.get("calibre:series"):
        return named["calibre:series"].strip(), _index(named.get("calibre:series_index", ""))
    for meta in metadata.iterfind("opf:meta[@property='belongs-to-collection']", NS):
        name, ident = (meta.text or "").strip(), meta.get("id")
        refined = [m for m in metadata.iterfind("opf:meta[@refines]", NS) if ident and m.get("refines") == f"#{ident}"]
        position = next((m.text or "" for m in refined if m.get("property") == "group-position"), "")
        if name:
            return name, _index(position)
    return None


def _index(text: str) -> int | None:
    """'2', '2.0' -> 2; anything else (a half, nothing) -> None."""
    text = text.strip().removesuffix(".0")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 7 else None


def _manifest(opf: etree._Element, opf_path: str) -> dict[str, tuple[str, str, str]]:
    """id -> (path in the archive, media type, properties)."""
    folder = posixpath.dirname(opf_path)
    found = {}
    for item in opf.iterfind("opf:manifest/opf:item", NS):
        href = item.get("href")
        if item.get("id") and href:
            found[item.get("id", "")] = (_joined(folder, href), item.get("media-type", ""), item.get("properties", ""))
    return found


def _joined(folder: str, href: str) -> str:
    """An href relative to `folder` -> the archive's path (percent-escapes undone, fragment off)."""
    return posixpath.normpath(posixpath.join(folder, unquote(href.split("#", 1)[0]))).lstrip("/")


def _spine(opf: etree._Element, manifest: dict, source: str, opf_path: str) -> tuple[SpineItem, ...]:
    spine = opf.find("opf:spine", NS)
    if spine is None:
        raise StoryError(source, f"has a broken package file (OPF) ({opf_path}: it has no spine)")
    items = []
    for ref in spine.iterfind("opf:itemref", NS):
        entry = manifest.get(ref.get("idref", ""))
        if entry is None:
            continue  # a spine entry naming nothing: there is nothing to read
        path, media_type, properties = entry
        linear = ref.get("linear", "yes").strip().casefold() != "no"
        items.append(SpineItem(path, media_type, linear, "nav" in properties.split(), properties))
    if not items:
        raise StoryError(source, f"has a broken package file (OPF) ({opf_path}: its spine lists no document)")
    return tuple(items)


def _toc(opf: etree._Element, manifest: dict, entries: dict[str, bytes]) -> tuple[tuple[str, str], ...]:
    """The titles of the table of contents: EPUB 3's nav document, else the NCX. Nested entries
    (an anthology's works, then their chapters) are listed in reading order."""
    nav = next((path for path, _, props in manifest.values() if "nav" in props.split()), None)
    if nav and nav in entries:
        found = _nav_titles(entries[nav], nav)
        if found:
            return found
    spine = opf.find("opf:spine", NS)
    ncx = manifest.get(spine.get("toc", "") if spine is not None else "")
    ncx_path = ncx[0] if ncx else next((p for p, t, _ in manifest.values() if t == "application/x-dtbncx+xml"), None)
    return _ncx_titles(entries[ncx_path], ncx_path) if ncx_path and ncx_path in entries else ()


def _nav_titles(data: bytes, path: str) -> tuple[tuple[str, str], ...]:
    try:
        root = etree.fromstring(data, _XML)
    except etree.XMLSyntaxError:
        return ()
    folder = posixpath.dirname(path)
    for nav in root.iter(f"{{{NS['x']}}}nav"):
        if (
            nav.get(f"{{{NS['ops']}}}type", "").split() == ["toc"]
            or "toc" in nav.get(f"{{{NS['ops']}}}type", "").split()
        ):
            return tuple(
                (_joined(folder, a.get("href", "")), " ".join("".join(a.itertext()).split()))
                for a in nav.iter(f"{{{NS['x']}}}a")
                if a.get("href")
            )
    return ()


def _ncx_titles(data: bytes, path: str) -> tuple[tuple[str, str], ...]:
    try:
        root = etree.fromstring(data, _XML)
    except etree.XMLSyntaxError:
        return ()
    folder = posixpath.dirname(path)
    found = []
    for point in root.iter(f"{{{NS['ncx']}}}navPoint"):
        content = point.find("ncx:content", NS)
        label = point.find("ncx:navLabel/ncx:text", NS)
        if content is not None and content.get("src"):
            title = " ".join("".join(label.itertext()).split()) if label is not None else ""
            found.append((_joined(folder, content.get("src", "")), title))
    return tuple(found)
