"""The benchmark runner: how much slower and bigger than the floor is ebookify?

    python bench/run.py                        # everything, printed as tables (takes a while at 5M)
    python bench/run.py --sizes 60k,1M --runs 3
    python bench/run.py --corpus reference     # the reference corpus, when shared/bench is beside the project
    python bench/run.py --check                # also exit 1 if any bar below is missed

See bench/README.md for what each number means. Needs a Unix (os.wait4) and ebookify installed
in this Python (`pip install -e .`). When a folder `shared/bench` stands beside the project's
folder (the reference floor, bench/README.md), its floor is timed too, as one more column.
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
    Bar("memory 5M", "5M words: ebookify peak memory", 150.0, "MB"),
    Bar("memory big", "one 50 MB story file: ebookify peak memory", 300.0, "MB"),
    Bar("readers", "1M words: 10 readers / 1 reader time", 3.0, "×"),
    Bar("help", "ebookify --help / python -c 'import typer'", 1.3, "×"),
)

# name: (files, words per file, default runs, the reference corpus's name for the same size)
SIZES = {
    "2k": (2, 1_000, 5, "tiny"),
    "60k": (20, 3_000, 5, "small"),
    "1M": (200, 5_000, 5, "medium"),
    "5M": (1_000, 5_000, 3, "large"),
}
READERS_SIZE = "1M"
READER_COUNTS = (1, 10, 50)  # the 10-reader bar is 10 against 1
BIG_WORDS = 9_000_000  # one story file of about 50 MB
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
# 50 readers: those ten, then forty more named after them ("Sam 2" …), each a book of their own.
MANY_READERS = READERS + tuple((f"{n} {i}", ln, ec) for i in range(2, 6) for n, ln, ec in READERS)

HERE = Path(__file__).resolve().parent
GENERATE = HERE / "generate.py"
FLOOR = HERE / "floor.py"
# The reference floor and corpus generator (bench/README.md, "The reference floor"), when they are beside the
# project: found from here, never required.
REFERENCE = HERE.parent.parent / "shared" / "bench"


@dataclass(frozen=True)
class Corpus:
    """Where the story folders come from, and the reference floor to time, if there is one."""

    generator: Path | None  # the reference corpus's gen_corpus.py; None for generate.py
    reference_floor: Path | None

    @property
    def name(self) -> str:
        return "project" if self.generator is None else "reference"


# Byte-code caches as an installed program has them (a developer's shell may turn them off).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


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
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=CHILD_ENV)
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
    machine's speed hits all of them alike, after one untimed run of each (byte-code and page
    caches). Each round starts one command further on (a b c, b c a, c a b, ...): in a fixed
    order one command always runs just after the same other one (the reference floor after
    ebookify, whose freed memory and written book the system is still dealing with). Stops
    early if one fails."""
    series = {label: Series(label) for label in commands}
    for cmd in commands.values():
        run(cmd, cwd)
    for i in range(1, runs + 1):
        times = []
        for label, cmd in taking_turns(commands, i - 1):
            sample = run(cmd, cwd)
            series[label].samples.append(sample)
            times.append(f"{label} {sample.wall:.2f} s")
            if sample.code != 0:
                progress(f"  {what} run {i}/{runs}: {label} FAILED (exit {sample.code})")
                return series
        progress(f"  {what} run {i}/{runs}: " + ", ".join(times))
    return series


def taking_turns(commands: dict[str, list[str]], round_index: int) -> list[tuple[str, list[str]]]:
    """The commands in the order of round `round_index` (from 0): each round starts one further on."""
    order = list(commands.items())
    start = round_index % len(order) if order else 0
    return order[start:] + order[:start]


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def generate(folder: Path, size: str, corpus: Corpus) -> Path:
    files, words, _, reference_size = SIZES[size]
    if not folder.exists():
        progress(f"generating {size} ({corpus.name} corpus): {files} files × {words:,} words")
        if corpus.generator is not None:
            cmd = [sys.executable, str(corpus.generator), "--size", reference_size, "--out", str(folder)]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        else:
            cmd = [sys.executable, str(GENERATE), str(folder), "--files", str(files), "--words-per-file", str(words)]
            subprocess.run([*cmd, "--seed", str(SEED)], check=True, stderr=subprocess.DEVNULL)
    return folder


def big_story(folder: Path) -> Path:
    """One story file of about 50 MB (generate.py's text, one file)."""
    if not folder.exists():
        progress(f"generating one story file of {BIG_WORDS:,} words")
        cmd = [sys.executable, str(GENERATE), str(folder), "--files", "1", "--words-per-file", str(BIG_WORDS)]
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
    reference: Series | None  # the reference floor, when its folder is there
    said: str  # what ebookify printed on stderr in its first run


@dataclass
class PairResult:
    label: str
    runs: int
    base: Series
    other: Series


@dataclass
class ReadersResult:
    runs: int
    series: dict[int, Series]  # readers -> their build


