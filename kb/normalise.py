"""Small text normalisers shared by every stage: names, years, pages, keys."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable
from functools import lru_cache

PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "del",
    "della",
    "di",
    "da",
    "du",
    "dos",
    "das",
    "le",
    "la",
    "ten",
    "ter",
    "te",
    "zu",
    "vom",
    "op",
    "het",
    "'t",
    "mac",
    "st",
}

# Letters that do not decompose under NFKD.
_EXTRA_FOLD = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ı": "i",
        "‐": "-",
        "‑": "-",
        "–": "-",
        "—": "-",
        "’": "'",
        "‘": "'",
    }
)


def fold(text: str) -> str:
    """ASCII-fold: strip diacritics, keep letters.

    >>> fold("Pérez-Quiñones Löffler")
    'Perez-Quinones Loffler'
    """
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLD))
    return "".join(c for c in text if not unicodedata.combining(c))


def fold_german(text: str) -> str:
    """Fold umlauts the German way (ö -> oe), then strip other diacritics.

    >>> fold_german("Löffler")
    'Loeffler'
    """
    if text.isascii():  # nothing to fold (most names of most lists)
        return text
    text = unicodedata.normalize("NFC", text)
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue")):
        text = text.replace(a, b)
    return fold(text)


def family(name: dict) -> str:
    """A CSL name's surname as cited, particles included; an organisation's whole name.

    >>> family({"family": "Graaf", "non-dropping-particle": "van der", "given": "S."}), family({"literal": "OECD"})
    ('van der Graaf', 'OECD')
    """
    if name.get("literal"):
        return name["literal"]
    if not name.get("dropping-particle") and not name.get("non-dropping-particle"):
        return name.get("family") or ""  # most names: no particles to join (checked for every author of a list)
    return " ".join(
        x for x in (name.get("dropping-particle"), name.get("non-dropping-particle"), name.get("family")) if x
    )


def display_name(name: dict) -> str:
    """ "van der Graaf, S."; an organisation as it is; "King, M. L., Jr."."""
    if name.get("literal"):
        return name["literal"]
    return ", ".join(x for x in (family(name), name.get("given"), name.get("suffix")) if x)


_NOT_AZ = re.compile(r"[^a-z]")


@lru_cache(maxsize=1 << 18)
def german_key(name: str) -> str:
    """Lower-case ASCII letters only, umlauts folded the German way: the key one person's
    surname has however a list spells it.

    >>> german_key("Löffler"), german_key("Loeffler"), german_key("van der Graaf")
    ('loeffler', 'loeffler', 'vandergraaf')
    """
    return _NOT_AZ.sub("", fold_german(name).lower())


@lru_cache(maxsize=1 << 18)
def name_key(name: str) -> str:
    """Lower-case ASCII letters only: the key two spellings of a surname share.

    >>> name_key("van der Graaf"), name_key("Uppström")
    ('vandergraaf', 'uppstrom')
    """
    return _NOT_AZ.sub("", fold(name).lower())


@lru_cache(maxsize=1 << 18)
def name_keys(name: str) -> frozenset[str]:
    """Every key a surname may be written under: with and without particles, ö as o or oe.

    >>> sorted(name_keys("van der Graaf"))
    ['graaf', 'vandergraaf']
    >>> sorted(name_keys("Löffler"))
    ['loeffler', 'loffler']
    """
    keys = set()
    for variant in (fold(name), fold_german(name)):
        keys.add(_NOT_AZ.sub("", variant.lower()))
        words = variant.split()
        core = [w for w in words if w.lower() not in PARTICLES]
        if core and len(core) < len(words):
            keys.add(_NOT_AZ.sub("", " ".join(core).lower()))
    keys.discard("")
    return frozenset(keys)


@lru_cache(maxsize=1 << 18)
def sort_key(name: str) -> str:
    """The key a reference list sorts a surname under: particles dropped, diacritics folded.

    >>> sort_key("van der Graaf")
    'graaf'
    """
    words = fold(name).split()
    core = [w for w in words if w.lower() not in PARTICLES] or words
    return _NOT_AZ.sub("", " ".join(core).lower())


_PAGES_WORD = re.compile(r"^(?:pp?|pages?|s|seiten?|str|pgs?)(?:\.\s*|\s+)(?=[\dA-Za-z])", re.I)
_PAGES_DASH = re.compile(r"\s*(?:-{1,3}|[–—‐‑])\s*")
_PAGES_RANGE = re.compile(r"([A-Za-z]?)(\d+)-\1?(\d+)")


def apa_title(title: str) -> str:
    """A title as APA orders works by the same authors in the same year: without a leading
    "A", "An" or "The", letter case and German spellings aside. The one key both the a/b letters
    (``kb.resolve.year_suffixes``) and a formatted list's order (``kb.formats.styles.apa_order``) use,
    so that 2004a comes before 2004b.

    >>> sorted(["SUZ12 is required", "The functions of E(Z)"], key=apa_title)
    ['The functions of E(Z)', 'SUZ12 is required']
    """
    return re.sub(r"^(the|a|an)\s+", "", fold_german(title).lower())


@lru_cache(maxsize=65536)  # a library's given names repeat ("A.", "J. A."): 300,000 at 100,000 works
def bare_initials(given: str) -> str:
    """Given names printed as bare initials (PubMed, JATS, Vancouver: "DJ", "P R") as CSL wants
    them, "D. J."; anything else as it is.

    >>> bare_initials("DJ"), bare_initials("P R"), bare_initials("T."), bare_initials("Tony"), bare_initials("J.-P.")
    ('D. J.', 'P. R.', 'T.', 'Tony', 'J.-P.')
    """
    if re.fullmatch(r"[A-Z]{1,4}", given):
        return " ".join(c + "." for c in given)
    if re.fullmatch(r"(?:[A-Z]\.?\s*)+", given):
        return " ".join(c + "." for c in re.findall(r"[A-Z]", given))
    return given


_ISO_DATE = re.compile(r"\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*")


def iso_date(text: str) -> list[int] | None:
    """A date written year first, "2015-05-28", "2011-05", "1949", as CSL date-parts; None for
    anything else.

    >>> iso_date("2015-05-28"), iso_date(" 1949 "), iso_date("May 2011")
    ([2015, 5, 28], [1949], None)
    """
    m = _ISO_DATE.fullmatch(text or "")
    return [int(x) for x in m.groups() if x] if m else None


def pages(text: str) -> str:
    """Pages as CSL wants them: "846-860", an abbreviated range written out ("1616–27" is 1616-1627).

    >>> pages("pp. 846–860"), pages("1001--1011"), pages("p. 282"), pages("1616–27."), pages("S. 12–25")
    ('846-860', '1001-1011', '282', '1616-1627', '12-25')
    >>> pages("e1002345"), pages("S12–S15"), pages("381-381"), pages("pages 56-66,"), pages("D539–43"), pages("R875–6")
    ('e1002345', 'S12-S15', '381-381', '56-66', 'D539-D543', 'R875-R876')
    >>> pages("(pp. 610–624)."), pages("[pp. 5-9]")
    ('610-624', '5-9')
    """
    text = text.strip().lstrip("([").strip()
    text = _PAGES_WORD.sub("", text)
    text = _PAGES_DASH.sub("-", text)
    text = text.strip(" .,;:()[]")
    m = _PAGES_RANGE.fullmatch(text)
    if m:  # "1616-27" is 1616-1627; "D539-43" is D539-D543
        prefix, first, last = m.groups()
        if len(last) < len(first):
            last = first[: len(first) - len(last)] + last
        if int(last) >= int(first):
            text = f"{prefix}{first}-{prefix}{last}"
    return text


STOPWORDS = {
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "nor",
    "of",
    "on",
    "in",
    "at",
    "to",
    "for",
    "from",
    "with",
    "by",
    "as",
    "is",
    "are",
    "into",
    "onto",
    "upon",
    "via",
    "der",
    "die",
    "das",
    "le",
    "la",
    "les",
    "el",
    "los",
    "un",
    "une",
    "de",
    "du",
    "des",
}


def citation_key(family: str, year: int | str | None, title: str) -> str:
    """A Better BibTeX style key: family name, year, first significant title word, ASCII.

    >>> citation_key("Bovaird", 2007, "Beyond engagement and participation")
    'bovaird2007beyond'
    >>> citation_key("van der Graaf", 2014, "Designing for participatory governance")
    'vandergraaf2014designing'
    >>> citation_key("", None, "The New Public Governance?")
    'anon0000new'
    """
    fam = name_key(family) or "anon"
    yr = str(year) if year else "0000"
    word = ""
    for w in re.findall(r"[\w'’‐-]+", fold(title)):
        cleaned = re.sub(r"[^a-z0-9]", "", w.lower())
        if cleaned and cleaned not in STOPWORDS:
            word = cleaned
            break
    return f"{fam}{yr}{word}"


def unique_keys(keys: list[str]) -> list[str]:
    """Give colliding keys a, b, c... suffixes, in order; the first keeps its key.

    >>> unique_keys(["pestoff2012what", "bovaird2012from", "bovaird2012from"])
    ['pestoff2012what', 'bovaird2012from', 'bovaird2012froma']
    """
    seen: dict[str, int] = {}
    taken = set(keys)
    out = []
    for key in keys:
        n = seen.get(key, 0)
        seen[key] = n + 1
        if n == 0:
            out.append(key)
            continue
        i = n - 1
        while True:
            candidate = key + _suffix(i)
            if candidate not in taken:
                break
            i += 1
        taken.add(candidate)
        out.append(candidate)
    return out


def _suffix(i: int) -> str:
    """a, b, ... z, aa, ab, ... zz, aaa, ...: as many as there are duplicates.

    >>> [_suffix(i) for i in (0, 25, 26, 701, 702)]
    ['a', 'z', 'aa', 'zz', 'aaa']
    """
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = letters[r] + out
    return out


def slug(text: str) -> str:
    """An ASCII slug for URLs.

    >>> slug("New Public Governance")
    'new-public-governance'
    """
    return re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")


_PAGE_RANGE = re.compile(r"(\d+)-(\d+)")


ET_AL_LISTED_FROM = 7  # authors an author-date list names before "et al." at the least (Chicago 17th)


# particles no one bears as a whole surname: "Van" alone is cut short, where "Das", "Du", "Le"
# and "De" are surnames of their own (a particle in lower case is cut short whatever it is)
_NEVER_ALONE = {"van", "von", "der", "den", "zu", "vom", "het", "'t", "ter", "op"}


# MLA's "Berkes, Fikret, et al. "The Benefits ..."" and Nature's "Cardinale, B. J. et al.
# Biodiversity loss ...": a first author family name first, "et al.", then no year
_SHORTENING = re.compile(r"[^\W\d_][\w'’\- ]*,\s[^,;]{1,40}?,?\s*et\s+al\b\.?,?\s+(?![(\[]?(?:1[5-9]|20)\d\d)")


_NO_DATE = re.compile(r"\(n\.\s?d\.\)|\bn\.\s?d\.(?=[\s,.)]|$)|\bno date\b|\bs\.\s?d\.|\bo\.\s?J\.", re.I)


def entry_problems(csl: dict, et_al: bool = False, raw: str = "") -> list[tuple[str, str]]:
    """What looks wrong in one reference-list entry, as (code, message) pairs (codes from
    kb.records.LIST_PROBLEMS). The one place these checks live: kb parse, the loaders and kb check
    all call it.

    >>> entry_problems({"title": "Rethinking", "author": [{"family": "van", "given": "R."}], "page": "381-381",
    ...                 "issued": {"date-parts": [[1981]]}})  # doctest: +NORMALIZE_WHITESPACE
    [('truncated-author', "author R. 'van' looks cut short: only a particle is left"),
     ('suspicious-pages', 'page range 381-381 ends where it starts or before')]
    >>> entry_problems({"title": "T", "page": "250-61", "issued": {"date-parts": [[2007]]}})  # 250-261
    []
    >>> entry_problems({"title": "T", "author": [{"family": "Das", "given": "T."}], "issued": {"date-parts": [[2012]]}})
    []
    >>> mla = {"title": "The Benefits", "author": [{"family": "Berkes", "given": "Fikret"}], "issued": {"date-parts": [[1989]]}}
    >>> entry_problems(mla, True, 'Berkes, Fikret, et al. "The Benefits of the Commons." Nature, 1989.')
    []
    >>> [code for code, _ in entry_problems(mla, True, "Berkes, F., et al. (1989). The benefits. Nature.")]
    ['et-al-in-list']
    >>> entry_problems({"title": "T", "page": "250-25", "issued": {"date-parts": [[2007]]}})
    [('suspicious-pages', 'page range 250-25 ends where it starts or before')]
    """
    out = []
    for a in csl.get("author") or []:
        fam = family(a)
        if fam and fam.lower() in PARTICLES and (fam.islower() or fam.lower() in _NEVER_ALONE):
            out.append(
                ("truncated-author", f"author {a.get('given', '')} {fam!r} looks cut short: only a particle is left")
            )
    page = str(csl.get("page") or "")
    # an abbreviated range (250-61, as journals print them) is read written out: 250-261
    m = _PAGE_RANGE.fullmatch(pages(page)) if page else None
    if m and int(m.group(2)) <= int(m.group(1)):
        out.append(("suspicious-pages", f"page range {page} ends where it starts or before"))
    container = csl.get("container-title")
    if container and fold(container).lower().strip(" .") == fold(csl.get("title", "")).lower().strip(" ."):
        out.append(("container-equals-title", "the container title repeats the title: the journal or book is missing"))
    named = len(csl.get("author") or [])
    # "et al." is the rule of numbered lists (Vancouver after six authors, IEEE after one), of
    # Chicago after seven, and of MLA and Nature, whose entries (``raw``) print the first author
    # family name first and no year straight after "et al."; in an author-date list naming fewer
    # it is what APA forbids (it names up to 20) and Harvard and Chicago too
    if et_al and not csl.get("citation-label") and named < ET_AL_LISTED_FROM and not _SHORTENING.match(raw):
        out.append(
            (
                "et-al-in-list",
                f"'et al.' after {named} author{'s' if named != 1 else ''} in a reference list: name every author "
                f"(APA names up to 20; Chicago at least {ET_AL_LISTED_FROM} before 'et al.')",
            )
        )
    # a year said not to be there, "n.d." or "in press", is no year missing
    undated = str(csl.get("status") or "").lower() in ("in press", "forthcoming") or _NO_DATE.search(raw)
    if not (csl.get("issued") or {}).get("date-parts") and not undated:
        out.append(("missing-year", "no year found"))
    if not csl.get("title"):
        out.append(("missing-title", "no title found: check the reference, or the parse"))
    return out


_HYPHENATED = re.compile(r"(?<![^\W\d_])([^\W\d_]+)[-\u2010\u2011]([^\W\d_]+)(?![^\W\d_])")
_WORD = re.compile(r"[^\W\d_]+")


def _has_hyphen(text: str) -> bool:
    return "-" in text or "\u2010" in text or "\u2011" in text


def hyphen_variants(texts: Iterable[str]) -> dict[str, str]:
    """The words a corpus writes both ways, learnt from its hyphenated forms: each joined form
    and the two words it splits into ("co-production" gives coproduction -> "co production").

    >>> hyphen_variants(["The co-production of services", "E-government"])
    {'coproduction': 'co production', 'egovernment': 'e government'}
    """
    return hyphens_by_source([texts])[0]


def hyphen_spellings(texts: Iterable[str]) -> dict[str, set[str]]:
    """Every way ``texts`` split each hyphenated word :func:`hyphen_variants` learns: its joined
    form and the pairs of words it is printed as ("co-production" gives coproduction ->
    {"co production"}).

    >>> sorted(hyphen_spellings(["Co-production", "copro-duction and co-production"])["coproduction"])
    ['co production', 'copro duction']
    """
    return hyphens_by_source([texts])[1][0]


def hyphens_by_source(sources: Iterable[Iterable[str]]) -> tuple[dict[str, str], list[dict[str, set[str]]]]:
    """:func:`hyphen_variants` of every text of ``sources``, in order, and
    :func:`hyphen_spellings` of each source, in one scan of the texts."""
    variants: dict[str, str] = {}
    spellings = []
    for texts in sources:
        spelt: dict[str, set[str]] = {}
        for text in texts:
            if not text or not _has_hyphen(text):
                continue  # most texts: one scan in C instead of the pattern's
            for m in _HYPHENATED.finditer(text):
                a, b = m.group(1).lower(), m.group(2).lower()
                split = f"{a} {b}"
                variants.setdefault(a + b, split)
                spelt.setdefault(a + b, set()).add(split)
        spellings.append(spelt)
    return variants, spellings


def search_variants(text: str, variants: dict[str, str]) -> str:
    """The other spellings of ``text``'s words, for full-text search: "co-production" is also
    found as coproduction, and "coproduction" as co-production or co production (FTS reads the
    hyphen as a break between two words).

    >>> v = {"coproduction": "co production"}
    >>> search_variants("Beyond co-production", v), search_variants("Coproduction now", v)
    ('coproduction', 'co production')
    """
    out: list[str] = []
    if text and _has_hyphen(text):
        for m in _HYPHENATED.finditer(text):
            out.append((m.group(1) + m.group(2)).lower())
    for word in _WORD.findall((text or "").lower()):
        if word in variants:
            out.append(variants[word])
    return " ".join(dict.fromkeys(out))


def line_of(text: str) -> Callable[[int], int]:
    """A function giving the 1-based line of a character offset in ``text``, by bisecting the
    offsets where lines start (counting newlines from the start for every offset is quadratic).

    >>> line = line_of("a\\nbc\\n\\nd")
    >>> [line(0), line(2), line(3), line(5), line(6)]
    [1, 2, 2, 3, 4]
    """
    newlines = [m.start() for m in re.finditer("\n", text)]
    return lambda offset: bisect_left(newlines, offset) + 1
