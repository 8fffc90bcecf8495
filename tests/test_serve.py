"""`ebookify serve` over HTTP on loopback: the page, each copy exactly as `ebookify build` makes
it, names checked as the CLI checks them, and what a stranger or a flood gets."""

from __future__ import annotations

import html
import io
import re
import socket
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import assert_zip_structure, epub_pages, invoke, page_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serving import Server, basic, sample_root, serving

from ebookify.serve.guard import RateLimit
from ebookify.validate import is_loopback

KOBO = (
    "Mozilla/5.0 (Linux; U; Android 2.0; en-us;) AppleWebKit/538.1 (KHTML, like Gecko) "
    "Mobile Safari/538.1 (Kobo Touch 0377/4.38.23171)"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    with serving(sample_root(tmp_path_factory.mktemp("serve"))) as running:
        yield running


def built(root: Path, *args: str) -> dict[str, bytes]:
    """What `ebookify build ARGS` writes, by file name."""
    out = root / "built"
    done = invoke(root, "build", "--out-dir", str(out), *args)
    assert done.returncode == 0, done.stderr
    books = {path.name: path.read_bytes() for path in out.iterdir()}
    for path in out.iterdir():
        path.unlink()
    return books


def file_name(answer) -> str:
    return re.search(r'filename="([^"]+)"', answer.headers["content-disposition"]).group(1)


def test_the_page_shows_the_collection_and_asks_for_exactly_the_codes_it_uses(server):
    page = server.get("/")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "<h1>Saltmarsh Imagines</h1>" in text
    assert "The Lantern Keeper" in text and "Greater Than, Less Than" in text  # the stories, listed
    labels = re.findall(r'<label for="[^"]+">([^<]+)</label>', text)
    assert labels == [
        "Your name (Y/N)",
        "Last name (L/N)",
        "Hair colour (H/C)",
        "Eye colour (E/C)",
        "Nickname (N/N)",
        "Favourite colour (F/C)",
    ]
    fields = re.findall(r'<input id="([^"]+)" name="([^"]+)"', text)
    assert [name for _, name in fields] == ["name", "L/N", "H/C", "E/C", "N/N", "F/C"]
    assert all(f'for="{ident}"' in text for ident, _ in fields)  # every field has its label
    assert "Zoë" in text and "Alex" in text  # the readers file's friends, to pick from
    assert "<script" not in text  # works without JavaScript
    buttons = re.findall(r'<button type="submit" name="format" value="(\w+)"', text)
    assert buttons == ["epub", "kepub"]


def test_a_kobo_is_offered_its_own_format_first(server):
    text = server.get("/", {"User-Agent": KOBO}).text
    assert re.findall(r'<button type="submit" name="format" value="(\w+)"', text) == ["kepub", "epub"]


@pytest.mark.parametrize(
    ("fields", "build_args"),
    [
        ({"name": "Sam"}, ["--name", "Sam"]),
        (
            {"name": "Sam", "L/N": "Rivers", "E/C": "green", "H/C": ""},
            ["--name", "Sam", "--set", "L/N=Rivers", "--set", "E/C=green"],
        ),
        ({"name": "  Zoë O'Brien "}, ["--name", "Zoë O'Brien"]),
        ({"name": "李小龙", "N/N": "Little Dragon"}, ["--name", "李小龙", "--set", "N/N=Little Dragon"]),
        ({"reader": "Zoë"}, ["--readers", "friends.toml"]),
        ({"edition": "neutral"}, []),
    ],
)
@pytest.mark.parametrize("kind", ["epub", "kepub"])
def test_each_copy_is_the_bytes_ebookify_build_writes(server, fields, build_args, kind):
    answer = server.book(kind, **fields)
    assert answer.status == 200, answer.body[:300]
    expected = built(server.root, *build_args, *(["--kepub"] if kind == "kepub" else []))
    assert file_name(answer) in expected, (file_name(answer), sorted(expected))
    assert answer.body == expected[file_name(answer)]
    assert answer.headers["content-type"] == {"epub": "application/epub+zip", "kepub": "application/kepub+zip"}[kind]
    assert_zip_structure(answer.body)


def test_the_name_and_values_are_in_the_book(server):
    answer = server.book(name="Marisol", **{"L/N": "Okafor-Lund"})
    text = " ".join(page_text(page) for page in epub_pages(answer.body).values())
    assert "Marisol" in text and "Okafor-Lund" in text and "Y/N" not in text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "The name is empty."),
        ({}, "The name is empty."),
        ({"name": "   "}, "The name is blank."),
        ({"name": "Sam\nEvil"}, "The name must be one line."),
        ({"name": "Sam\x07"}, "The name contains a control character."),
        ({"name": "\u202eSam"}, "The name contains an invisible formatting character (U+202E)."),
        ({"name": "x" * 101}, "The name is longer than 100 characters."),
        ({"name": "Sam", "L/N": "\ufdd0"}, "Last name (L/N) is not valid text"),
        ({"name": "Sam", "Q/Q": "x"}, "'Q/Q' is not one of this collection's fields."),
        ({"name": "Sam", "Y/N": "x"}, "'Y/N' is not one of this collection's fields."),
        ({"reader": "Nobody"}, "No reader called 'Nobody' in the readers file."),
        ({"name": "<script>alert(1)</script>", "E/C": " "}, "Eye colour (E/C) is blank."),
    ],
)
def test_names_and_values_are_checked_as_the_cli_checks_them(server, fields, message):
    answer = server.book(**fields)
    assert answer.status == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert message.replace("'", "&#39;") in answer.text
    assert "Traceback" not in answer.text and "<script>alert" not in answer.text


