"""Features of each token for the CRF labeller: what the word is, what it looks like, where it
sits, and cues from the whole reference (AnyStyle's and GROBID's feature families).

A token's own features depend only on its text, so they are computed once per distinct word
and cached; the features of its place in the reference (``context``: position, quotes,
parentheses, what came before it) are computed with numpy for a whole batch of references.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from kb.normalise import PARTICLES
from kb.records import KbError

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
        punctuation = re.compile(r"[^\w\s]")
        for line in (MODELS / "places.txt").read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            words = line.split()
            if punctuation.search(line):  # a word of punctuation only is kept, empty: "Vitoria - Gasteiz"
                words = [punctuation.sub("", w) for w in words]
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
        for line in path.read_text(encoding="utf-8").lower().splitlines()[1:]:
            word, _, rest = line.partition("\t")
            word = word.strip()
            if not word or " " in word or word.startswith("-"):
                continue
            if word.endswith("-"):  # "comput-": any word that starts so
                prefixes.add(word[:-1])
            else:
                words.add(word)
            for a in rest.partition("\t")[0].split(","):
                a = a.strip()
                if a.endswith(".") and len(a) > 2:
                    abbreviations.add(a)
        self.words, self.prefixes, self.abbreviations = frozenset(words), frozenset(prefixes), frozenset(abbreviations)
        # the lengths of the prefixes that start with each three letters, longest first: a word is
        # looked up at those lengths only
        lengths: dict[str, set[int]] = {}
        for p in prefixes:
            if len(p) > 2:
                lengths.setdefault(p[:3], set()).add(len(p))
        self.lengths = {start: sorted(ks, reverse=True) for start, ks in lengths.items()}

    def is_word(self, core: str) -> bool:
        if core in self.words:
            return True
        ks = self.lengths.get(core[:3])
        return bool(ks) and any(core[:k] in self.prefixes for k in ks if k <= len(core))

    def is_abbreviation(self, token: str) -> bool:
        return token.rstrip(",;:").lower() in self.abbreviations


_TITLE_WORDS: TitleWords | None = None


def title_words() -> TitleWords:
    """The LTWA, loaded once. Found in pyiso4's package folder, without importing it (or reading
    its installed files' list, which takes longer than the search)."""
    global _TITLE_WORDS
    if _TITLE_WORDS is None:
        from importlib.util import find_spec

        spec = find_spec("pyiso4")
        folders = spec.submodule_search_locations if spec else None
        found = sorted(p for folder in folders or () for p in Path(folder).glob("LTWA_*.csv"))
        if not found:
            raise KbError("pyiso4's list of title word abbreviations (LTWA_*.csv) is not installed: pip install pyiso4")
        _TITLE_WORDS = TitleWords(found[-1])
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
_LONG_RUN = re.compile(r"(.)\1\1+", re.S)


def _shape(word: str) -> str:
    """
    >>> _shape("Löffler,"), _shape("2007a).")
    ('Xuxx,', 'ddx).')
    """
    s = word.translate(_ASCII_SHAPE)
    if not s.isascii():
        s = _OTHER_LETTER.sub(lambda m: m.group() if m.group() in "Xx" else "u", s)
    s = s.translate(_DIGITS_SHAPE) if s.isascii() else _DIGIT.sub("d", s)
    return _LONG_RUN.sub(r"\1\1", s)[:8]  # runs of one character kept to two ("Xxxxx" -> "Xxx")


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
        "opens_paren",
        "closes_paren",
        "near",
        "far",
        "plast",
        "is_range",
        "place_first",
        "place_second",
        "marks",
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
        firsts, seconds = _place_words()
        self.place_first = first.isupper() and core in firsts
        self.place_second = core in seconds
        self.closes_paren = ")" in tok
        self.marks = _marks(self, tok)


_PLACE_WORDS: tuple[frozenset[str], frozenset[str]] | None = None


def _place_words() -> tuple[frozenset[str], frozenset[str]]:
    """First and second words of the two-word place names."""
    global _PLACE_WORDS
    if _PLACE_WORDS is None:
        pairs = [p.split(" ") for p in places()[1]]
        _PLACE_WORDS = frozenset(a for a, _ in pairs), frozenset(b for _, b in pairs)
    return _PLACE_WORDS


def load_word_lists() -> None:
    """The word lists the features read (places, the LTWA), loaded now: before a list is
    labelled in forked processes, so that they share one copy instead of each loading its own."""
    places()
    title_words()
    _place_words()


_CACHE: dict[str, _Local] = {}


