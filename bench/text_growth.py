"""Growth check: every text step must take time linear in its input, even hostile input.

    python bench/text_growth.py            # a table of hostile inputs, the time at n, 2n and 4n units
    python bench/text_growth.py --check    # ... and exit 1 if any of them grows clearly faster than n

A regex that can start anywhere in a long run of one character (60,000 spaces, dots, quotes) and
scan to its end before failing does n steps at each of n places: a 60 KB file took 110 seconds.
Each case here repeats one hostile unit n times inside ordinary text, times the step at n, 2n and
4n units (the best of a few runs), and prints how much longer 4n took than n: about 4 is linear,
about 16 quadratic. n is doubled from a small start until the step takes long enough to time.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from ebookify.ao3 import _STAT as AO3_STATS  # the one pattern of ao3.py that reads free text
from ebookify.kepub import split_sentences
from ebookify.parse import parse_chapter, split_title_line
from ebookify.personalise import Tally, explains_placeholders, find_codes, mark_fandom_shorthand, personalise
from ebookify.typography import typeset, typeset_all

LIMIT = 10.0  # 4n over n: linear is 4, quadratic 16; 10 leaves room for a busy machine
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
    ("story file: spaces", lambda t: parse_chapter(_story(t), "hostile.txt")[0], " "),
    ("story file: ornaments", lambda t: parse_chapter(_story("\n" + t + "x\n"), "hostile.txt")[0], "*"),
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help=f"exit 1 if any 4n/n ratio is over {LIMIT}")
    parser.add_argument("--only", default="", help="run only the cases whose name contains this")
    args = parser.parse_args()
    print(f"{'case':<40} {'n':>8} {'4n/n':>6}", flush=True)
    worst = []
    for what, step, unit in CASES:
        if args.only not in what:
            continue
        n, ratio = growth(step, unit)
        for _ in range(2):  # a busy machine can make one measurement look bad; a real one stays bad
            if ratio > LIMIT:
                n, ratio = min((n, ratio), growth(step, unit), key=lambda measured: measured[1])
        flag = "  SUPER-LINEAR" if ratio > LIMIT else ""
        print(f"{what:<40} {n:>8} {ratio:>6.1f}{flag}", flush=True)
        if flag:
            worst.append(what)
    if worst:
        print(f"\n{len(worst)} grow faster than their input: {', '.join(worst)}")
    return 1 if args.check and worst else 0


if __name__ == "__main__":
    sys.exit(main())
