"""EPUBs that must be refused in one plain line with nothing written (DRM, not an EPUB, a broken
package, a zip bomb, names escaping the archive, links), and EPUBs with one bad chapter, which
build without it and say which it was."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from conftest import assert_sound_epub, invoke
from epubmaker import fichub_epub, package, page
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebookify.epubin import MAX_ENTRIES, MAX_UNPACKED, open_package
from ebookify.epubstory import read_epub
from ebookify.errors import StoryError


def rezipped(data: bytes, change) -> bytes:
    """`data`'s entries written again, each (info, bytes) passed through `change` (None drops it),
    then whatever `change.extra` adds."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            changed = change(info, source.read(info))
            if changed is not None:
                target.writestr(*changed)
        for info, content in getattr(change, "extra", ()):
            target.writestr(info, content)
    return out.getvalue()


def with_entries(*entries: tuple[zipfile.ZipInfo | str, bytes | str]) -> bytes:
    def keep(info, content):
        return info, content

    keep.extra = entries  # type: ignore[attr-defined]
    return rezipped(fichub_epub(), keep)


def linked() -> bytes:
    info = zipfile.ZipInfo("EPUB/chap_3.xhtml")
    info.create_system = 3
    info.external_attr = 0o120777 << 16  # a symbolic link, as Info-ZIP stores one
    return with_entries((info, "/etc/passwd"))