def word(tok: str) -> _Local:
    """What one word says on its own (cached: computed once per distinct word)."""
    got = _CACHE.get(tok)
    if got is None:
        if len(_CACHE) > 200_000:
            _CACHE.clear()
        got = _CACHE[tok] = _Local(tok)
    return got


# What a word says that the pass over its reference reads, as bits of one number per word
# (``_Local.marks``): the pass reads them for a whole batch of references at once.
_MARK_NAMES = (
    "dot_counts",  # ends in a full stop that is not an initial's
    "comma",  # ends in a comma
    "opens_paren",
    "closes_paren",
    "is_year",
    "openparen",  # starts with "("
    "closeparen",  # ends in ")", ")." or "),"
    "is_in",  # "In:", "Dans"
    "in",  # the word "in" (an "In" only after a full stop or comma)
    "ends_stop",  # ends in "." or ","
    "is_eds",
    "place_first",
    "place_second",
    "open_quote",
    "open_single",  # opens with "‘"
    "close_double",
    "close_single",
    "curly_close",  # "”" in its last three characters
    "volume",  # "vol.", "Bd", "23(4)"
)
_MARK = {name: 1 << k for k, name in enumerate(_MARK_NAMES)}


def _marks(x: _Local, tok: str) -> int:
    return sum(
        _MARK[name]
        for name, on in (
            ("dot_counts", x.dot_counts),
            ("comma", tok.endswith(",")),
            ("opens_paren", x.opens_paren),
            ("closes_paren", x.closes_paren),
            ("is_year", x.is_year),
            ("openparen", tok[0] == "("),
            ("closeparen", tok[-1] == ")" or tok.endswith((").", "),"))),
            ("is_in", x.is_in),
            ("in", tok == "in"),
            ("ends_stop", tok[-1] in ".,"),
            ("is_eds", x.is_eds),
            ("place_first", x.place_first),
            ("place_second", x.place_second),
            ("open_quote", x.open_quote),
            ("open_single", tok[0] == "‘"),
            ("close_double", x.close_double),
            ("close_single", x.close_single),
            ("curly_close", "”" in tok[-3:]),
            ("volume", _VOLUME.fullmatch(tok)),
        )
        if on
    )


_STYLES = ("style=quoted", "style=yearparen", "style=numbered", "ref_volume", "ref_range", "ref_pp", "ref_no")


_YEAR_IN_PARENS = re.compile(r"\((?:1[5-9]|20)\d\d[a-z]?\)")
_NUMBER_FIRST = re.compile(r"\[?\(?\d+[.\])]")
_ISSUE_IN_TEXT = re.compile(r"\b\d+\s*\(\d+\)")
_RANGE_IN_TEXT = re.compile(r"\d+\s*[-–]\s*\d+")
_PP = re.compile(r"\bpp?\.")
_NO = re.compile(r"\bno\.\s*\d", re.I)


def _style(tokens: list[str], locs: list[_Local]) -> list[str]:
    """Features of the whole reference: how it is printed (quoted titles, a year in parentheses
    early on, a leading number) and what it holds: a volume, a page range, "p."/"pp.", "no."
    anywhere in it. A serial has a volume; a book with a container-like name after its title
    usually has not."""
    text = " ".join(tokens)
    style = []
    if any(q in text for q in '“"«'):
        style.append("style=quoted")
    if _YEAR_IN_PARENS.search(" ".join(tokens[:14])):
        style.append("style=yearparen")
    if tokens and _NUMBER_FIRST.fullmatch(tokens[0]):
        style.append("style=numbered")
    if any(x.marks & _MARK["volume"] for x in locs) or _ISSUE_IN_TEXT.search(text):
        style.append("ref_volume")
    if _RANGE_IN_TEXT.search(text):
        style.append("ref_range")
    if _PP.search(text):
        style.append("ref_pp")
    if _NO.search(text):
        style.append("ref_no")
    return style


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
_FLAG = {name: k for k, name in enumerate(_FLAGS)}


class Context:
    """What each token's place in its reference says, for a batch of references, token after
    token of all of them: its position bucket, the full stops and commas before it, how many
    times each of ``_FLAGS`` holds for it (a column each), and the features made of text
    (``pairs``: the word before's last character with this word's shape; ``caps``: the case
    letters of the five tokens around it); and each reference's ``style``. Computed with numpy
    over the whole batch: the same for training (``token_features``) and for labelling."""

    __slots__ = ("lengths", "pos", "dots", "commas", "flags", "pairs", "caps", "styles")