def bench_size(size: str, runs: int, tmp: Path, covers: Path, corpus: Corpus) -> SizeResult:
    stories = generate(tmp / f"stories-{corpus.name}-{size}", size, corpus)
    out = tmp / f"out-{size}"
    commands = {
        "floor": [sys.executable, str(FLOOR), str(stories), str(out / "floor.epub"), "--name", NAME],
        "ebookify": ebookify_build(stories, out / "ebookify", covers, "--name", NAME),
    }
    if corpus.reference_floor is not None:
        floor = str(corpus.reference_floor)
        commands["reference"] = [sys.executable, floor, str(stories), str(out / "reference.epub"), NAME]
    progress(f"{size}: {' vs '.join(commands)}, {runs} runs each")
    series = interleaved(commands, runs, tmp, size)
    for s in series.values():
        s.out_size = written_size(s)
    reference = series.get("reference")
    if reference is not None:
        reference.out_size = (out / "reference.epub").stat().st_size if (out / "reference.epub").exists() else None
    said = series["ebookify"].samples[0].stderr if series["ebookify"].samples else ""
    return SizeResult(size, runs, series["floor"], series["ebookify"], reference, said)


def bench_readers(runs: int, tmp: Path, covers: Path, corpus: Corpus) -> ReadersResult:
    stories = generate(tmp / f"stories-{corpus.name}-{READERS_SIZE}", READERS_SIZE, corpus)
    commands = {}
    for n in READER_COUNTS:
        toml = readers_toml(tmp / f"readers-{n}.toml", MANY_READERS[:n])
        commands[f"{n} readers"] = ebookify_build(stories, tmp / f"out-readers-{n}", covers, "--readers", toml)
    progress(f"readers: {', '.join(map(str, READER_COUNTS))} readers at {READERS_SIZE}, {runs} runs each")
    series = interleaved(commands, runs, tmp, "readers")
    return ReadersResult(runs, {n: series[f"{n} readers"] for n in READER_COUNTS})


def bench_big(tmp: Path, covers: Path) -> Series:
    """One 50 MB story file, built once: its peak memory (and time)."""
    stories = big_story(tmp / "stories-big")
    progress(f"big: one story file of {BIG_WORDS:,} words, 1 run")
    cmd = ebookify_build(stories, tmp / "out-big", covers, "--name", NAME)
    series = Series("big")
    series.samples.append(run(cmd, tmp))
    series.out_size = sum(p.stat().st_size for p in (tmp / "out-big").glob("*.epub"))
    return series


def bench_help(tmp: Path) -> PairResult:
    commands = {
        "import typer": [sys.executable, "-c", "import typer"],
        "ebookify --help": ebookify("--help"),
    }
    progress(f"help: ebookify --help vs python -c 'import typer', {HELP_RUNS} runs each (after one warm-up)")
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


@dataclass
class Results:
    sizes: list[SizeResult]
    readers: ReadersResult | None = None
    big: Series | None = None
    help: PairResult | None = None


def ratio_cell(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}×"


def size_table(sizes: list[SizeResult], measured: dict[str, float | None]) -> list[str]:
    reference = any(r.reference is not None for r in sizes)
    header = ["size", "files × words", "runs", "floor s", "ebookify s", "ratio"]
    header += ["reference s", "ratio to ref", "floor/ref"] if reference else []
    header += ["floor MB", "ebookify MB", "floor out", "ebookify out"]
    rows = []
    for r in sizes:
        files, words, _, _ = SIZES[r.size]
        x = ratio(r.floor, r.ebookify)
        measured[f"time {r.size}"] = x
        measured[f"memory {r.size}"] = None if r.ebookify.failed else r.ebookify.peak / 1e6
        row = [r.size, f"{files:,} × {words:,}", str(r.runs), seconds(r.floor), seconds(r.ebookify), ratio_cell(x)]
        if reference:
            ref = r.reference
            row += ["-", "-", "-"] if ref is None else [seconds(ref)]
            if ref is not None:
                row += [ratio_cell(ratio(ref, r.ebookify)), ratio_cell(ratio(ref, r.floor))]
        row += [megabytes(r.floor.peak), megabytes(r.ebookify.peak)]
        rows.append([*row, file_size(r.floor.out_size), file_size(r.ebookify.out_size)])
    if not rows:
        return []
    lines = ["Story folders: median wall time, peak memory (max RSS), book size", ""]
    return [*lines, table(header, rows, right=set(range(1, len(header)))), ""]


def readers_table(result: ReadersResult, measured: dict[str, float | None]) -> list[str]:
    one = result.series[READER_COUNTS[0]]
    rows = []
    for n, series in result.series.items():
        x = ratio(one, series)
        if n == 10:
            measured["readers"] = x
        rows.append([f"{n}", str(result.runs), seconds(series), ratio_cell(x), megabytes(series.peak)])
    lines = [f"Readers at {READERS_SIZE} words (--readers, a book each): median wall time, peak memory", ""]
    return [*lines, table(["readers", "runs", "s", "to 1 reader", "peak MB"], rows, right={0, 1, 2, 3, 4}), ""]


