"""Features of each token for the CRF labeller: what the word is, what it looks like, where it
sits, and cues from the whole reference (AnyStyle's and GROBID's feature families).

A token's own features depend only on its text, so they are computed once per distinct word
and cached; the features of its position and neighbours are added per reference.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from kb.normalise import PARTICLES

MODELS = Path(__file__).resolve().parents[1] / "models"

_KEYWORDS = {
    "vol",
    "vols",
    "no",
    "nos",
    "pp",
    "p",
    "in",
    "eds",
    "ed",
    "edn",
    "edition",
    "press",
    "university",
    "univ",
    "journal",
    "j",
    "proceedings",
    "proc",
    "conference",
    "conf",
    "symposium",
    "workshop",
    "review",
    "report",
    "retrieved",
    "available",
    "accessed",
    "http",
    "https",
    "doi",
    "isbn",
    "thesis",
    "dissertation",
    "phd",
    "presented",
    "meeting",
    "annual",
    "transactions",
    "trans",
    "quarterly",
    "bulletin",
    "letters",
    "publishing",
    "publishers",
    "inc",
    "ltd",
    "verlag",
    "institute",
    "department",
    "technical",
    "tech",
    "rep",
    "and",
    "et",
    "al",
    "&",
    "new",
    "york",
    "london",
    "paris",
    "berlin",
    "cambridge",
    "oxford",
    "chicago",
    "boston",
    "san",
    "editor",
    "editors",
    "translated",
    "chap",
    "chapter",
    "issue",
    "series",
    "magazine",
    "online",
    "url",
    "v",
    "n",
    "s",
    "hrsg",
    "hg",
    "bd",
    "heft",
    "nr",
    "internet",
    "cited",
    "epub",
    "edited",
    "by",
    "org",
    "orgs",
    "pages",
    "page",
}
_MONTHS = {
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
}
_OPEN_Q = '“"‘«„'
_FUNCTION_WORDS = {
    "of",
    "and",
    "the",
    "in",
    "for",
    "on",
    "a",
    "an",
    "to",
    "with",
    "de",
    "la",
    "und",
    "der",
    "die",
    "et",
    "du",
    "des",
    "at",
    "by",
    "from",
}
_IN = re.compile(r"In:?|in:|Im|Dans|In\.")
_EDS = re.compile(r"\(?(?:eds?|hrsg|hg|dir|éd|org)s?\.?\)?[.,:;]?", re.I)
_VOLUME = re.compile(r"(?:vol|vols|bd|jg|t|tome|band|v)\.?|\d+\s*\(\s*\d+[-–/]?\d*\s*\)[.,:;]?|\d+\(\d+.*", re.I)

_PLACES: tuple[frozenset[str], frozenset[str]] | None = None


def places() -> tuple[frozenset[str], frozenset[str]]:
    """One-word and two-word place names (GeoNames, CC BY 4.0; see kb/models/places.txt)."""
    global _PLACES
    if _PLACES is None:
        one, two = set(), set()
        for line in (MODELS / "places.txt").read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            words = [re.sub(r"[^\w]", "", w) for w in line.split()]
            if len(words) == 1:
                one.add(words[0])
            elif len(words) == 2:
                two.add(" ".join(words))
        _PLACES = (frozenset(one), frozenset(two))
    return _PLACES


class TitleWords:
    """Words of serial titles and their ISO 4 abbreviations: the ISSN International Centre's
    List of Title Word Abbreviations (LTWA), read from the file the pyiso4 package ships.

    >>> tw = title_words()
    >>> tw.is_word("journal"), tw.is_word("computational"), tw.is_word("bovaird")
    (True, True, False)
    >>> tw.is_abbreviation("Comput."), tw.is_abbreviation("Bovaird.")
    (True, False)
    """

    def __init__(self, path: Path):
        words, prefixes, abbreviations = set(), set(), set()
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            word, abbreviation, _ = (line.split("\t") + ["", ""])[:3]
            word = word.strip().lower()
            if not word or " " in word or word.startswith("-"):
                continue
            if word.endswith("-"):  # "comput-": any word that starts so
                prefixes.add(word[:-1])
            else:
                words.add(word)
            for a in abbreviation.split(","):
                a = a.strip().lower()
                if a.endswith(".") and len(a) > 2:
                    abbreviations.add(a)
        self.words, self.prefixes, self.abbreviations = frozenset(words), frozenset(prefixes), frozenset(abbreviations)
        self.longest = max(map(len, prefixes), default=0)

    def is_word(self, core: str) -> bool:
        if core in self.words:
            return True
        return any(core[:k] in self.prefixes for k in range(min(len(core), self.longest), 2, -1))

    def is_abbreviation(self, token: str) -> bool:
        return token.rstrip(",;:").lower() in self.abbreviations


_TITLE_WORDS: TitleWords | None = None


def title_words() -> TitleWords:
    """The LTWA, loaded once. Found through pyiso4's installed files, without importing it."""
    global _TITLE_WORDS
    if _TITLE_WORDS is None:
        from importlib.metadata import distribution

        dist = distribution("pyiso4")
        csv = next(f for f in dist.files or () if f.name.startswith("LTWA_") and f.name.endswith(".csv"))
        _TITLE_WORDS = TitleWords(Path(dist.locate_file(csv)))
    return _TITLE_WORDS