def context(refs: list[tuple[list[str], list[bool] | None, list[_Local]]]) -> Context:
    """The context of every token of a batch of (tokens, glued, words) references."""
    import numpy as np

    lens = np.array([len(toks) for toks, _, _ in refs], dtype=np.int64)
    total = int(lens.sum())
    locs = [x for _, _, ls in refs for x in ls]
    marks = np.fromiter((x.marks for x in locs), dtype=np.int64, count=total)

    def has(name: str):
        return (marks & _MARK[name]) != 0

    ends = np.cumsum(lens)
    start_of = np.repeat(ends - lens, lens)  # index of the first token of each token's reference
    idx = np.arange(total)
    pos = idx - start_of
    last = idx == np.repeat(ends, lens) - 1

    def before(mask):  # how many tokens before this one in its reference have the mark
        counts = np.concatenate(([0], np.cumsum(mask)))
        return counts[idx] - counts[start_of]

    flags = np.zeros((total, len(_FLAGS)), dtype=np.float32)
    column = {name: flags[:, k] for name, k in _FLAG.items()}
    column["bias"][:] = 1
    glued = np.fromiter((g for toks, gl, _ in refs for g in (gl or [False] * len(toks))), dtype=bool, count=total)
    column["glued"][:] = glued
    column["glued_next"][:-1] = glued[1:] & ~last[:-1]
    _quotes(refs, has, start_of, np.repeat(ends, lens), column)
    column["afteryear"][:] = before(has("is_year")) > 0
    column["openparen"][:] = has("openparen")
    column["closeparen"][:] = has("closeparen")
    # inside parentheses: the last word before this one that opened or closed some opened them
    opens, closes = has("opens_paren"), has("closes_paren")
    latest = np.maximum.accumulate(np.where(opens | closes, idx, -1))
    previous = np.concatenate(([-1], latest[:-1]))
    column["inparen"][:] = (previous >= start_of) & opens[previous]
    column["BOS"][:] = pos == 0
    column["EOS"][:] = last
    column["place2"][:] = _place_pairs(refs, has, last)
    # long-range cues for container against title: "In" or "(eds.)" earlier in the reference
    ends_stop = np.concatenate(([False], has("ends_stop")[:-1]))
    column["after_in"][:] = before(has("is_in") | (has("in") & (pos > 0) & ends_stop)) > 0
    column["after_eds"][:] = before(has("is_eds")) > 0

    ctx = Context()
    ctx.lengths = lens
    n = np.repeat(np.maximum(lens, 1), lens)
    ctx.pos = np.minimum(9, ((10 / n) * pos).astype(np.int64))
    ctx.dots = np.minimum(before(has("dot_counts")), 6)
    ctx.commas = np.minimum(before(has("comma")), 8)
    ctx.flags = flags
    ctx.pairs, ctx.caps = [], []
    for _, _, ls in refs:
        if ls:  # the first word has no word before it
            ctx.pairs.append(None)
        ctx.pairs += [f"plast|shape={a.plast}|{b.shape}" for a, b in zip(ls, ls[1:], strict=False)]
        padded = "__" + "".join(x.case for x in ls) + "__"  # one letter a token
        ctx.caps += ["caps=" + padded[i : i + 5] for i in range(len(ls))]
    ctx.styles = [_style(toks, ls) for toks, _, ls in refs]
    return ctx


def _quotes(refs, has, start_of, end_of, column) -> None:
    """Open and closing quotes: inside a quote, a closing quote (a closing single quote only
    after an opening one: not "Citizens’"), and every token from the first closing double quote
    on. Only the words with a quote mark change anything: the pass visits them alone."""
    import numpy as np

    openq, close_double, close_single = has("open_quote"), has("close_double"), has("close_single")
    open_single, curly_close = has("open_single"), has("curly_close")
    column["openquote"][:] = openq
    inquote, closequote, afterquote = column["inquote"], column["closequote"], column["afterquote"]
    events: dict[int, list[int]] = {}  # the quote marks of each reference, by its first token
    for i in np.nonzero(openq | close_double | close_single)[0].tolist():
        events.setdefault(int(start_of[i]), []).append(i)
    for start, marks in events.items():
        end = int(end_of[start])
        in_quote = in_single = seen_close = False
        opened = start
        for i in marks:
            if openq[i]:
                if open_single[i]:
                    in_single = True
                elif not in_quote:
                    in_quote, opened = True, i
            if close_double[i] or (close_single[i] and in_single):
                closequote[i] = 1
                if close_single[i] and in_single and not curly_close[i]:
                    in_single = False
                elif in_quote:
                    in_quote = False
                    inquote[opened : i + 1] = 1
                    if not seen_close:
                        seen_close = True
                        afterquote[i:end] = 1
        if in_quote:
            inquote[opened:end] = 1


