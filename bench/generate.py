"""Generate a folder of synthetic Wattpad story exports for benchmarking (docs/format.md describes the format).

    python bench/generate.py OUT_DIR --files N --words-per-file W [--seed S]

Every file is one Wattpad part, exactly as copied from a reading page:

    Who x Reader - Title (part i/n)      <- "(part i/n)" only for multi-part stories
                                         <- blank
    14.2K 803 57                         <- stats: reads, votes, comments, Wattpad-abbreviated
                                         <- blank
    Synopsis: ...                        <- sometimes (first parts and one-shots)
                                         <- blank
    A/N: ...                             <- sometimes, at the top or the end
    one paragraph per line, straight quotes, "...", " - " dashes, apostrophes
                                         <- a blank line inside the body is a scene break
    ...
                                         <- blank
    Book TitleWhere stories live. Discover now   <- no newline after it

The body of every file (its story paragraphs, not the synopsis or notes) has exactly W words,
counting whitespace-separated tokens but not a lone " - " dash. Placeholders come about once per
300 words: Y/N, (Y/N), y/n, Y/N's, [L/N], {E/C}.

Only the standard library, and one seeded random.Random: the same arguments give byte-identical
files, on any platform and Python 3.11+.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

FOOTER = "Where stories live. Discover now"


def _words(text: str) -> tuple[str, ...]:
    """A word list written as one string, for reading: 'a b c' -> ('a', 'b', 'c')."""
    return tuple(text.split())


# A fixed, English-like vocabulary: common words, weighted by repetition, with apostrophes.
WORDS = _words(
    "the the the the the a a a and and and to to to of of of in in it it was was "
    "you you you your your he he she she they her him his their we I I I me my "
    "that that this with on at for as but not so just like all out up down back over "
    "had have has would could should been were is are be did do said asked told "
    "looked turned walked stood sat laughed smiled whispered shrugged waited reached pulled "
    "held kept found felt thought knew wanted needed tried watched heard saw took gave made "
    "door window light water sea harbour street room table chair hand hands face eyes hair "
    "voice breath night morning evening rain wind fog tide boat rope glass lamp stairs wall "
    "cup tea soup bread letter phone key coat shoes bag book page map note clock bell "
    "little long old new small quiet cold warm soft dark bright slow careful strange "
    "almost only still again never always maybe really very too even there here then now "
    "when while before after until because if though across through toward around beside "
    "something nothing everything someone nobody anyone "
    "don't didn't couldn't wouldn't can't won't wasn't isn't it's I'm you're you'd "
    "she'd he'd they're we're that's there's what's I'd I've you've let's o'clock "
    "'cause 'em"
)
OPENERS = ("Oh", "Well", "Wait", "Okay", "No", "Yes", "Look", "Hey", "Honestly", "Listen", "Sorry", "Right")
SPEECH_VERBS = ("said", "asked", "whispered", "muttered", "called", "replied", "laughed", "sighed")
FIRST_NAMES = _words(
    "Ansel Mara Idris Juniper Bastian Marisol Teo Priya Rowan Ezra Silas Hazel Cass Niamh Felix "
    "Otto Wren Lior Maeve Jonah Ines Caspian Freya Dario Nell Kit Ronan Elodie Tobias Saoirse"
)
LAST_NAMES = _words(
    "Quade Voss Fenwick Oakes Okafor Penhallow Marsh Hale Trevelyan Moreau Castellan Byrne Ashdown "
    "Rook Sable Winter Lark Calloway Pryce Devereux Hollis Kestrel Varga Lindqvist Amari Roche"
)
TITLE_ADJECTIVES = _words(
    "Last Quiet Salt Silver Borrowed Lost Secret Long Second Small Golden Hollow Midnight Paper "
    "Winter Summer Broken Honest Slow Little Burning Drowned Northern Painted Wild"
)
TITLE_NOUNS = _words(
    "Ferry Lighthouse Harbour Tide Letter Lantern Promise Storm Garden Key Shore Window Bell Map "
    "Orchard Season Compass Anchor Song Bridge Kite Crossing Ribbon Meadow Pier Signal"
)
TITLE_FORMS = (
    "The {adj} {noun}",
    "{adj} {noun}",
    "What the {noun} Knows",
    "Closing Time at the {noun}",
    "After the {noun}",
    "A {noun} for Y/N",
    "The {noun} and the {noun2}",
)
BOOKS = (
    "Saltmarsh Imagines",
    "Harbour Lights One Shots",
    "Tidewater Requests",
    "Lanterns and Other Stories",
    "Fog Town Imagines",
    "Slow Burn Collection",
    "The Breakwater Diaries",
    "Low Tide Requests",
)
# (text, weight): the variants readers meet, Y/N by far the most common.
PLACEHOLDERS = (("Y/N", 8), ("(Y/N)", 3), ("y/n", 3), ("Y/N's", 3), ("[L/N]", 2), ("{E/C}", 2))
EXPLAINING_NOTE = "A/N: Y/N = your name, L/N = last name, E/C = eye colour. enjoy!!"
NOTE_LINES = (
    "A/N: hi lovelies!! thank you so much for {n}K reads, i screamed. requests are open x",
    "A/N - sorry this took so long... school has been a lot. let me know what you think!",
    "A/N: this one is for the anon who asked for more {who}. i hope it's okay?",
    "A/N: part {next} is already written, i just have to fix it up. thank you for reading <3",
)


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.until_placeholder = self._placeholder_gap()
        self._ph_texts = [text for text, _ in PLACEHOLDERS]
        self._ph_weights = [weight for _, weight in PLACEHOLDERS]

    # -- words and sentences ---------------------------------------------------------------

    def _placeholder_gap(self) -> int:
        return self.rng.randint(200, 400)  # about one per 300 words

    def word(self) -> str:
        self.until_placeholder -= 1
        if self.until_placeholder <= 0:
            self.until_placeholder = self._placeholder_gap()
            return self.rng.choices(self._ph_texts, self._ph_weights)[0]
        return self.rng.choice(WORDS)

    def sentence(self, n: int, end: str = ".") -> str:
        """Exactly n words, capitalised, sometimes with a spaced dash or a trailing ellipsis."""
        words = [self.word() for _ in range(n)]
        words[0] = words[0][:1].upper() + words[0][1:]
        if n >= 6 and self.rng.random() < 0.15:
            cut = self.rng.randint(2, n - 2)
            words[cut] = "- " + words[cut]
        if n >= 5 and self.rng.random() < 0.08:
            cut = self.rng.randint(2, n - 2)
            words[cut - 1] += "..."
        return " ".join(words) + end

    def sentences(self, n: int, final: str | None = None) -> str:
        """n words as sentences of 4 to 16 words; `final` ends the last one."""
        out = []
        while n > 0:
            size = min(n, self.rng.randint(4, 16))
            if 0 < n - size < 3:  # no one- or two-word scraps at the end
                size = n
            n -= size
            end = final if n == 0 and final else self.rng.choice(".........?!") if size > 1 else "."
            if end == "." and self.rng.random() < 0.05:
                end = "..."
            out.append(self.sentence(size, end))
        return " ".join(out)

    # -- paragraphs ------------------------------------------------------------------------

    def paragraph(self, n: int, who: str) -> str:
        """One paragraph of exactly n words: narration, dialogue or a stammer."""
        kind = self.rng.random()
        if n >= 6 and kind < 0.35:
            return self.dialogue(n, who)
        if 10 <= n <= 20 and kind < 0.40:
            # A stammer and a cut-off word, 6 words around the n - 6 spoken: "I - I ..." / "B- Bastian."
            first = who.split()[0]
            spoken = " ".join(self.word() for _ in range(n - 6))
            return f'"I - I {spoken}..." you said. "{first[0]}- {first}."'
        return self.sentences(n)

    def dialogue(self, n: int, who: str) -> str:
        speaker = self.rng.choice(("he", "she", "they", "you", who.split()[0]))
        verb = self.rng.choice(SPEECH_VERBS)
        opener = self.rng.random() < 0.3
        # Words: [opener] + spoken + speaker verb [+ rest]
        fixed = 2 + (1 if opener else 0)
        spoken = n - fixed
        if spoken >= 8 and self.rng.random() < 0.5:
            first = self.rng.randint(3, spoken - 3)
            second = spoken - first
            head = self.sentences(first, final=",")
            tail = self.sentences(second, final=self.rng.choice(".?!"))
            text = f'"{head}" {speaker} {verb}. "{tail}"'
        else:
            body = self.sentences(spoken, final=self.rng.choice((",", ",", "?", "!")))
            text = f'"{body}" {speaker} {verb}.'
        if opener:  # '"Wait... The door," she said.'
            text = f'"{self.rng.choice(OPENERS)}... ' + text[1:]
        return text

    # -- files -----------------------------------------------------------------------------

    def stats(self) -> str:
        reads = int(10 ** self.rng.uniform(2.3, 6.3))
        votes = max(1, int(reads * self.rng.uniform(0.02, 0.09)))
        comments = max(0, int(votes * self.rng.uniform(0.03, 0.15)))
        return " ".join(abbreviate(n) for n in (reads, votes, comments))

    def story_heads(self, files: int) -> list[tuple[str, str, int, int, str, str]]:
        """(who, title, part, total, book, slug) for each file, stories kept together."""
        books = BOOKS[: max(1, min(len(BOOKS), files // 100))]
        heads: list[tuple[str, str, int, int, str, str]] = []
        used: set[tuple[str, str]] = set()
        while len(heads) < files:
            left = files - len(heads)
            total = self.rng.choice((2, 2, 3, 3, 4, 5)) if self.rng.random() < 0.45 else 1
            total = min(total, left)
            while True:
                who = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
                if self.rng.random() < 0.8:
                    who += " x Reader"
                adj, noun, noun2 = (
                    self.rng.choice(TITLE_ADJECTIVES),
                    self.rng.choice(TITLE_NOUNS),
                    self.rng.choice(TITLE_NOUNS),
                )
                title = self.rng.choice(TITLE_FORMS).format(adj=adj, noun=noun, noun2=noun2)
                if (who, title) not in used:
                    used.add((who, title))
                    break
            book = books[len(heads) * len(books) // files]
            slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
            heads += [(who, title, part, total, book, slug) for part in range(1, total + 1)]
        return heads

    def story_file(self, who: str, title: str, part: int, total: int, book: str, words: int) -> str:
        lines = [f"{who} - {title} (part {part}/{total})" if total > 1 else f"{who} - {title}", "", self.stats(), ""]
        if part == 1 and self.rng.random() < 0.7:
            synopsis = self.sentences(self.rng.randint(12, 30))
            lines += [f"Synopsis: {synopsis}", ""]
        name = who.removesuffix(" x Reader")
        note_at_top = self.rng.random() < 0.2
        if note_at_top:
            if part == 1 and self.rng.random() < 0.25:
                lines.append(EXPLAINING_NOTE)
            else:
                lines.append(self.note(name, part, total))
        # The body: paragraphs of 8 to 80 words (dialogue shorter), a scene break now and then.
        left = words
        since_break = 0
        while left > 0:
            size = self.rng.randint(4, 24) if self.rng.random() < 0.4 else self.rng.randint(20, 80)
            size = min(size, left)
            if 0 < left - size < 4:
                size = left
            if since_break >= 12 and left - size > 100 and self.rng.random() < 0.06:
                lines.append("")
                since_break = 0
            lines.append(self.paragraph(size, name))
            since_break += 1
            left -= size
        if not note_at_top and self.rng.random() < 0.15:
            lines.append(self.note(name, part, total))
        lines += ["", book + FOOTER]
        return "\n".join(lines)  # Wattpad's copy has no newline after the footer

    def note(self, name: str, part: int, total: int) -> str:
        form = self.rng.choice(NOTE_LINES if part < total else NOTE_LINES[:3])
        return form.format(n=self.rng.randint(1, 90), who=name.split()[0], next=part + 1)


def abbreviate(n: int) -> str:
    """Wattpad's counts: 980, 6.9K, 14.2K, 1.4M (one decimal, dropped when it is .0)."""
    for unit, size in (("M", 1_000_000), ("K", 1_000)):
        if n >= size:
            text = f"{n / size:.1f}".removesuffix(".0")
            return text + unit
    return str(n)