def _case(token: str) -> str:
    """C capitalised, c lower case, f a function word, d a number, p punctuation, o other."""
    c = token.strip('“"‘(').rstrip('.,;:)”"’')
    if not c:
        return "p"
    if c.lower() in _FUNCTION_WORDS:
        return "f"
    return "C" if c[0].isupper() else "c" if c[0].islower() else "d" if c[0].isdigit() else "o"


_ASCII_SHAPE = str.maketrans(
    {**{c: "X" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, **{c: "x" for c in "abcdefghijklmnopqrstuvwxyz"}}
)
_DIGITS_SHAPE = str.maketrans({c: "d" for c in "0123456789"})
_OTHER_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
_RUN = re.compile(r"(.)\1+")


def _shape(word: str) -> str:
    """
    >>> _shape("Löffler,"), _shape("2007a).")
    ('Xuxx,', 'ddx).')
    """
    s = word.translate(_ASCII_SHAPE)
    if not s.isascii():
        s = _OTHER_LETTER.sub(lambda m: m.group() if m.group() in "Xx" else "u", s)
    s = s.translate(_DIGITS_SHAPE) if s.isascii() else _DIGIT.sub("d", s)
    out = []  # runs of one character kept to two ("Xxxxx" -> "Xxx")
    for ch in s:
        if len(out) >= 2 and out[-1] == ch and out[-2] == ch:
            continue
        out.append(ch)
        if len(out) == 8:
            break
    return "".join(out)


_NOT_CORE = re.compile(r"[^\w&]")
_INITIAL = re.compile(r"\(?[A-Z][a-z]?\.(?:-[A-Z]\.)?[,;]?|[A-Z]\.[A-Z]\.(?:[A-Z]\.)?,?")
_BARE_INITIALS = re.compile(r"[A-Z]{1,3}[,.;]?|[A-Z]-[A-Z][,.;]?")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)[a-z]?(?!\d)")
_RANGE = re.compile(r"\d+\s*[-–—]\s*\d+")
_DOI_START = re.compile(r"10\.\d{4,}/")
_ABBREVIATED_NAME = re.compile(r"[A-Z][a-z]?\.|(?:[A-Z]\.)+,?")


def _core(word: str) -> str:
    return _NOT_CORE.sub("", (word if word.isascii() else unicodedata.normalize("NFKC", word)).lower())


def _edge(ch: str) -> str:
    return ch if not ch.isalnum() else ("C" if ch.isupper() else "c" if ch.isalpha() else "d")


