"""Hostile units, measured for growth: each unit of input should cost the same at any size.

    python bench/growth.py                 # every unit
    python bench/growth.py --units parts   # one
    python bench/growth.py --check         # exit 1 if any unit grows worse than linearly

A unit is a way to make one input bigger in one direction only: `parts` writes one story in N
Wattpad parts, one file each. For each unit the table has the build time at each size and the ratio
of each time to the one before it; doubling the size of a linear step at most doubles its time (less
while start-up still counts). The bar is that no doubling costs more than 3× (quadratic tends to 4×;
at 20,000 parts it was 3.5× before the fix). Add a unit by adding a function and a line to UNITS: it
writes a folder for a size.
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

FOOTER = "Growth ImaginesWhere stories live. Discover now"
MAX_DOUBLING = 3.0  # time(2n) / time(n); linear is 2, quadratic 4


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default=",".join(UNITS), help=f"comma-separated from {', '.join(UNITS)}")
    parser.add_argument("--check", action="store_true", help="exit 1 if a unit grows worse than linearly")
    args = parser.parse_args()
    print("| unit | size | seconds | × previous |\n| --- | ---: | ---: | ---: |")
    missed = []
    for unit in args.units.split(","):
        rows = measure(unit)
        previous = None
        for size, seconds in rows:
            ratio = f"{seconds / previous:.2f}" if previous else ""
            print(f"| {unit} | {size:,} | {seconds:.2f} | {ratio} |")
            previous = seconds
        worst = worst_doubling(rows)
        verdict = "met" if worst <= MAX_DOUBLING else "MISSED"
        print(f"| {unit} | worst doubling | {worst:.2f}× (bar {MAX_DOUBLING}×) | {verdict} |")
        if worst > MAX_DOUBLING:
            missed.append(unit)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
