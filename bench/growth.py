"""Growth: each unit of input must cost the same at any size, even hostile input.

    python bench/growth.py                   # whole builds, then the text steps alone
    python bench/growth.py --builds parts    # one build unit (or --builds none)
    python bench/growth.py --text spaces     # only the text cases whose name holds "spaces" (or --text none)
    python bench/growth.py --check           # exit 1 if anything grows worse than linearly

Two kinds of growth, one bar: no doubling of the input may cost more than MAX_DOUBLING times the
time (linear is 2, quadratic 4).

Builds: a unit is a way to make one input bigger in one direction only (`parts` writes one story
in N Wattpad parts, one file each); each size is built by `python -m ebookify build` in its own
process, and the table gives the time at each size and its ratio to the one before (at 20,000
parts it was 3.5× a doubling before the fix). Add a unit by adding a function that writes a folder
for a size, and a line to UNITS.

Text steps: a regex that can start anywhere in a long run of one character (60,000 spaces, dots,
quotes) and scan to its end before failing does n steps at each of n places: a 60 KB file took 110
seconds. Each case repeats one hostile unit n times inside ordinary text, times the step at n, 2n
and 4n units (the best of a few runs), and gives the growth per doubling (the square root of 4n/n).
n is doubled from a small start until the step takes long enough to time.
"""

from __future__ import annotations

import argparse
import itertools
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ebookify.ao3 import _STAT as AO3_STATS  # the one pattern of ao3.py that reads free text
from ebookify.kepub import split_sentences
from ebookify.parse import parse_chapter, split_title_line
from ebookify.personalise import Tally, explains_placeholders, find_codes, mark_fandom_shorthand, personalise
from ebookify.typography import typeset, typeset_all

MAX_DOUBLING = 3.2  # time(2n) / time(n): linear is 2, quadratic 4; the rest is room for a busy machine

# -- whole builds ------------------------------------------------------------------------------

FOOTER = "Growth ImaginesWhere stories live. Discover now"


def parts(folder: Path, count: int) -> None:
    """One story in `count` parts, one file each (the 100,000-part story once never finished)."""
    for n in range(1, count + 1):
        text = f"Mara Voss - The Long Tide (part {n}/{count})\n\nY/N waited by the harbour, part {n}.\n\n{FOOTER}"
        (folder / f"{n:06d}.txt").write_text(text, encoding="utf-8")


def books(folder: Path, count: int) -> None:
    """`count` one-shots, each from a Wattpad book of its own (grouping once scanned every story per book)."""
    for n in range(1, count + 1):
        footer = f"Book {n}Where stories live. Discover now"
        text = f"Mara Voss - Tide {n}\n\nY/N waited by the harbour, tide {n}.\n\n{footer}"
        (folder / f"{n:06d}.txt").write_text(text, encoding="utf-8")


def placeholders(folder: Path, count: int) -> None:
    """One paragraph of `count` placeholders (reading the whole paragraph around each one for its
    case once made this quadratic: minutes for 50,000)."""
    body = " ".join(["Y/N"] * count)
    (folder / "01.txt").write_text(f"Mara Voss - Names\n\n{body} GO\n\n{FOOTER}", encoding="utf-8")


# unit -> (how to write a folder of a given size, the sizes)
UNITS: dict[str, tuple[Callable[[Path, int], None], tuple[int, ...]]] = {
    "parts": (parts, (1_000, 2_000, 4_000, 8_000)),
    "books": (books, (1_000, 2_000, 4_000, 8_000)),
    "placeholders": (placeholders, (12_500, 25_000, 50_000, 100_000)),
}


def build_seconds(folder: Path, out: Path) -> float:
    command = [sys.executable, "-m", "ebookify", "build", "--name", "Sam", "--stories", str(folder), "-o", str(out)]
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"build failed: {result.stderr.strip()[-500:]}")
    return elapsed


def measure(unit: str) -> list[tuple[int, float]]:
    write, sizes = UNITS[unit]
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "stories"
            folder.mkdir()
            write(folder, size)
            rows.append((size, build_seconds(folder, Path(tmp) / "out.epub")))
            print(f"{unit} {size}: {rows[-1][1]:.2f} s", file=sys.stderr)
    return rows