class _Local:
    """What one word says on its own, computed once per distinct word."""

    __slots__ = (
        "core",
        "shape",
        "last",
        "first",
        "case",
        "feats",
        "is_year",
        "dot_counts",
        "open_quote",
        "close_double",
        "close_single",
        "is_in",
        "is_eds",
        "upper_first",
        "opens_paren",
        "closes_paren",
        "near",
        "far",
        "plast",
        "is_range",
        "special",
        "place_first",
        "place_second",
    )

    def __init__(self, tok: str):
        one_word_places = places()[0]
        ltwa = title_words()
        core = _core(tok)
        first, last = tok[0], tok[-1]
        self.core = core
        self.shape = _shape(tok)
        self.last = last if not last.isalnum() else "a"
        self.first = _edge(first)
        self.case = _case(tok)
        f = [
            f"w={core[:20]}",
            f"shape={self.shape}",
            f"last={self.last}",
            f"first={self.first}",
            f"len={min(len(core), 10)}",
            f"suf3={core[-3:]}",
            f"suf2={core[-2:]}",
        ]
        if _INITIAL.fullmatch(tok):
            f.append("initial")
        if _BARE_INITIALS.fullmatch(tok):
            f.append("bare_initials")
        self.is_year = bool(_YEAR.search(tok))
        if self.is_year:
            f.append("year")
        if _RANGE.search(tok):
            f.append("range")
        if core.isdigit():
            f.append("number")
        elif _DIGIT.search(tok):
            f.append("hasdigit")
        if core in _KEYWORDS:
            f.append(f"kw={core}")
        if core in _MONTHS:
            f.append("month")
        if core in PARTICLES:
            f.append("particle")
        if tok.startswith(("http", "www.", "<http")) or "doi.org" in tok:
            f.append("url")
        if tok.lower().startswith("doi") or _DOI_START.match(tok):
            f.append("doi")
        if tok.isupper() and len(core) > 1:
            f.append("allcaps")
        elif first.isupper():
            f.append("title")
        if first.isupper() and core in one_word_places:
            f.append("place")
        if len(core) > 2 and ltwa.is_word(core):
            f.append("ltwa")
        if ltwa.is_abbreviation(tok):
            f.append("ltwa_abbr")
        self.feats = f
        self.dot_counts = tok.endswith(".") and not _ABBREVIATED_NAME.fullmatch(tok)
        self.open_quote = first in _OPEN_Q
        tail = tok[-3:]
        self.close_double = "”" in tail or (tok.endswith(('"', '",', '".')) and len(tok) > 1)
        self.close_single = "’" in tail
        self.is_in = bool(_IN.fullmatch(tok))
        self.is_eds = bool(_EDS.fullmatch(tok))
        self.upper_first = first.isupper()
        self.opens_paren = "(" in tok and ")" not in tok
        # what this word contributes to its neighbours' features, by offset (-3..3, without 0)
        w = core[:20]
        self.far = {off: f"w[{off}]={w}" for off in (-3, -2, 2, 3)}
        self.near = {
            off: (
                f"w[{off}]={w}",
                f"last[{off}]={self.last}",
                f"first[{off}]={self.first}",
                f"shape[{off}]={self.shape}",
            )
            for off in (-1, 1)
        }
        self.plast = self.last
        # rare cues the per-position pass must track; most words have none of them
        self.special = (
            self.open_quote
            or self.close_double
            or self.close_single
            or self.is_year
            or first == "("
            or last == ")"
            or tok.endswith((").", "),"))
            or self.is_in
            or tok == "in"
            or self.is_eds
        )
        firsts, seconds = _place_words()
        self.place_first = first.isupper() and core in firsts
        self.place_second = core in seconds
        self.closes_paren = ")" in tok


_PLACE_WORDS: tuple[frozenset[str], frozenset[str]] | None = None


def _place_words() -> tuple[frozenset[str], frozenset[str]]:
    """First and second words of the two-word place names."""
    global _PLACE_WORDS
    if _PLACE_WORDS is None:
        pairs = [p.split(" ") for p in places()[1]]
        _PLACE_WORDS = frozenset(a for a, _ in pairs), frozenset(b for _, b in pairs)
    return _PLACE_WORDS


_CACHE: dict[str, _Local] = {}


def _local(tok: str) -> _Local:
    got = _CACHE.get(tok)
    if got is None:
        if len(_CACHE) > 200_000:
            _CACHE.clear()
        got = _CACHE[tok] = _Local(tok)
    return got


