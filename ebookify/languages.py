"""Languages and scripts: AO3's language names as BCP 47 tags, and words counted as AO3 counts them."""

from __future__ import annotations

import re
from functools import cache

DEFAULT_LANGUAGE = "en"

# AO3 names each language in itself (its Language field and filters); the tags are plain
# language[-REGION] codes, the only form Send-to-Kindle accepts.
_AO3_LANGUAGES = {
    "afrikaans": "af",
    "bahasa indonesia": "id",
    "bahasa malaysia": "ms",
    "basa jawa": "jv",
    "bosanski": "bs",
    "català": "ca",
    "cymraeg": "cy",
    "dansk": "da",
    "deutsch": "de",
    "eald englisċ": "ang",
    "eesti keel": "et",
    "english": "en",
    "español": "es",
    "esperanto": "eo",
    "euskara": "eu",
    "filipino": "fil",
    "français": "fr",
    "frysk": "fy",
    "furlan": "fur",
    "føroyskt": "fo",
    "gaeilge": "ga",
    "galego": "gl",
    "gàidhlig": "gd",
    "hausa": "ha",
    "hrvatski": "hr",
    "interlingua": "ia",
    "italiano": "it",
    "kiswahili": "sw",
    "kurdî": "ku",
    "latviešu valoda": "lv",
    "lietuvių kalba": "lt",
    "lingua latina": "la",
    "lëtzebuergesch": "lb",
    "lojban": "jbo",
    "magyar": "hu",
    "malti": "mt",
    "nederlands": "nl",
    "norsk": "no",
    "plattdüütsch": "nds",
    "polski": "pl",
    "português": "pt",
    "português brasileiro": "pt-BR",
    "português europeu": "pt-PT",
    "quenya": "qya",
    "română": "ro",
    "scots": "sco",
    "shqip": "sq",
    "sindarin": "sjn",
    "slovenčina": "sk",
    "slovenščina": "sl",
    "suomi": "fi",
    "svenska": "sv",
    "tiếng việt": "vi",
    "tlhingan-hol": "tlh",
    "toki pona": "tok",
    "türkçe": "tr",
    "volapük": "vo",
    "íslenska": "is",
    "čeština": "cs",
    "ελληνικά": "el",
    "беларуская": "be",
    "български": "bg",
    "македонски": "mk",
    "монгол": "mn",
    "русский": "ru",
    "српски": "sr",
    "українська": "uk",
    "қазақша": "kk",
    "հայերեն": "hy",
    "עברית": "he",
    "العربية": "ar",
    "اردو": "ur",
    "فارسی": "fa",
    "हिन्दी": "hi",
    "বাংলা": "bn",
    "தமிழ்": "ta",
    "ไทย": "th",
    "ქართული": "ka",
    "한국어": "ko",
    "日本語": "ja",
    "中文-普通话 國語": "zh",
    "中文-广东话 粵語": "yue",
    "中文-闽南话 臺語": "nan",
    "中文-客家话": "hak",
    "中文-吴语": "wuu",
    "中文": "zh",
    # English names, as some older downloads and other tools write them.
    "chinese": "zh",
    "french": "fr",
    "german": "de",
    "italian": "it",
    "japanese": "ja",
    "korean": "ko",
    "portuguese": "pt",
    "russian": "ru",
    "spanish": "es",
}


def language_tag(name: str | None) -> str | None:
    """AO3's "Español" -> "es", "中文-普通话 國語" -> "zh"; None for a name not in AO3's list."""
    if not name:
        return None
    return _AO3_LANGUAGES.get(" ".join(name.split()).casefold())


# The scripts AO3 counts a word per character (otwarchive's WordCounter: Han, Hiragana, Katakana,
# Thai); Hangul, written with spaces, is counted by words. Ranges by Unicode block.
_HAN = "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_KANA = "\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fd-\u30ff\u31f0-\u31ff\uff66-\uff6f\uff71-\uff9d"
_THAI = "\u0e01-\u0e3a\u0e40-\u0e5b"
_PER_CHARACTER = _HAN + _KANA + _THAI
# Combining marks are part of their word (Python's \w leaves them out), as in Devanagari or Arabic.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0963\u0966-\u0dff"
)
# Compiling these long classes costs tens of milliseconds a start: a build compiles them only when
# a text holds a character that may be in them (any past Thai's first, which a coarse class finds
# as fast). Said as the characters it is not: that compiles in a third of the time, and searches faster.
MAYBE_PER_CHARACTER = re.compile("[^\x00-\u0e00\u0e5c-\u2e7f\U00031350-\U0010ffff]")


@cache
def _per_character_re() -> re.Pattern[str]:
    return re.compile(f"[{_PER_CHARACTER}]")


@cache
def _word_re() -> re.Pattern[str]:
    return re.compile(rf"[{_PER_CHARACTER}]|(?:(?![{_PER_CHARACTER}])[\w{_MARKS}])+")


_JOINERS = re.compile("['’‘-]")  # "one-word" and "one's" are one word each


def count_words(text: str) -> int:
    """Words separated by spaces, and in scripts written without them (Chinese, Japanese, Thai)
    each character a word, as AO3 counts them: "你好，world" is three words."""
    if text.isascii() or not MAYBE_PER_CHARACTER.search(text) or not _per_character_re().search(text):
        return len(text.split())
    per_character, word = _per_character_re(), _word_re()
    return sum(
        len(word.findall(_JOINERS.sub("", token))) if per_character.search(token) else 1 for token in text.split()
    )


@cache
def _han_or_hangul() -> re.Pattern[str]:
    return re.compile(f"([{_HAN}\uac00-\ud7af])")


def transliterated(text: str) -> str:
    """Latin letters for any script ("谵言隐语" -> "Zhan Yan Yin Yu", "Zoë" -> "Zoe"), for file names.
    Han and Hangul syllables are spaced, as anyascii runs them together."""
    from anyascii import anyascii

    han_or_hangul = _han_or_hangul()
    return "".join(f" {anyascii(p)} " if han_or_hangul.fullmatch(p) else anyascii(p) for p in han_or_hangul.split(text))