def worst_doubling(rows: list[tuple[int, float]]) -> float:
    """The largest time ratio between neighbouring sizes, per doubling of the size. Whole build
    times: taking a start-up off the small sizes made their ratios mostly noise on a busy machine."""
    return max(
        (t_big / t_small) ** (1 / math.log2(big / small)) for (small, t_small), (big, t_big) in itertools.pairwise(rows)
    )


# -- text steps alone ---------------------------------------------------------------------------

MIN_SECONDS = 0.02  # time at n below this is mostly noise: n doubles until it is reached
BUDGET = 2.0  # seconds at 2n past which 4n is not tried
VALUES = {"Y/N": "Sam", "F/N": "Sam", "L/N": "Rivers"}


def _story(text: str) -> str:
    return f"Mara Voss x Reader - Hostile\n\nIt was -- fine. {text} Then 'she' left...\n"


def _paragraphs(text: str) -> list[str]:
    return ["“Hi,” she said -- once.", f"He said {text} and left...", "'Cause."]


# (what, the step, the unit repeated n times, text around it)
CASES: list[tuple[str, Callable[[str], object], str]] = [
    ("typeset: spaces, then --", lambda t: typeset(f"a{t}b -- c"), " "),
    ("typeset: spaces around -", lambda t: typeset(f"a{t}-{t}b"), " "),
    ("typeset: spaces after a digit", lambda t: typeset(f"5{t}x - 6"), " "),
    ("typeset: tabs and spaces, then -", lambda t: typeset(f"B-{t}x"), " \t"),
    ("typeset: dots", lambda t: typeset(f"a{t}b"), "."),
    ("typeset: spaced dots", lambda t: typeset(f"a{t}b"), ". "),
    ("typeset: hyphens", lambda t: typeset(f"a{t}b"), "-"),
    ("typeset: spaced hyphens", lambda t: typeset(f"a{t}b"), " -"),
    ("typeset: single quotes", lambda t: typeset(f"a{t}b"), "'"),
    ("typeset: opening single quotes", lambda t: typeset(f"x{t}"), " 'a"),
    ("typeset: closing single quotes", lambda t: typeset(f"'x{t}"), "a' "),
    ("typeset: double quotes", lambda t: typeset(f"a{t}b"), '"'),
    ("typeset: slashes", lambda t: typeset(f"a{t}b"), "/"),
    ("typeset: letters", lambda t: typeset(f"'{t}"), "a"),
    ("typeset: quotes after dashes", lambda t: typeset(f"a{t}"), "—'"),
    ("typeset_all: spaces, then --", lambda t: typeset_all(_paragraphs(t)), " "),
    ("typeset_all: single quotes", lambda t: typeset_all(_paragraphs(t)), " 'a"),
    ("typeset with marks: spaces", lambda t: typeset(f"\ufdd0a\ufdd1{t} -- b"), " "),
    ("personalise: slashes", lambda t: personalise(f"Y/N{t}", VALUES, Tally()), "/"),
    ("personalise: codes", lambda t: personalise(t, VALUES, Tally()), "Y/N "),
    ("personalise: legends", lambda t: personalise(t, VALUES, Tally()), "Y/N = "),
    ("personalise: spaces after a code", lambda t: personalise(f"Y/N{t}=", VALUES, Tally()), " "),
    ("find_codes: letters and slashes", lambda t: find_codes(t), "a/"),
    ("find_codes: spaces after a code", lambda t: find_codes(f"Y/N{t}-"), " "),
    ("legend: long words", lambda t: personalise(f"Y/N = {t}", VALUES, Tally()), "a"),
    ("legend: spaces before the end", lambda t: personalise(f"Y/N = your name{t}x", VALUES, Tally()), " "),
    ("shorthand in notes: codes", lambda t: mark_fandom_shorthand(t), "h/c H/D "),
    ("legend note: spaces", lambda t: explains_placeholders(f"{t}Y/N = your name"), " "),
    ("legend note: words", lambda t: explains_placeholders(f"Y/N = {t}"), "your "),
    ("title line: spaces", lambda t: split_title_line(f"Who - Title{t}x"), " "),
    ("title line: dashes", lambda t: split_title_line(f"Who - Title{t}x"), "-"),
    ("title line: spaces before part", lambda t: split_title_line(f"Who - Title ({t}part{t}x"), " "),
    ("story file: spaces", lambda t: parse_chapter(_story(t), "hostile.txt"), " "),
    ("story file: ornaments", lambda t: parse_chapter(_story("\n" + t + "x\n"), "hostile.txt"), "*"),
    ("AO3 stats: capitals and spaces", lambda t: AO3_STATS.findall(f"Words: 5 {t}"), "A "),
    ("kepub sentences: exclamation marks", lambda t: split_sentences(f"a{t}b"), "!"),
    ("kepub sentences: dots", lambda t: split_sentences(f"a{t}b"), "."),
]


