"""The benchmark runner: how much slower and bigger than the floor is ebookify?

    python bench/run.py                        # everything, printed as tables (takes a while at 5M)
    python bench/run.py --sizes 60k,1M --runs 3
    python bench/run.py --check                # also exit 1 if any bar below is missed

See bench/README.md for what each number means. Needs a Unix (os.wait4) and ebookify installed
in this Python (`pip install -e .`).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class Bar:
    key: str
    what: str
    limit: float
    unit: str  # "×" for a ratio of median wall times, "MB" for peak memory (10^6 bytes)


# The bars. `--check` exits 1 if any measured value is over its limit.
BARS = (
    Bar("time 60k", "60k words: ebookify time / floor time", 4.0, "×"),
    Bar("time 1M", "1M words: ebookify time / floor time", 3.0, "×"),
    Bar("time 5M", "5M words: ebookify time / floor time", 3.0, "×"),
    Bar("memory 5M", "5M words: ebookify peak memory", 250.0, "MB"),
    Bar("readers", "1M words: 10 readers / 1 reader time", 5.0, "×"),
    Bar("help", "ebookify --help / python -c 'import typer'", 1.5, "×"),
)

# name: (files, words per file, default runs)
SIZES = {
    "2k": (2, 1_000, 5),
    "60k": (20, 3_000, 5),
    "1M": (200, 5_000, 5),
    "5M": (1_000, 5_000, 3),
}
READERS_SIZE = "1M"
HELP_RUNS = 10
SEED = 0
NAME = "Sam"
# The friends of the 10-reader build; the 1-reader build is the first of them alone.
READERS = (
    ("Sam", "Rivers", "green"),
    ("Zoë", "Okafor", "brown"),
    ("Alex", "Moreno", "grey"),
    ("Priya", "Shah", "dark brown"),
    ("Jordan", "Lee", "blue"),
    ("Mateo", "García", "hazel"),
    ("Aoife", "Byrne", "blue-green"),
    ("Kenji", "Sato", "black"),
    ("Noor", "Haddad", "amber"),
    ("Lena", "Fischer", "grey-blue"),
)

HERE = Path(__file__).resolve().parent
GENERATE = HERE / "generate.py"
FLOOR = HERE / "floor.py"


@dataclass
class Sample:
    wall: float  # seconds
    maxrss: int  # bytes
    code: int
    stdout: str
    stderr: str


@dataclass
class Series:
    """Repeated runs of one command."""

    label: str
    samples: list[Sample] = field(default_factory=list)
    out_size: int | None = None  # bytes of the file it wrote, if any

    @property
    def median(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def peak(self) -> int:
        return max(s.maxrss for s in self.samples)

    @property
    def failed(self) -> Sample | None:
        return next((s for s in self.samples if s.code != 0), None)


def run(cmd: list[str], cwd: Path) -> Sample:
    """Run one command to the end; its own wall time and peak memory (from os.wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait again
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    maxrss = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    return Sample(wall, maxrss, code, stdout, stderr)


def interleaved(commands: dict[str, list[str]], runs: int, cwd: Path, what: str) -> dict[str, Series]:
    """Run each command `runs` times, taking turns (a, b, a, b, ...), so that drift in the
    machine's speed hits all of them alike. Stops early if one fails."""
    series = {label: Series(label) for label in commands}
    for i in range(1, runs + 1):
        times = []
        for label, cmd in commands.items():
            sample = run(cmd, cwd)
            series[label].samples.append(sample)
            times.append(f"{label} {sample.wall:.2f} s")
            if sample.code != 0:
                progress(f"  {what} run {i}/{runs}: {label} FAILED (exit {sample.code})")
                return series
        progress(f"  {what} run {i}/{runs}: " + ", ".join(times))
    return series


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def generate(folder: Path, size: str) -> Path:
    files, words, _ = SIZES[size]
    if not folder.exists():
        progress(f"generating {size}: {files} files × {words:,} words")
        cmd = [sys.executable, str(GENERATE), str(folder), "--files", str(files), "--words-per-file", str(words)]
        subprocess.run([*cmd, "--seed", str(SEED)], check=True, stderr=subprocess.DEVNULL)
    return folder


def readers_toml(path: Path, readers: tuple[tuple[str, str, str], ...]) -> Path:
    tables = [f'[[reader]]\nname = "{n}"\n"L/N" = "{ln}"\n"E/C" = "{ec}"\n' for n, ln, ec in readers]
    path.write_text("\n".join(tables), encoding="utf-8")
    return path


def ebookify(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "ebookify", *map(str, args)]


def ebookify_build(stories: Path, out_dir: Path, covers: Path, *who: str | Path) -> list[str]:
    # An empty covers folder: ebookify draws its own cover, as for anyone without an image.
    return ebookify("build", *who, "--stories", stories, "--out-dir", out_dir, "--covers", covers)


def written_size(series: Series) -> int | None:
    """The size of the (first) book a run wrote, from the path it printed or was given."""
    for sample in series.samples:
        if sample.code == 0 and sample.stdout.strip():
            path = Path(sample.stdout.splitlines()[0].strip())
            return path.stat().st_size if path.exists() else None
    return None


@dataclass
class SizeResult:
    size: str
    runs: int
    floor: Series
    ebookify: Series
    said: str  # what ebookify printed on stderr in its first run


@dataclass
class PairResult:
    label: str
    runs: int
    base: Series
    other: Series


def bench_size(size: str, runs: int, tmp: Path, covers: Path) -> SizeResult:
    stories = generate(tmp / f"stories-{size}", size)
    out = tmp / f"out-{size}"
    commands = {
        "floor": [sys.executable, str(FLOOR), str(stories), str(out / "floor.epub"), "--name", NAME],
        "ebookify": ebookify_build(stories, out / "ebookify", covers, "--name", NAME),
    }
    progress(f"{size}: floor vs ebookify, {runs} runs each")
    series = interleaved(commands, runs, tmp, size)
    for s in series.values():
        s.out_size = written_size(s)
    said = series["ebookify"].samples[0].stderr if series["ebookify"].samples else ""
    return SizeResult(size, runs, series["floor"], series["ebookify"], said)


def bench_readers(runs: int, tmp: Path, covers: Path) -> PairResult:
    stories = generate(tmp / f"stories-{READERS_SIZE}", READERS_SIZE)
    one = readers_toml(tmp / "readers-1.toml", READERS[:1])
    ten = readers_toml(tmp / "readers-10.toml", READERS)
    commands = {
        "1 reader": ebookify_build(stories, tmp / "out-readers-1", covers, "--readers", one),
        "10 readers": ebookify_build(stories, tmp / "out-readers-10", covers, "--readers", ten),
    }
    progress(f"readers: 1 vs 10 readers at {READERS_SIZE}, {runs} runs each")
    series = interleaved(commands, runs, tmp, "readers")
    return PairResult("readers", runs, series["1 reader"], series["10 readers"])


def bench_help(tmp: Path) -> PairResult:
    commands = {
        "import typer": [sys.executable, "-c", "import typer"],
        "ebookify --help": ebookify("--help"),
    }
    progress(f"help: ebookify --help vs python -c 'import typer', {HELP_RUNS} runs each (after one warm-up)")
    for cmd in commands.values():
        run(cmd, tmp)  # warm-up: byte-code caches and the page cache
    series = interleaved(commands, HELP_RUNS, tmp, "help")
    return PairResult("help", HELP_RUNS, series["import typer"], series["ebookify --help"])


# -- the report -------------------------------------------------------------------------------


def seconds(series: Series) -> str:
    return "failed" if series.failed else f"{series.median:.3f}"


def megabytes(n: int | None) -> str:
    return "-" if n is None else f"{n / 1e6:.1f}"


def file_size(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n / 1e3:.0f} KB" if n < 1e6 else f"{n / 1e6:.1f} MB"


def ratio(base: Series, other: Series) -> float | None:
    if base.failed or other.failed or not base.samples or not other.samples:
        return None
    return other.median / base.median


def table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in pairs).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def report(sizes: list[SizeResult], pairs: list[PairResult]) -> tuple[str, bool, bool]:
    """The tables; whether every measured bar is met; whether any run failed."""
    measured: dict[str, float | None] = {}
    lines = []
    header = ["size", "files × words", "runs", "floor s", "ebookify s", "ratio", "floor MB", "ebookify MB"]
    header += ["floor out", "ebookify out"]
    rows = []
    for r in sizes:
        files, words, _ = SIZES[r.size]
        x = ratio(r.floor, r.ebookify)
        measured[f"time {r.size}"] = x
        measured[f"memory {r.size}"] = None if r.ebookify.failed else r.ebookify.peak / 1e6
        rows.append(
            [
                r.size,
                f"{files:,} × {words:,}",
                str(r.runs),
                seconds(r.floor),
                seconds(r.ebookify),
                "-" if x is None else f"{x:.2f}×",
                megabytes(r.floor.peak),
                megabytes(r.ebookify.peak),
                file_size(r.floor.out_size),
                file_size(r.ebookify.out_size),
            ]
        )
    if rows:
        lines += ["Story folders: median wall time, peak memory (max RSS), book size", ""]
        lines += [table(header, rows, right={1, 2, 3, 4, 5, 6, 7, 8, 9}), ""]
    if pairs:
        prow = []
        for p in pairs:
            x = ratio(p.base, p.other)
            measured[p.label] = x
            what = f"{READERS_SIZE} words, --readers" if p.label == "readers" else "start-up"
            prow.append(
                [
                    what,
                    str(p.runs),
                    f"{p.base.label} {seconds(p.base)}",
                    f"{p.other.label} {seconds(p.other)}",
                    "-" if x is None else f"{x:.2f}×",
                ]
            )
        lines += ["Other comparisons: median wall time in seconds", ""]
        lines += [table(["what", "runs", "base s", "compared s", "ratio"], prow, right={1, 4}), ""]
    brows, ok = [], True
    for bar in BARS:
        limit = f"≤ {bar.limit:g}{bar.unit if bar.unit == '×' else ' ' + bar.unit}"
        if bar.key not in measured:
            brows.append([bar.what, "-", limit, "not run"])
            continue
        value = measured[bar.key]
        if value is None:
            brows.append([bar.what, "-", limit, "FAILED"])
            ok = False
        else:
            shown = f"{value:.2f}×" if bar.unit == "×" else f"{value:.1f} MB"
            met = value <= bar.limit
            ok = ok and met
            brows.append([bar.what, shown, limit, "met" if met else "MISSED"])
    lines += ["Bars", "", table(["bar", "measured", "limit", "result"], brows, right={1, 2})]
    failures = [(f"{r.size} {s.label}", s) for r in sizes for s in (r.floor, r.ebookify) if s.failed]
    failures += [(f"{p.label}: {s.label}", s) for p in pairs for s in (p.base, p.other) if s.failed]
    for what, s in failures:
        sample = s.failed
        tail = "\n    ".join(sample.stderr.strip().splitlines()[-15:])
        lines += ["", f"{what} failed with exit code {sample.code}:", f"    {tail}"]
    said = [(r.size, r.said.strip()) for r in sizes if r.said.strip()]
    if said:
        lines += ["", "What ebookify printed on standard error (first run of each size):"]
        for size, text in said:
            lines += [f"  {size}:"] + [f"    {ln}" for ln in text.splitlines()[:10]]
    return "\n".join(lines), ok, bool(failures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time ebookify against the floor; see bench/README.md.")
    parser.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated, from {', '.join(SIZES)} (all)")
    parser.add_argument("--runs", type=int, help="timed runs of each command (default 5, and 3 at 5M)")
    parser.add_argument("--no-readers", action="store_true", help=f"skip the 10-readers build at {READERS_SIZE}")
    parser.add_argument("--no-help", action="store_true", help="skip ebookify --help vs import typer")
    parser.add_argument("--check", action="store_true", help="exit 1 if any bar is missed")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be 1 or more")

    try:
        version = metadata.version("ebookify")
    except metadata.PackageNotFoundError:
        print("run.py: ebookify is not installed in this Python; pip install -e . first", file=sys.stderr)
        return 2
    print(
        f"ebookify {version} benchmark: Python {platform.python_version()}, {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d %H:%M')}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="ebookify-bench-") as name:
        tmp = Path(name)
        covers = tmp / "covers"
        covers.mkdir()
        results = [bench_size(s, args.runs or SIZES[s][2], tmp, covers) for s in sizes]
        pairs = []
        if not args.no_readers:
            pairs.append(bench_readers(args.runs or SIZES[READERS_SIZE][2], tmp, covers))
        if not args.no_help:
            pairs.append(bench_help(tmp))
    text, met, failed = report(results, pairs)
    print()
    print(text)
    if failed:  # nothing was measured there: never a pass
        print("\nrun.py: a timed command failed (see above)", file=sys.stderr)
        return 1
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