def body_words(text: str) -> int:
    """The words of a generated file's story paragraphs, as this generator counts them."""
    lines = text.split("\n")[4:-2]
    paragraphs = [ln for ln in lines if ln and not ln.startswith(("Synopsis:", "A/N"))]
    return sum(sum(1 for token in p.split() if token != "-") for p in paragraphs)


def generate(out_dir: Path, files: int, words_per_file: int, seed: int = 0) -> list[Path]:
    if files < 1 or words_per_file < 20:
        raise ValueError("need at least 1 file of at least 20 words")
    out_dir.mkdir(parents=True, exist_ok=True)
    if any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty; generate into a new folder")
    gen = Generator(seed)
    width = max(3, len(str(files)))
    paths = []
    for index, (who, title, part, total, book, slug) in enumerate(gen.story_heads(files), start=1):
        text = gen.story_file(who, title, part, total, book, words_per_file)
        suffix = f"-part{part}" if total > 1 else ""
        path = out_dir / f"{index:0{width}d}-{slug}{suffix}.txt"
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate synthetic Wattpad story exports for benchmarks.")
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="a new (or empty) folder to write into")
    parser.add_argument("--files", type=int, required=True, metavar="N", help="how many story files (parts)")
    parser.add_argument("--words-per-file", type=int, required=True, metavar="W", help="story words in each file")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    args = parser.parse_args(argv)
    try:
        paths = generate(args.out_dir, args.files, args.words_per_file, args.seed)
    except (ValueError, FileExistsError) as exc:
        print(f"generate.py: error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(paths)} files, {len(paths) * args.words_per_file:,} words in {args.out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
