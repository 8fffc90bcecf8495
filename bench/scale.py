"""Extreme inputs, measured: a 50 MB story file, a 1 MB paragraph, a folder of 5,000 files.

    python bench/scale.py            # all three
    python bench/scale.py --cases paragraph

Each case is generated into a temporary folder and built once by `python -m ebookify build`,
in its own process; the table gives wall time, the child's peak memory (max RSS from wait4)
and the EPUB's size. The bar (issue 6) is only that each builds without running out of memory
on a 2-core, 24 GB machine; the figures go in the closing note.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FOOTER = "Scale ImaginesWhere stories live. Discover now"
SENTENCE = 'Y/N walked along the harbour wall, and the fog said "wait..." - but you didn\'t. '


def story(title: str, paragraphs: list[str]) -> str:
    return f"Mara Voss - {title}\n\n1.2M 45.3K 2.1K\n\n" + "\n".join(paragraphs) + f"\n\n{FOOTER}"


def big_file(folder: Path) -> None:
    """One file of about 50 MB: 60,000 paragraphs of about 850 characters."""
    paragraph = SENTENCE * 10
    (folder / "001.txt").write_text(story("The Long One", [paragraph] * 60_000), encoding="utf-8")


def big_paragraph(folder: Path) -> None:
    """One paragraph of about 1 MB, placeholders and quotes all through it."""
    (folder / "001.txt").write_text(story("One Breath", [SENTENCE * 12_500]), encoding="utf-8")


def many_files(folder: Path) -> None:
    """5,000 story files of a few paragraphs each, some of them parts of longer stories."""
    for n in range(5_000):
        title = f"Story {n // 3} (part {n % 3 + 1}/3)" if n % 2 else f"One-shot {n}"
        (folder / f"{n:05d}.txt").write_text(story(title, [SENTENCE * 3] * 5), encoding="utf-8")


CASES = {"file-50mb": big_file, "paragraph-1mb": big_paragraph, "files-5000": many_files}


def measure(folder: Path, out: Path) -> tuple[float, float, int]:
    """(seconds, peak MB (10^6 bytes, as bench/run.py counts), exit code) of one build."""
    command = [sys.executable, "-m", "ebookify", "build", "--name", "Sam", "--stories", str(folder), "-o", str(out)]
    start = time.perf_counter()
    # Output goes nowhere: a pipe nobody reads would stall a build with many warnings.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    return elapsed, usage.ru_maxrss * 1024 / 1e6, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    args = parser.parse_args()
    print(f"{'case':<15} {'input MB':>9} {'seconds':>8} {'peak MB':>8} {'EPUB MB':>8}  exit")
    for name in args.cases.split(","):
        with tempfile.TemporaryDirectory() as root:
            folder = Path(root) / "stories"
            folder.mkdir()
            CASES[name](folder)
            size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
            out = Path(root) / "book.epub"
            seconds, peak, code = measure(folder, out)
            epub = out.stat().st_size / 2**20 if out.exists() else 0
            print(f"{name:<15} {size:>9.1f} {seconds:>8.2f} {peak:>8.0f} {epub:>8.1f}  {code}")


if __name__ == "__main__":
    main()