def _reference_cues(tokens: list[str]) -> list[str]:
    """Features of the whole reference: a volume, a page range, "p."/"pp.", "no." anywhere in it.
    A serial has a volume; a book with a container-like name after its title usually has not."""
    text = " ".join(tokens)
    cues = []
    if any(_VOLUME.fullmatch(t) for t in tokens) or re.search(r"\b\d+\s*\(\d+\)", text):
        cues.append("ref_volume")
    if re.search(r"\d+\s*[-–]\s*\d+", text):
        cues.append("ref_range")
    if re.search(r"\bpp?\.", text):
        cues.append("ref_pp")
    if re.search(r"\bno\.\s*\d", text, re.I):
        cues.append("ref_no")
    return cues


_POS = [f"pos={k}" for k in range(10)]
_DOTS = [f"dots={k}" for k in range(7)]
_COMMAS = [f"commas={k}" for k in range(9)]
_FLAGS = (
    "bias",
    "glued",
    "glued_next",
    "openquote",
    "inquote",
    "closequote",
    "afterquote",
    "afteryear",
    "openparen",
    "closeparen",
    "inparen",
    "BOS",
    "EOS",
    "place2",
    "after_in",
    "after_eds",
)


class Strings:
    """Features as strings: what training writes into the model."""

    inline = True  # a word's own features and its neighbours' go into each token's list

    def __init__(self) -> None:
        self.pos, self.dots, self.commas = _POS, _DOTS, _COMMAS
        self.flag = {name: name for name in _FLAGS}

    def views(self, tokens: list[str], locs: list[_Local]) -> list:
        return locs

    def of(self, text: str):
        return text


class Ids(Strings):
    """Features as the attribute numbers of one trained model: what the labeller reads. A word's
    own features and those it gives its neighbours are looked up once per distinct word."""

    def __init__(self, index: dict[str, int], unknown: int):
        get = index.get
        self.of = lambda text: get(text, unknown)  # type: ignore[method-assign]
        self.pos = [self.of(x) for x in _POS]
        self.dots = [self.of(x) for x in _DOTS]
        self.commas = [self.of(x) for x in _COMMAS]
        self.flag = {name: self.of(name) for name in _FLAGS}
        self.cache: dict[str, _View] = {}

    def views(self, tokens: list[str], locs: list[_Local]) -> list:
        out = []
        cache = self.cache
        for tok, x in zip(tokens, locs, strict=True):
            v = cache.get(tok)
            if v is None:
                if len(cache) > 200_000:
                    cache.clear()
                v = cache[tok] = _View(x, self.of)
            out.append(v)
        return out


class Scored(Ids):
    """Ids for the labeller's fast path: a word's own features and what it gives its neighbours
    do not go into each token's list; each distinct word's share of the scores is summed once
    (``Labeller``) and added by position, which gives the same sums."""

    inline = False

    def __init__(self, index: dict[str, int], unknown: int):
        super().__init__(index, unknown)
        self.words: list[_View] = []  # every view, by its number

    def views(self, tokens: list[str], locs: list[_Local]) -> list:
        out = []
        cache = self.cache
        for tok, x in zip(tokens, locs, strict=True):
            v = cache.get(tok)
            if v is None:  # the labeller empties the cache between batches when it grows too big
                v = cache[tok] = _View(x, self.of)
                v.number = len(self.words)
                self.words.append(v)
            out.append(v)
        return out


class _View:
    __slots__ = ("feats", "near", "far", "number")

    def __init__(self, x: _Local, of) -> None:
        self.feats = [of(f) for f in x.feats]
        self.near = {k: tuple(of(f) for f in v) for k, v in x.near.items()}
        self.far = {k: of(v) for k, v in x.far.items()}
        self.number = -1


STRINGS = Strings()