def seconds(step: Callable[[str], object], text: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        step(text)
        best = min(best, time.perf_counter() - start)
    return best


def growth(step: Callable[[str], object], unit: str, start: int = 100, most: int = 2_000_000) -> tuple[int, float]:
    """n, and how much longer 4n units take than n. A step that already takes long at 2n is not
    run at 4n (a quadratic one would take minutes): its 2n/n ratio, squared, stands in."""
    n = start
    step(unit * n)  # once untimed: the first call may pay for compiling patterns
    while seconds(step, unit * n, runs=1) < MIN_SECONDS and len(unit) * n * 4 < most:
        n *= 2
    at_n, at_2n = seconds(step, unit * n), seconds(step, unit * 2 * n)
    if at_2n > BUDGET:
        return n, (at_2n / at_n) ** 2
    return n, seconds(step, unit * 4 * n) / at_n


def run_builds(units: list[str]) -> list[str]:
    """The build table; the units that missed the bar."""
    print("| unit | size | seconds | × previous |\n| --- | ---: | ---: | ---: |")
    missed = []
    for unit in units:
        rows = measure(unit)
        previous = None
        for size, took in rows:
            ratio = f"{took / previous:.2f}" if previous else ""
            print(f"| {unit} | {size:,} | {took:.2f} | {ratio} |")
            previous = took
        worst = worst_doubling(rows)
        verdict = "met" if worst <= MAX_DOUBLING else "MISSED"
        print(f"| {unit} | worst doubling | {worst:.2f}× (bar {MAX_DOUBLING}×) | {verdict} |", flush=True)
        if worst > MAX_DOUBLING:
            missed.append(unit)
    return missed


def run_text(only: str) -> list[str]:
    """The text-step table; the cases that missed the bar."""
    print(f"\n{'case':<40} {'n':>8} {'×/doubling':>10}", flush=True)
    worst = []
    for what, step, unit in CASES:
        if only not in what:
            continue
        n, ratio = growth(step, unit)
        for _ in range(2):  # a busy machine can make one measurement look bad; a real one stays bad
            if ratio > MAX_DOUBLING**2:
                n, ratio = min((n, ratio), growth(step, unit), key=lambda measured: measured[1])
        per_doubling = math.sqrt(ratio)
        flag = "  SUPER-LINEAR" if per_doubling > MAX_DOUBLING else ""
        print(f"{what:<40} {n:>8} {per_doubling:>10.2f}{flag}", flush=True)
        if flag:
            worst.append(what)
    if worst:
        print(f"\n{len(worst)} grow faster than their input: {', '.join(worst)}")
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", default=",".join(UNITS), help=f"comma-separated from {', '.join(UNITS)}, or none")
    parser.add_argument("--text", default="", help="only the text cases whose name holds this, or none")
    parser.add_argument("--check", action="store_true", help="exit 1 if anything grows worse than linearly")
    args = parser.parse_args()
    units = [] if args.builds == "none" else args.builds.split(",")
    unknown = [unit for unit in units if unit not in UNITS]
    if unknown:
        parser.error(f"unknown build unit {', '.join(unknown)}; choose from {', '.join(UNITS)}")
    missed = run_builds(units) if units else []
    if args.text != "none":
        missed += run_text(args.text)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