def other_table(results: Results, measured: dict[str, float | None]) -> list[str]:
    rows = []
    if results.big is not None:
        big = results.big
        measured["memory big"] = None if big.failed else big.peak / 1e6
        rows.append(["one 50 MB story file", "1", seconds(big), "-", megabytes(big.peak)])
    if results.help is not None:
        h = results.help
        x = ratio(h.base, h.other)
        measured["help"] = x
        rows.append(["ebookify --help", str(h.runs), seconds(h.other), f"{ratio_cell(x)} import typer", "-"])
    if not rows:
        return []
    lines = ["Other comparisons: median wall time, peak memory", ""]
    return [*lines, table(["what", "runs", "s", "ratio", "peak MB"], rows, right={1, 2, 4}), ""]


def bar_table(measured: dict[str, float | None]) -> tuple[list[str], bool]:
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
    return ["Bars", "", table(["bar", "measured", "limit", "result"], brows, right={1, 2})], ok


def all_series(results: Results) -> list[tuple[str, Series]]:
    found = [(f"{r.size} {s.label}", s) for r in results.sizes for s in (r.floor, r.ebookify, r.reference) if s]
    if results.readers:
        found += [(f"readers: {s.label}", s) for s in results.readers.series.values()]
    if results.big:
        found.append(("one 50 MB story file", results.big))
    if results.help:
        found += [(f"help: {s.label}", s) for s in (results.help.base, results.help.other)]
    return found


def report(results: Results) -> tuple[str, bool, bool]:
    """The tables; whether every measured bar is met; whether any run failed."""
    measured: dict[str, float | None] = {}
    lines = size_table(results.sizes, measured)
    if results.readers:
        lines += readers_table(results.readers, measured)
    lines += other_table(results, measured)
    bars, ok = bar_table(measured)
    lines += bars
    failures = [(what, sample) for what, s in all_series(results) if (sample := s.failed) is not None]
    for what, sample in failures:
        tail = "\n    ".join(sample.stderr.strip().splitlines()[-15:])
        lines += ["", f"{what} failed with exit code {sample.code}:", f"    {tail}"]
    said = [(r.size, r.said.strip()) for r in results.sizes if r.said.strip()]
    if said:
        lines += ["", "What ebookify printed on standard error (first run of each size):"]
        for size, text in said:
            lines += [f"  {size}:"] + [f"    {ln}" for ln in text.splitlines()[:10]]
    return "\n".join(lines), ok, bool(failures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time ebookify against the floor; see bench/README.md.")
    parser.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated, from {', '.join(SIZES)} (all)")
    parser.add_argument("--runs", type=int, help="timed runs of each command (default 5, and 3 at 5M)")
    parser.add_argument(
        "--corpus",
        choices=("project", "reference"),
        default="project",
        help="the stories: bench/generate.py's, or the reference corpus (gen_corpus.py in --reference)",
    )
    parser.add_argument(
        "--reference",
        type=Path,
        default=REFERENCE,
        metavar="DIR",
        help="the reference floor's folder (floor.py, gen_corpus.py); default: shared/bench beside the project",
    )
    parser.add_argument("--no-readers", action="store_true", help=f"skip the 1/10/50-reader builds at {READERS_SIZE}")
    parser.add_argument("--no-big", action="store_true", help="skip the one 50 MB story file")
    parser.add_argument("--no-help", action="store_true", help="skip ebookify --help vs import typer")
    parser.add_argument("--check", action="store_true", help="exit 1 if any bar is missed")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be 1 or more")
    generator, reference_floor = args.reference / "gen_corpus.py", args.reference / "floor.py"
    if args.corpus == "reference" and not generator.is_file():
        parser.error(f"--corpus reference: no {generator}")
    corpus = Corpus(
        generator if args.corpus == "reference" else None, reference_floor if reference_floor.is_file() else None
    )

    try:
        version = metadata.version("ebookify")
    except metadata.PackageNotFoundError:
        print("run.py: ebookify is not installed in this Python; pip install -e . first", file=sys.stderr)
        return 2
    print(
        f"ebookify {version} benchmark: Python {platform.python_version()}, {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
        f"{corpus.name} corpus, reference floor {'timed' if corpus.reference_floor else 'not found'}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="ebookify-bench-") as name:
        tmp = Path(name)
        covers = tmp / "covers"
        covers.mkdir()
        results = Results([bench_size(s, args.runs or SIZES[s][2], tmp, covers, corpus) for s in sizes])
        if not args.no_readers:
            results.readers = bench_readers(args.runs or SIZES[READERS_SIZE][2], tmp, covers, corpus)
        if not args.no_big:
            results.big = bench_big(tmp, covers)
        if not args.no_help:
            results.help = bench_help(tmp)
    text, met, failed = report(results)
    print()
    print(text)
    if failed:  # nothing was measured there: never a pass
        print("\nrun.py: a timed command failed (see above)", file=sys.stderr)
        return 1
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