def token_features(
    tokens: list[str], glued: list[bool] | None = None, enc: Strings = STRINGS, views_out: list | None = None
) -> list[list]:
    """AnyStyle/GROBID-style lexical and layout features for each token: as strings, or, given a
    model's ``Ids``, as its attribute numbers (the same features, looked up once per word). With
    ``Scored`` ids, the word features are left out and each token's view is appended to
    ``views_out`` instead."""
    n = len(tokens)
    glued = glued or [False] * n
    locs = [_local(t) for t in tokens]
    views = enc.views(tokens, locs)
    of, flag, inline = enc.of, enc.flag, enc.inline
    if views_out is not None:
        views_out.extend(views)
    cores = [x.core for x in locs]
    two_word_places = places()[1]
    padded_cases = "__" + "".join(x.case for x in locs) + "__"  # one letter a token
    whole = " ".join(tokens)
    style = []
    if any(q in whole for q in '“"«'):
        style.append("style=quoted")
    if re.search(r"\((?:1[5-9]|20)\d\d[a-z]?\)", " ".join(tokens[:14])):
        style.append("style=yearparen")
    if tokens and re.fullmatch(r"\[?\(?\d+[.\])]", tokens[0]):
        style.append("style=numbered")
    style.extend(_reference_cues(tokens))
    style = [of(x) for x in style]
    feats: list[list] = []
    in_quote = in_single = seen_year = seen_quote_close = seen_in = seen_eds = in_paren = False
    dots = commas = 0
    scale = 10 / max(n, 1)
    for i, tok in enumerate(tokens):
        x = locs[i]
        core = cores[i]
        f = (
            [flag["bias"], *views[i].feats, enc.pos[min(9, int(scale * i))]]
            if inline
            else [flag["bias"], enc.pos[min(9, int(scale * i))]]
        )
        if glued[i]:
            f.append(flag["glued"])
        if i + 1 < n and glued[i + 1]:
            f.append(flag["glued_next"])
        if x.special:
            if x.open_quote:
                f.append(flag["openquote"])
                if tok[:1] == "‘":
                    in_single = True
                else:
                    in_quote = True
            if in_quote:
                f.append(flag["inquote"])
            # a closing double quote; a closing single quote only after an opening one (not "Citizens’")
            if x.close_double or (x.close_single and in_single):
                f.append(flag["closequote"])
                if x.close_single and in_single and "”" not in tok[-3:]:
                    in_single = False
                elif in_quote:
                    in_quote = False
                    seen_quote_close = True
        elif in_quote:
            f.append(flag["inquote"])
        if seen_quote_close:
            f.append(flag["afterquote"])
        if seen_year:
            f.append(flag["afteryear"])
        if x.special:
            if x.is_year:
                seen_year = True
            if tok[0] == "(":
                f.append(flag["openparen"])
            if tok[-1] == ")" or tok.endswith(").") or tok.endswith("),"):
                f.append(flag["closeparen"])
        f.append(enc.dots[min(dots, 6)])
        f.append(enc.commas[min(commas, 8)])
        if in_paren:
            f.append(flag["inparen"])
        f.extend(style)
        if i == 0:
            f.append(flag["BOS"])
        if i == n - 1:
            f.append(flag["EOS"])
        if i > 0:
            f.append(of(f"plast|shape={locs[i - 1].plast}|{x.shape}"))
        if inline:
            if i >= 3:
                f.append(views[i - 3].far[-3])
            if i >= 2:
                f.append(views[i - 2].far[-2])
            if i >= 1:
                f.extend(views[i - 1].near[-1])
            if i + 1 < n:
                f.extend(views[i + 1].near[1])
            if i + 2 < n:
                f.append(views[i + 2].far[2])
            if i + 3 < n:
                f.append(views[i + 3].far[3])
        if x.place_first and i + 1 < n and locs[i + 1].place_second and f"{core} {cores[i + 1]}" in two_word_places:
            f.append(flag["place2"])
        if x.place_second and i > 0 and locs[i - 1].place_first and f"{cores[i - 1]} {core}" in two_word_places:
            f.append(flag["place2"])
        # long-range cues for container against title: "In" or "(eds.)" earlier in the reference
        if seen_in:
            f.append(flag["after_in"])
        if seen_eds:
            f.append(flag["after_eds"])
        if x.special:
            if x.is_in or (tok == "in" and i > 0 and tokens[i - 1][-1] in ".,"):
                seen_in = True
            if x.is_eds:
                seen_eds = True
        f.append(of("caps=" + padded_cases[i : i + 5]))
        feats.append(f)
        if x.dot_counts:
            dots += 1
        if tok.endswith(","):
            commas += 1
        if x.opens_paren:
            in_paren = True
        elif x.closes_paren:
            in_paren = False
    return feats
