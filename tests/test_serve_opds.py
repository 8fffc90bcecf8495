"""The OPDS 1.2 catalog of `ebookify serve`: every feed valid against a RELAX NG of the spec
(tests/fixtures/opds, read by lxml), read back by an OPDS client library (feedparser), and its
links followed to the books, as an e-reader app would."""

from __future__ import annotations

import copy
from urllib.parse import quote, urlencode, urljoin

import feedparser
import pytest
from conftest import REPO, epub_pages, page_text
from lxml import etree
from serving import Server, sample_root, serving

SCHEMAS = REPO / "tests" / "fixtures" / "opds"
ATOM = "{http://www.w3.org/2005/Atom}"
ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    with serving(sample_root(tmp_path_factory.mktemp("opds"))) as running:
        yield running


def schema(name: str) -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMAS / name)))


def feed_of(server: Server, path: str, media_type: str) -> etree._Element:
    answer = server.get(path)
    assert answer.status == 200, answer.body[:300]
    assert answer.headers["content-type"].replace(" ", "") == media_type
    root = etree.fromstring(answer.body, etree.XMLParser(resolve_entities=False, no_network=True))
    opds = schema("opds-1.2.rng")
    assert opds.validate(root), f"{path}: {opds.error_log}"
    return root


def read_back(server: Server, path: str) -> feedparser.FeedParserDict:
    answer = server.get(path)
    headers = {**answer.headers, "content-location": server.url + path[1:]}
    parsed = feedparser.parse(answer.body, response_headers=headers)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


def acquisitions(entry: feedparser.FeedParserDict) -> dict[str, str]:
    return {link.type: link.href for link in entry.links if link.rel.startswith("http://opds-spec.org/acquisition")}


def test_the_navigation_feed_leads_to_the_acquisition_feed(server):
    feed_of(server, "/opds", NAVIGATION)
    parsed = read_back(server, "/opds")
    assert parsed.feed.title == "Saltmarsh Imagines"
    [entry] = parsed.entries
    [link] = [link for link in entry.links if link.rel == "subsection"]
    assert link.type == ACQUISITION and link.href.endswith("/opds/books")
    assert {(link.rel, link.type) for link in parsed.feed.links} >= {
        ("self", NAVIGATION),
        ("start", NAVIGATION),
        ("search", "application/opensearchdescription+xml"),
    }


def test_the_acquisition_feed_has_the_neutral_edition_and_each_reader(server):
    feed_of(server, "/opds/books", ACQUISITION)
    parsed = read_back(server, "/opds/books")
    titles = [entry.title for entry in parsed.entries]
    assert titles == [
        "Saltmarsh Imagines (neutral edition)",
        "Saltmarsh Imagines (for Zoë)",
        "Saltmarsh Imagines (for Alex)",
    ]
    for entry in parsed.entries:
        assert set(acquisitions(entry)) == {"application/epub+zip", "application/kepub+zip"}
        rels = {link.rel: link.type for link in entry.links}
        assert rels["http://opds-spec.org/image"] == "image/jpeg"
        assert rels["http://opds-spec.org/image/thumbnail"] == "image/jpeg"
        assert entry.summary.startswith("5 stories")
        assert entry.id.startswith("urn:uuid:")
    assert len({entry.id for entry in parsed.entries}) == 3


def test_each_acquisition_link_gives_that_readers_book(server):
    parsed = read_back(server, "/opds/books")
    zoe = next(entry for entry in parsed.entries if "Zoë" in entry.title)
    links = acquisitions(zoe)
    for media_type, href in links.items():
        answer = server.get(href[len(server.url) - 1 :] if href.startswith("http") else href)
        assert answer.status == 200 and answer.headers["content-type"] == media_type
    book = server.get(links["application/epub+zip"].removeprefix(server.url.rstrip("/")))
    text = " ".join(page_text(page) for page in epub_pages(book.body).values())
    assert "Zoë" in text and "Rivers" in text  # her values from the readers file
    for href in (link.href for link in zoe.links if link.rel.startswith("http://opds-spec.org/image")):
        assert server.get(href.removeprefix(server.url.rstrip("/"))).headers["content-type"] == "image/jpeg"


def test_the_search_description_is_opensearch_for_an_acquisition_feed(server):
    answer = server.get("/opds/search.xml")
    assert answer.headers["content-type"] == "application/opensearchdescription+xml"
    root = etree.fromstring(answer.body)
    opensearch = schema("opensearch.rng")
    assert opensearch.validate(root), opensearch.error_log
    template = root.find("{http://a9.com/-/spec/opensearch/1.1/}Url").get("template")
    assert template == urljoin(server.url, "/opds/search?q={searchTerms}")


@pytest.mark.parametrize(
    ("name", "title", "inside"),
    [
        ("Maren", "Saltmarsh Imagines (for Maren)", ["Maren"]),
        ("zoë", "Saltmarsh Imagines (for Zoë)", ["Zoë", "Rivers"]),  # a profile, in any case
        ("Anne-Marie O'Neil", "Saltmarsh Imagines (for Anne-Marie O'Neil)", ["Anne-Marie O'Neil"]),
    ],
)
def test_searching_a_name_finds_that_persons_copy(server, name, title, inside):
    description = etree.fromstring(server.get("/opds/search.xml").body)
    template = description.find("{http://a9.com/-/spec/opensearch/1.1/}Url").get("template")
    path = template.replace("{searchTerms}", quote(name)).removeprefix(server.url.rstrip("/"))
    feed_of(server, path, ACQUISITION)
    [entry] = read_back(server, path).entries
    assert entry.title == title
    book = server.get(acquisitions(entry)["application/epub+zip"].removeprefix(server.url.rstrip("/")))
    text = " ".join(page_text(page) for page in epub_pages(book.body).values())
    assert all(word in text for word in inside), inside


@pytest.mark.parametrize("name", ["", "   ", "\u202eevil", "x" * 101])
def test_a_search_for_no_name_or_a_bad_one_is_a_plain_refusal(server, name):
    answer = server.get("/opds/search?" + urlencode({"q": name}))
    assert answer.status == 400 and answer.headers["content-type"].startswith("text/html")
    assert "Search for a name" in answer.text


def _broken(root: etree._Element, how: str) -> etree._Element:
    broken = copy.deepcopy(root)
    entry = broken.find(f"{ATOM}entry")
    if how == "no acquisition link":
        for link in entry.findall(f"{ATOM}link"):
            if link.get("rel").startswith("http://opds-spec.org/acquisition"):
                entry.remove(link)
    elif how == "acquisition link without a type":
        next(link for link in entry.findall(f"{ATOM}link") if "acquisition" in link.get("rel")).attrib.pop("type")
    elif how == "entry without an id":
        entry.remove(entry.find(f"{ATOM}id"))
    elif how == "updated not a date":
        broken.find(f"{ATOM}updated").text = "yesterday"
    elif how == "self link not an OPDS type":
        broken.find(f"{ATOM}link").set("type", "text/html")
    return broken


@pytest.mark.parametrize(
    "how",
    [
        "no acquisition link",
        "acquisition link without a type",
        "entry without an id",
        "updated not a date",
        "self link not an OPDS type",
    ],
)
def test_the_schema_refuses_what_the_spec_forbids(server, how):
    """The schema can fail: each feed broken in one way the spec forbids is refused."""
    good = etree.fromstring(server.get("/opds/books").body)
    opds = schema("opds-1.2.rng")
    assert opds.validate(good)
    assert not opds.validate(_broken(good, how)), how