@pytest.mark.parametrize("query", ["format=pdf&name=Sam", "format=epub&format=kepub&name=Sam", "name=Sam&name=Alex"])
def test_a_format_or_a_field_given_twice_is_refused(server, query):
    assert server.get(f"/book?{query}").status == 400


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fetc%2fpasswd",
        "/stories/01-lanterns.txt",
        "/friends.toml",
        "/templates/page.html",
        "/ebookify/serve/app.py",
        "/static/",
        "/cover/../../friends.toml",
        "//etc/passwd",
    ],
)
def test_no_request_path_reaches_the_file_system(server, path):
    answer = server.get(path)
    assert answer.status == 404, (path, answer.status)
    assert "There is nothing at this address" in answer.text
    assert b"root:" not in answer.body and b"[[reader]]" not in answer.body and b"Index of" not in answer.body


def test_nothing_can_be_sent_and_nothing_long_is_read(server):
    assert server.get("/", method="POST", body=b"name=Sam").status == 405
    assert server.get("/", method="PUT", body=b"x").status == 405
    assert server.get("/", headers={"Content-Length": "5"}, body=b"hello").status == 413
    long = server.get("/book?name=" + "x" * 5000)
    assert long.status == 414 and "too long" in long.text
    huge_header = server.get("/", headers={"X-Pad": "x" * 70_000})
    assert huge_header.status in (400, 431)


def test_errors_are_plain_pages_with_safe_headers(server):
    for answer in (server.get("/nowhere"), server.book(name=""), server.get("/", method="DELETE")):
        assert answer.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "Traceback" not in answer.text and "starlette" not in answer.text.lower()


def test_the_cover_and_thumbnail_are_pictures(server):
    from PIL import Image

    cover, thumbnail = server.get("/cover"), server.get("/thumbnail")
    assert cover.headers["content-type"] == "image/jpeg" and thumbnail.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumbnail.body)) as small, Image.open(io.BytesIO(cover.body)) as large:
        assert max(small.size) == 400 and large.size[1] > small.size[1]


def test_many_friends_at_once_each_get_their_own_copy(server):
    names = [f"Friend{number}" for number in range(16)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda name: server.book(name=name), names))
    for name, answer in zip(names, answers, strict=True):
        assert answer.status == 200
        with zipfile.ZipFile(io.BytesIO(answer.body)) as book:
            assert name.encode() in book.read("EPUB/title.xhtml")


def test_a_copy_asked_for_again_comes_from_the_cache(server):
    started = time.perf_counter()
    first = server.book(name="Cached Once")
    made = time.perf_counter() - started
    started = time.perf_counter()
    again = server.book(name="Cached Once")
    kept = time.perf_counter() - started
    assert again.body == first.body
    assert kept < made / 3  # made: personalised, rendered and zipped; kept: only sent


def test_the_cache_keeps_the_latest_copies_within_its_bytes(tmp_path):
    import asyncio

    from ebookify.build import BuildOptions
    from ebookify.model import Reader
    from ebookify.serve.copies import Copies
    from ebookify.serve.library import load_library

    library = load_library(BuildOptions(stories=sample_root(tmp_path) / "stories", covers=tmp_path / "covers"))
    copies = Copies(library, workers=1, cache_bytes=200_000)  # room for two copies of ~80 kB
    try:

        async def make(*names: str) -> list[bytes]:
            return [await copies.make(Reader(name, {}), "epub") for name in names]

        first, second, third = asyncio.run(make("Ana", "Bo", "Cy"))
        assert copies.cached == len(second) + len(third) <= 200_000
        assert [key[0] for key in copies.cache] == ["Bo", "Cy"]  # the oldest went first
        asyncio.run(make("Bo"))  # used again: now the latest
        assert [key[0] for key in copies.cache] == ["Cy", "Bo"]
        assert first not in copies.cache.values()
    finally:
        copies.close()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("example.org", False),
    ],
)
def test_only_loopback_addresses_go_without_an_access_code(host, loopback):
    assert is_loopback(host) is loopback


def test_the_rate_limit_lets_a_burst_through_then_a_request_a_while():
    limit = RateLimit(burst=3, per_second=1000 / 3600)
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("b")  # another client has its own share