def declared_huge() -> bytes:
    """A zip bomb's central directory: an entry that says it unpacks to more than the limit."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("bomb.xhtml", b"\0" * 1024)
        archive.getinfo("bomb.xhtml").file_size = MAX_UNPACKED + 1
    return out.getvalue()


def many_entries() -> bytes:
    return with_entries(*((f"EPUB/x{n}.txt", "") for n in range(MAX_ENTRIES)))


def encrypted_flag() -> bytes:
    """An entry marked encrypted (zip's own encryption): zipfile clears the flag when it writes,
    so it is set in the written headers, the local one and the central directory's."""
    name = b"EPUB/secret.xhtml"
    data = bytearray(with_entries((name.decode(), "ciphertext")))
    local = data.index(name)
    central = data.index(name, local + 1)
    data[local - 30 + 6] |= 0x1
    data[central - 46 + 8] |= 0x1
    return bytes(data)


def without(name: str) -> bytes:
    return rezipped(fichub_epub(), lambda info, content: None if info.filename == name else (info, content))


def replaced(name: str, new: bytes | str) -> bytes:
    return rezipped(fichub_epub(), lambda info, content: (info, new if info.filename == name else content))


ENCRYPTION = (
    '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#">'
    '<enc:EncryptedData><enc:EncryptionMethod Algorithm="{algorithm}"/><enc:CipherData>'
    '<enc:CipherReference URI="EPUB/chap_1.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>'
)
REFUSED = [
    # (name, the EPUB's bytes, what the one line says)
    ("not a zip", lambda: b"<html>not a book</html>", "is not an EPUB: it is not a zip archive"),
    ("an empty file", lambda: b"", "is not an EPUB: it is not a zip archive"),
    ("a zip that is no EPUB", lambda: without("META-INF/container.xml"), "is not an EPUB: the zip archive has no"),
    ("a broken container", lambda: replaced("META-INF/container.xml", "<container"), "has a broken container"),
    ("a container naming nothing", lambda: without("EPUB/content.opf"), "its package file 'EPUB/content.opf' is not"),
    ("a broken OPF", lambda: replaced("EPUB/content.opf", "<package><metadata>"), "has a broken package file (OPF)"),
    (
        "an OPF without a spine",
        lambda: replaced("EPUB/content.opf", '<package xmlns="http://www.idpf.org/2007/opf"/>'),
        "it has no spine",
    ),
    ("an OPF with a DTD", lambda: replaced("EPUB/content.opf", '<!DOCTYPE p [<!ENTITY x "y">]><p>&x;</p>'), "broken"),
    ("a name climbing out", lambda: with_entries(("../../evil.xhtml", "x")), "points outside the archive"),
    ("an absolute name", lambda: with_entries(("/etc/evil.xhtml", "x")), "points outside the archive"),
    ("a Windows drive", lambda: with_entries(("C:/evil.xhtml", "x")), "points outside the archive"),
    ("a link", linked, "is a link"),
    ("a zip bomb", declared_huge, f"unpacks to more than {MAX_UNPACKED // 2**20} MB"),
    ("too many entries", many_entries, "more than an EPUB needs"),
    ("rights.xml", lambda: with_entries(("META-INF/rights.xml", "<rights/>")), "is protected by DRM"),
    (
        "encryption.xml encrypting text",
        lambda: with_entries(
            ("META-INF/encryption.xml", ENCRYPTION.format(algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"))
        ),
        "is protected by DRM",
    ),
    ("a broken encryption.xml", lambda: with_entries(("META-INF/encryption.xml", "<enc")), "is protected by DRM"),
    ("an encrypted entry", encrypted_flag, "is encrypted (DRM)"),
    ("no chapter at all", lambda: _no_chapters(), "has no chapters with story text"),
]


def _no_chapters() -> bytes:
    keep = ("mimetype", "META-INF/container.xml", "EPUB/content.opf", "EPUB/nav.xhtml", "EPUB/introduction.xhtml")
    return rezipped(fichub_epub(), lambda info, content: (info, content) if info.filename in keep else None)


@pytest.mark.parametrize(("name", "make", "said"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_in_one_line(tmp_path, name, make, said):
    path = tmp_path / "book.epub"
    path.write_bytes(make())
    with pytest.raises(StoryError) as refused:
        read_epub(path, "book.epub")
    assert said in str(refused.value) and str(refused.value).startswith("book.epub ")


@pytest.mark.parametrize(("name", "make", "said"), REFUSED[::3], ids=[r[0] for r in REFUSED[::3]])
def test_refused_by_the_cli_with_nothing_written(tmp_path, name, make, said):
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "book.epub").write_bytes(make())
    before = b"an earlier book"
    (tmp_path / "out.epub").write_bytes(before)
    result = invoke(tmp_path, "build", "-n", "Sam", "-o", "out.epub")
    assert result.returncode != 0
    assert result.stderr.splitlines() == [result.stderr.strip()]  # one line
    assert result.stderr.startswith("ebookify: error: stories/book.epub ") and said in result.stderr
    assert (tmp_path / "out.epub").read_bytes() == before  # earlier output left as it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.epub", "stories"]


def test_font_obfuscation_is_no_drm(tmp_path):
    data = with_entries(("META-INF/encryption.xml", ENCRYPTION.format(algorithm="http://www.idpf.org/2008/embedding")))
    path = tmp_path / "book.epub"
    path.write_bytes(data)
    (story,), _ = read_epub(path, "book.epub")
    assert story.title == "Glass Harbour"


def corrupted(name: str) -> bytes:
    """The archive with `name`'s compressed bytes damaged, so that it fails its checksum."""
    data = bytearray(fichub_epub())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for at in range(start + 2, start + info.compress_size - 2):
        data[at] ^= 0x55
    return bytes(data)


BROKEN_CHAPTER = [
    (
        "missing from the archive",
        lambda: without("EPUB/chap_1.xhtml"),
        'the chapter "Night Watch" (EPUB/chap_1.xhtml) is missing',
    ),
    (
        "not text",
        lambda: replaced("EPUB/chap_1.xhtml", b"<p>\0\0\0</p>"),
        'the chapter "Night Watch" (EPUB/chap_1.xhtml) cannot be read',
    ),
    ("damaged in the zip", lambda: corrupted("EPUB/chap_1.xhtml"), "EPUB/chap_1.xhtml"),
]


@pytest.mark.parametrize(("name", "make", "said"), BROKEN_CHAPTER, ids=[r[0] for r in BROKEN_CHAPTER])
def test_a_broken_chapter_builds_the_rest_with_a_warning(tmp_path, name, make, said):
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "book.epub").write_bytes(make())
    result = invoke(tmp_path, "build", "-o", "out.epub")
    assert result.returncode == 0, result.stderr
    assert said in result.stderr and "the book is built without it" in result.stderr
    assert_sound_epub(tmp_path / "out.epub")
    path = folder / "book.epub"
    (story,), _ = read_epub(path, "book.epub")
    assert [p.label for p in story.parts] == [None]  # the other chapter, now a one-shot
    assert "Fog rolled in" in story.parts[0].blocks[0].text


def test_linear_no_and_unlisted_pictures_are_not_chapters(tmp_path):
    opf = (
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<dc:title>Plain</dc:title><dc:identifier id="id">p</dc:identifier>'
        "<dc:language>fr</dc:language></metadata><manifest>"
        '<item id="a" href="a.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="b" href="b.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="c" href="c.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="i" href="i.png" media-type="image/png"/>'
        '</manifest><spine><itemref idref="a"/><itemref idref="i"/>'
        '<itemref idref="b" linear="no"/><itemref idref="c"/></spine></package>'
    )
    files = {
        "OPS/content.opf": opf,
        "OPS/a.xhtml": page('<p><img src="i.png" alt=""/></p>'),
        "OPS/b.xhtml": page("<p>An endnote the book keeps out of reading order.</p>"),
        "OPS/c.xhtml": page("<h1>Le Phare</h1><p>Il pleuvait.</p>"),
        "OPS/i.png": b"\x89PNG",
    }
    path = tmp_path / "plain.epub"
    path.write_bytes(package(files, "OPS/content.opf"))
    (story,), _ = read_epub(path, "plain.epub")
    assert [[b.text for b in p.blocks] for p in story.parts] == [["Il pleuvait."]]
    assert story.work is not None and story.work.language == "Français"  # from the OPF's "fr"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=8))
def test_damaged_bytes_give_stories_or_one_refusal(tmp_path, flips):
    """Whatever bytes of a good EPUB are damaged, it is read or refused, never a crash."""
    data = bytearray(fichub_epub())
    for at, bits in flips:
        data[at % len(data)] ^= bits
    path = tmp_path / "damaged.epub"
    path.write_bytes(bytes(data))
    try:
        read_epub(path, "damaged.epub")
    except StoryError as exc:
        assert "\n" not in str(exc)


def test_nothing_outside_the_archive_is_read(tmp_path: Path):
    """A link entry is refused before anything is unpacked, wherever it points."""
    with pytest.raises(StoryError, match="is a link"):
        open_package(linked(), "x.epub")
