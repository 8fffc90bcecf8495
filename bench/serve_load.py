"""A bounded load run of `ebookify serve` on loopback: distinct names, so every copy is made
afresh (none comes from the cache), then every downloaded book checked.

    python bench/serve_load.py                       # the sample stories/, 200 requests, 20 at once
    python bench/serve_load.py --size 60k            # a 60,000-word collection made by generate.py
    python bench/serve_load.py --stories DIR --requests 500 --concurrency 40 --epubcheck 5

Two phases, after one untimed warm-up copy:
  latency     --latency-requests copies one after another: the median is what one friend waits
  throughput  --requests copies, --concurrency at a time: copies per second with every core busy
Each book is checked: a zip with the EPUB layout, every XHTML page and the package document
strict XML, the name on the title page, and ebookify's own Send-to-Kindle rules (ebookify lint).
EPUBCheck (Java, seconds a book) runs on --epubcheck of them, chosen evenly (default 3; 0: none).
Exit 1 on any failed request or book, or with --check when a target below is missed.
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from lxml import etree

HERE = Path(__file__).resolve().parent
SIZES = {"60k": (20, 3000)}  # files × words per file, as in run.py
TARGETS = {"median_ms": 100.0, "copies_per_second": 10.0}  # issue 17: the sample; a 60k collection


def start_server(stories: Path, rate_limit: int) -> tuple[subprocess.Popen, int]:
    command = [sys.executable, "-m", "ebookify", "serve", "--stories", str(stories), "--port", "0"]
    command += ["--covers", str(stories / "no-covers"), "--rate-limit", str(rate_limit)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    said = []
    for line in process.stdout:
        said.append(line)
        found = re.search(r"Open http://127\.0\.0\.1:(\d+)/ on a phone", line)
        if found:
            return process, int(found.group(1))
    raise SystemExit("ebookify serve stopped before it was ready:\n" + "".join(said))


def fetch(port: int, name: str) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", "/book?" + urlencode({"name": name, "format": "epub"}))
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return time.perf_counter() - started, response.status, body


def problems_of(name: str, status: int, data: bytes) -> list[str]:
    """What is wrong with one downloaded book (nothing: an empty list)."""
    from ebookify.lint import lint_files

    if status != 200:
        return [f"{name}: HTTP {status}: {data[:200]!r}"]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            names = book.namelist()
            entries = {entry: book.read(entry) for entry in names}
    except zipfile.BadZipFile as exc:
        return [f"{name}: not a zip: {exc}"]
    found = []
    if names[0] != "mimetype" or entries["mimetype"] != b"application/epub+zip":
        found.append(f"{name}: the mimetype entry is not first")
    for entry, content in entries.items():
        if entry.endswith((".xhtml", ".opf", ".ncx")):
            try:
                etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
            except etree.XMLSyntaxError as exc:
                found.append(f"{name}: {entry} is not XML: {exc}")
    if name.encode() not in entries.get("EPUB/title.xhtml", b""):
        found.append(f"{name}: the name is not on the title page")
    found += [f"{name}: {v}" for v in lint_files(entries, len(data)) if not v.warning]
    return found


def epubcheck(books: list[tuple[str, bytes]], folder: Path) -> list[str]:
    sys.path.insert(0, str(HERE.parent / "tests"))
    from conftest import epubcheck_problems  # the suite's own EPUBCheck run: same options, same reading

    found = []
    for name, data in books:
        path = folder / f"{re.sub(r'[^A-Za-z0-9]+', '-', name)}.epub"
        path.write_bytes(data)
        found += [f"{name}: EPUBCheck: {problem}" for problem in epubcheck_problems(path)]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load ebookify serve on loopback; see the docstring.")
    parser.add_argument("--stories", type=Path, help="the stories folder (default: the sample, stories/)")
    parser.add_argument("--size", choices=sorted(SIZES), help="generate a collection of this size instead")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--latency-requests", type=int, default=30)
    parser.add_argument("--epubcheck", type=int, default=3, metavar="N", help="books EPUBCheck sees (0: none)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="serve-load-") as tmp:
        stories = args.stories or HERE.parent / "stories"
        if args.size:
            files, words = SIZES[args.size]
            stories = Path(tmp) / "stories"
            generate = [sys.executable, str(HERE / "generate.py"), str(stories), "--files", str(files)]
            subprocess.run([*generate, "--words-per-file", str(words)], check=True, stdout=subprocess.DEVNULL)
        total = args.requests + args.latency_requests + 1
        process, port = start_server(stories, rate_limit=max(300, total * 2))
        try:
            return run(args, port, Path(tmp))
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


def run(args: argparse.Namespace, port: int, tmp: Path) -> int:
    fetch(port, "Warm Up")
    latencies = []
    books: list[tuple[str, int, bytes]] = []
    for number in range(args.latency_requests):
        name = f"Reader Alone {number}"
        seconds, status, data = fetch(port, name)
        latencies.append(seconds)
        books.append((name, status, data))
    names = [f"Reader {number:04d}" for number in range(args.requests)]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        answers = list(pool.map(lambda name: fetch(port, name), names))
    elapsed = time.perf_counter() - started
    books += [(name, status, data) for name, (_, status, data) in zip(names, answers, strict=True)]
    loaded = sorted(seconds for seconds, _, _ in answers)
    problems = [problem for name, status, data in books for problem in problems_of(name, status, data)]
    step = max(1, len(books) // max(1, args.epubcheck)) if args.epubcheck else 0
    checked = [(name, data) for name, _, data in books[::step][: args.epubcheck]] if step else []
    problems += epubcheck(checked, tmp)
    median_ms = statistics.median(latencies) * 1000 if latencies else float("nan")
    rate = len(names) / elapsed
    print(f"cores: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}")
    print(f"latency, one at a time: median {median_ms:.0f} ms over {len(latencies)} distinct copies")
    print(
        f"throughput, {args.concurrency} at once: {len(names)} distinct copies in {elapsed:.2f} s = {rate:.1f} copies/s"
    )
    print(f"  under load: median {statistics.median(loaded) * 1000:.0f} ms, slowest {loaded[-1] * 1000:.0f} ms")
    size = statistics.median(len(data) for _, _, data in books)
    print(f"books checked: {len(books)} (zip, XML, name, lint); EPUBCheck: {len(checked)}", end="")
    print(f"; median size {size / 1000:.0f} kB")
    for problem in problems[:20]:
        print(f"PROBLEM {problem}")
    if problems:
        print(f"{len(problems)} problems")
        return 1
    missed = (median_ms > TARGETS["median_ms"] and not args.size) or (args.size and rate < TARGETS["copies_per_second"])
    print("targets: " + ("MISSED" if missed else "met") + f" ({TARGETS})")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