def test_a_password_is_asked_of_every_page_feed_and_download(tmp_path):
    with serving(sample_root(tmp_path), "--password", "tide pool 7") as server:
        for path in (
            "/",
            "/opds",
            "/opds/books",
            "/opds/search?q=Sam",
            "/book?name=Sam&format=epub",
            "/cover",
            "/nowhere",
        ):
            refused = server.get(path)
            assert refused.status == 401, path
            assert 'name="access"' in refused.text  # a browser can type the code in
            if path != "/":  # the first page asks in its form; the rest as an OPDS app expects
                assert refused.headers["www-authenticate"].startswith("Basic")
            assert b"PK" not in refused.body[:2] and b"<feed" not in refused.body
            assert server.get(path, basic("wrong")).status == 401
            assert server.get(path + ("&" if "?" in path else "?") + "access=wrong").status == 401
        assert server.get("/page.css").status == 200  # the stylesheet of the page asking for the code
        assert server.get("/opds", basic("tide pool 7")).status == 200  # an OPDS app: basic auth
        assert server.get("/book?name=Sam&format=epub", basic("tide pool 7", user="")).status == 200
        door = server.get("/?access=tide+pool+7")  # the printed address: a cookie, then the page
        assert door.status == 303 and door.headers["location"] == "/"
        cookie = door.headers["set-cookie"].split(";")[0]
        assert "tide" not in cookie and "HttpOnly" in door.headers["set-cookie"]
        assert server.get("/", {"Cookie": cookie}).status == 200
        assert server.get("/", {"Cookie": cookie + "0"}).status == 401
        for forged in ("ebookify_access=é", "ebookify_access", "=;;=", "ebookify_access=" + "a" * 4000):
            assert server.get("/", {"Cookie": forged.encode("utf-8").decode("latin-1")}).status == 401, forged
        assert server.get("/opds", {"Authorization": "Basic %%%"}).status == 401
        assert server.get("/opds", {"Authorization": "Basic " + "//79/g=="}).status == 401  # not UTF-8


def test_off_loopback_a_code_is_made_up_and_printed(tmp_path):
    with serving(sample_root(tmp_path), "--host", "0.0.0.0") as server:
        printed = "".join(server.output)
        code = re.search(r"Access code: (\w+)", printed).group(1)
        assert len(code) == 10 and f"?access={code}" in printed
        assert server.get("/").status == 401
        assert server.get("/", basic(code)).status == 200


def test_a_flood_from_one_client_is_turned_away(tmp_path):
    with serving(sample_root(tmp_path)) as server:
        statuses = [server.get("/page.css").status for _ in range(320)]
        assert statuses[:290] == [200] * 290
        assert statuses[-1] == 429


def test_a_killed_worker_is_replaced(tmp_path):
    """A worker killed mid-way (out of memory, a stray signal) costs one request, not the server."""
    import os
    import signal

    with serving(sample_root(tmp_path)) as server:
        assert server.book(name="Before").status == 200
        workers = [int(pid) for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
        assert workers
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        failed = server.book(name="During")
        assert failed.status == 500 and "has been replaced" in failed.text
        after = server.book(name="After")
        assert after.status == 200 and b"After" in zipfile.ZipFile(io.BytesIO(after.body)).read("EPUB/title.xhtml")


@pytest.mark.parametrize("stop", ["SIGINT", "SIGKILL"])
def test_a_stopped_server_takes_its_workers_along(tmp_path, stop):
    """A server stopped (Ctrl-C) or killed outright (the out-of-memory killer) leaves no worker
    behind: one would keep its listening socket, and a new server could not listen on that port."""
    import os
    import signal

    with serving(sample_root(tmp_path)) as server:
        assert server.book(name="Before").status == 200
        workers = [int(pid) for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
        assert workers
        os.kill(server.pid, getattr(signal, stop))
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in workers)
        with socket.create_server(("127.0.0.1", server.port)):  # the port is free again
            pass


def _alive(pid: int) -> bool:
    """Running, not gone nor a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def unlimited(tmp_path_factory) -> Server:
    with serving(sample_root(tmp_path_factory.mktemp("unlimited")), "--rate-limit", "0") as running:
        yield running


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=120), last=st.text(max_size=30))
def test_any_name_is_a_book_with_that_name_or_a_plain_refusal(unlimited, name, last):
    from ebookify.errors import EbookifyError
    from ebookify.validate import check_value

    answer = unlimited.book(name=name, **{"L/N": last})
    try:
        expected = check_value(name, "the name")
        if last:
            check_value(last, "the value")
    except EbookifyError:
        assert answer.status == 400, answer.body[:200]
        return
    assert answer.status == 200, answer.body[:200]
    title_page = zipfile.ZipFile(io.BytesIO(answer.body)).read("EPUB/title.xhtml").decode()
    assert html.escape(expected, quote=False) in title_page


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), max_size=5))
def test_any_query_is_answered_in_words_never_a_crash(unlimited, query):
    answer = unlimited.get("/book?" + urlencode(query))
    assert answer.status in (200, 400), answer.body[:200]
    assert answer.headers["content-type"] in ("text/html; charset=utf-8", "application/epub+zip")
