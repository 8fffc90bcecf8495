"""The names books are written under: readable ASCII from any title or name, never two readers
in one file, never two collections in one file by accident."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .collect import DEFAULT_TITLE
from .errors import OptionError
from .metadata import work_keys
from .model import Collection, Reader

if TYPE_CHECKING:
    from .build import BuildOptions


def slug(text: str) -> str:
    """'Saltmarsh Imagines!' -> 'saltmarsh-imagines', '谵言隐语' -> 'zhan-yan-yin-yu': ASCII, for file
    names and matching; any script is transliterated (anyascii), so a title is never unreadable."""
    from .languages import transliterated

    return re.sub(r"[^a-z0-9]+", "-", transliterated(text).lower()).strip("-")


def output_paths(options: BuildOptions, title: str, readers: list[Reader], suffix: str = "") -> list[Path]:
    """dist/<collection>-for-<reader>.epub, or dist/<collection>.epub for the neutral edition;
    two readers never share a file, whatever their names (reader_stems)."""
    out_dir = options.out_dir
    if options.output is not None:
        if not os.path.isdir(options.output):  # never raises: an unreadable path is a file to write
            if len(readers) > 1:
                raise OptionError("output", "names one file, but there are several readers", see="out_dir")
            return [options.output]
        out_dir = options.output  # `-o ~/Books`, a folder: the usual names, in that folder
    stem = (_shortened(slug(title), 80) or "stories") + suffix
    names = [f"{stem}-for-{s}" if s is not None else stem for s in reader_stems([r.name for r in readers])]
    return [out_dir / f"{name}.epub" for name in names]


def reader_stems(names: Sequence[str | None]) -> list[str | None]:
    """Each reader's part of a file name, distinct by construction: a name's slug when it is the
    only one with that slug, else (for "Sam" after "sam") the slug and a hash of the name, made
    longer, or counted, until no other reader's slug or stem is the same ("Sam-e96e02" is one)."""
    slugs = [_reader_slug(name) if name is not None else None for name in names]
    taken: set[str | None] = set(slugs)
    seen: set[str] = set()
    stems: list[str | None] = []
    for name, stem in zip(names, slugs, strict=True):
        if stem is not None and stem in seen:
            digest = hashlib.sha256((name or "").encode()).hexdigest()
            candidates = (f"{stem}-{digest[:n]}" for n in range(6, len(digest) + 1, 2))
            stem = next((c for c in candidates if c not in taken), None) or _counted(stem, taken)
            taken.add(stem)
        elif stem is not None:
            seen.add(stem)
        stems.append(stem)
    return stems


def _counted(stem: str, taken: set[str | None]) -> str:
    number = 2
    while f"{stem}-{number}" in taken:
        number += 1
    return f"{stem}-{number}"


def distinct_suffix(collection: Collection, options: BuildOptions) -> str:
    """A collection with no title of its own ("Collected Stories") is named by its works too, so
    that two different folders never write the same file."""
    if options.title is not None or collection.title != DEFAULT_TITLE:
        return ""
    return "-" + hashlib.sha256("\n".join(work_keys(collection)).encode()).hexdigest()[:8]


def _reader_slug(name: str) -> str:
    """ASCII for any name ("李" -> "li"); one with nothing to transliterate is named by its hash."""
    return _shortened(slug(name), 40) or "reader-" + hashlib.sha256(name.encode()).hexdigest()[:6]


def _shortened(stem: str, limit: int) -> str:
    """At most `limit` characters, cut at a word: file systems refuse names over 255 bytes."""
    if len(stem) <= limit:
        return stem
    cut = stem[:limit]
    return (cut.rsplit("-", 1)[0] if "-" in cut else cut).strip("-")


def kepub_path(path: Path) -> Path:
    """dist/x.epub -> dist/x.kepub.epub: Kobo devices know their own format by that name."""
    return path.with_name(path.name.removesuffix(".epub") + ".kepub.epub")