def _place_pairs(refs, has, last):
    """Two words that make a two-word place name ("New York", "San Francisco"): each of the
    two gets the feature once for the pair it is in."""
    import numpy as np

    count = np.zeros(len(last), dtype=np.float32)
    first, second = has("place_first"), has("place_second")
    candidates = np.nonzero(first[:-1] & second[1:] & ~last[:-1])[0].tolist()
    if candidates:
        two_word_places = places()[1]
        cores = [x.core for _, _, ls in refs for x in ls]
        for i in candidates:
            if f"{cores[i]} {cores[i + 1]}" in two_word_places:
                count[i] += 1
                count[i + 1] += 1
    return count


def place_families() -> dict[str, tuple[str, ...]]:
    """The features of a token's place, family by family, in the order ``Context`` numbers
    them: what the labeller sums the weights of."""
    return {"flags": _FLAGS, "pos": tuple(_POS), "dots": tuple(_DOTS), "commas": tuple(_COMMAS), "styles": _STYLES}


class Strings:
    """Features as strings: what training writes into the model."""

    def __init__(self) -> None:
        self.pos, self.dots, self.commas = _POS, _DOTS, _COMMAS
        self.flag = list(_FLAGS)

    def views(self, tokens: list[str], locs: list[_Local]) -> list:
        return locs

    def of(self, text: str):
        return text


class Ids(Strings):
    """Features as the attribute numbers of one trained model. A word's own features and those
    it gives its neighbours are looked up once per distinct word."""

    def __init__(self, index: dict[str, int], unknown: int):
        get = index.get
        self.of = lambda text: get(text, unknown)  # type: ignore[method-assign]
        self.pos = [self.of(x) for x in _POS]
        self.dots = [self.of(x) for x in _DOTS]
        self.commas = [self.of(x) for x in _COMMAS]
        self.flag = [self.of(name) for name in _FLAGS]
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


class Scored:
    """Word numbers for the labeller: each distinct word is numbered once, in the order first
    seen, and its share of the scores (its own features and what it gives its neighbours) is
    summed once by the ``Labeller``, from the strings of ``words``."""

    def __init__(self) -> None:
        self.number: dict[str, int] = {}
        self.words: list[_Local] = []  # every word, by its number

    def numbers(self, tokens: list[str], locs: list[_Local]) -> list[int]:
        out = []
        number, words = self.number, self.words
        for tok, x in zip(tokens, locs, strict=True):
            k = number.get(tok)
            if k is None:  # the labeller empties the numbering between batches when it grows too big
                k = number[tok] = len(words)
                words.append(x)
            out.append(k)
        return out

    def clear(self) -> None:
        self.number.clear()
        self.words.clear()


class _View:
    """A word's features, and what it gives its neighbours, as attribute numbers."""

    __slots__ = ("feats", "near", "far")

    def __init__(self, x: _Local, of) -> None:
        self.feats = [of(f) for f in x.feats]
        self.near = {k: tuple(of(f) for f in v) for k, v in x.near.items()}
        self.far = {k: of(v) for k, v in x.far.items()}


STRINGS = Strings()


def token_features(tokens: list[str], glued: list[bool] | None = None, enc: Strings = STRINGS) -> list[list]:
    """AnyStyle/GROBID-style lexical and layout features for each token: as strings, or, given a
    model's ``Ids``, as its attribute numbers (the same features, looked up once per word)."""
    n = len(tokens)
    if not n:
        return []
    locs = [word(t) for t in tokens]
    views = enc.views(tokens, locs)
    ctx = context([(tokens, glued, locs)])
    of, flag = enc.of, enc.flag
    style = [of(x) for x in ctx.styles[0]]
    counts = ctx.flags.astype(int).tolist()
    feats: list[list] = []
    for i in range(n):
        c = counts[i]

        def on(*names: str, c=c) -> list:
            return [flag[_FLAG[name]] for name in names for _ in range(c[_FLAG[name]])]

        f = [flag[_FLAG["bias"]], *views[i].feats, enc.pos[int(ctx.pos[i])]]
        f += on("glued", "glued_next", "openquote", "inquote", "closequote", "afterquote", "afteryear")
        f += on("openparen", "closeparen")
        f += [enc.dots[int(ctx.dots[i])], enc.commas[int(ctx.commas[i])]]
        f += on("inparen")
        f += style
        f += on("BOS", "EOS")
        if i > 0:
            f.append(of(ctx.pairs[i]))
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
        f += on("place2", "after_in", "after_eds")
        f.append(of(ctx.caps[i]))
        feats.append(f)
    return feats
