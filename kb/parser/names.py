"""A printed list of names -> CSL names, in the order the list uses.

Reference lists print names in a handful of orders, and one list keeps to one:

- ``inverted``: "Adams, P. G., & Hunter, C. N." (APA, Harvard, Nature, ACS; ABNT with ";")
- ``family-initials``: "Adams PG, Hunter CN" (Vancouver, AMA, eLife)
- ``given-first``: "P. G. Adams and C. N. Hunter" (IEEE, Science)
- ``first-inverted``: "Adams, Peter G., and C. Neil Hunter" (Chicago, MLA)

Each printed list is cut into chunks at commas, semicolons, "&" and "and"; every order that
fits the chunks is a reading. When only one order fits, the entry votes for it; the list's
order is the most voted, and it settles the entries that several orders fit ("Adams, Hunter":
two people, or Adams with given name Hunter?). Within one name, particles and suffixes are
split by bibtexparser's BibTeX name splitter: "van der" before the family name is a CSL
``non-dropping-particle``, one printed after the given names ("Graaf, S. van der") a
``dropping-particle``; "Jr." and "III" are a ``suffix``. Initials printed without full stops
("PG") become "P. G.". Family names printed in capitals (ABNT's "ADAMS, P. G.") are given
their case back when the whole list prints them so.
"""

from __future__ import annotations

import re
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from kb.normalise import PARTICLES

ORDERS = ("inverted", "family-initials", "given-first", "first-inverted", "families")

_ROLE = re.compile(
    r"\(\s*(?:eds?|editors?|hrsg|hg|orgs?|coords?|dirs?|comps?|trans|tr|ed\. lit)\s*\.?\s*\)"
    r"|,?\s*\b(?:editors?|eds\.?|ed\.|hrsg\.?|hg\.|org\.|coord\.|comp\.|trans\.)(?=[\s,;:.)]|$)"
    r"|^\s*(?:in:?|im:?|dans:?)\s+|^\s*(?:ed\.|eds\.|hrsg\.\s*v\.|hg\.\s*v\.)\s+",
    re.I,
)
# "Edited by Guenther Roth and Claus Wittich", "Translated by Jane Doe" (Chicago, MLA): the names
# after "by" are printed given name first, whatever order the list keeps for its authors
_BY = re.compile(
    r"^\s*(?:(?:edited|translated|compiled|introduced|revised|ed\.|eds\.|trans\.|tr\.|comp\.)"
    r"(?:,?\s*(?:and|&|with)\s+(?:edited|translated|an\s+introduction|introduced|notes))*\s+by)\s+",
    re.I,
)
# a slash between two names (German lists: "Bogumil, Jörg/Holtkamp, Lars"), a capital after it
_SLASH = re.compile(r"(?<=[^\W\d_]|\.)\s*/\s*(?=[A-ZÀ-ÖØ-Þ])")
_ET_AL = re.compile(
    r"(?:,|;)?\s*(?:\bet\.?\s*al\b\.?|\band\s+others\b|\bu\.\s*a\b\.?|\bet\s+coll\.|…|\.\s?\.\s?\.)\s*[.,;:]?\s*$", re.I
)
_YEAR_TAIL = re.compile(
    r"[\s,(]+(?:1[5-9]\d\d|20\d\d)[a-z]?\)?[.,:;]?\s*$|\s*\((?:n\.\s?d\.|in press|s\.\s?d\.)\)[.,]?\s*$"
)
_SEP = re.compile(r"\s*(;|,|&|\band\b|\bund\b|\bet\b(?!\s*al)|\by\b|\be\b)\s*")
_LITTLE = {"and", "&", "et", "al", "al.", "und", "y", "e", "u", "a", "others"}
_DIGRAPHS = {"Ch", "Th", "Ph", "Sh", "Sz", "Gy", "Kh", "Zh", "Ts", "Dj", "Lj", "Nj", "St", "Wm", "Jos", "Chr"}
_JR = {"Jr", "Jr.", "jr", "jr.", "Jnr", "Jnr.", "Sr", "Sr.", "sr.", "Snr", "III", "Jun.", "Sen.", "2nd", "3rd"}
_ORG_WORDS = re.compile(
    r"\b(?:organi[sz]ation|council|association|institut\w*|society|committee|group|agency|department|ministry|"
    r"commission|bank|university|universit\w+|cent(?:er|re)s?|office|foundation|consortium|network|project|union|"
    r"board|services?|fund|team|collaboration|initiative|program(?:me)?|inc|ltd|corporation|company|bureau|"
    r"authority|federation|academy|academies|government|nations|forum|alliance|working|party|trust|health|oecd|"
    r"world|national|international|european|statistics|census|survey|press)\b",
    re.I,
)


_JOINER = re.compile(r"[-'’ ]")
_JOINERS = re.compile(r"([-'’ ])")
_HYPHEN = re.compile(r"[-‐]")
_GLUED_INITIAL = re.compile(r"\.(?=[^\s.\-‐])")
_ENDS_IN_INITIAL = re.compile(r"\b[A-Z]\.$")
_SEVERAL = re.compile(r"[,;&]|\band\b")
_LAST_INITIAL = re.compile(r"(?:.*[.\-‐])?[A-Z]\.")
_ELLIPSIS = re.compile(r"…|\.\s?\.\s?\.")
_CUT = re.compile(r"\s*(?:…|\.\s?\.\s?\.)\s*,?\s*&?\s*")
_COMMA_INITIALS = re.compile(r",\s*(?:[A-Z]\.\s*)+(?:,|$)")


@dataclass
class Reading:
    order: str
    names: list[dict[str, str]]


@dataclass
class NameList:
    """What one printed name list says: its readings, and whether it ends in "et al."."""

    text: str
    readings: list[Reading]
    et_al: bool
    caps: bool  # family names printed in capitals


# Bare capitals ("PG") count as initials, but not while reading a name list that dots its
# initials ("ADAMS, P. G."): set for the duration of one read_names call.
_BARE: ContextVar[bool] = ContextVar("bare_initials", default=True)


def _is_initials(word: str) -> bool:
    """ "P.", "P.G.", "P.-G.", "Ch.", and, unless the list dots its initials, "PG", "TWJM", "J-H".

    >>> [_is_initials(w) for w in ["P.", "P.G.", "C.-M.", "Ch.", "PG", "TCJ", "Adams", "Lee.", "J-H", "Ş."]]
    [True, True, True, True, True, True, False, False, True, True]
    """
    return _initials(word, _BARE.get())


_INITIAL_PARTS = re.compile(r"[.\-‐]+")


@lru_cache(maxsize=1 << 16)
def _initials(word: str, bare: bool) -> bool:
    w = word.rstrip(",;:")
    if not w or not w[0].isupper():
        return False
    if "." in w:
        parts = [p for p in _INITIAL_PARTS.split(w) if p]
        return (
            all(len(p) <= 2 and p[0].isupper() and (len(p) == 1 or p[1].islower()) for p in parts)
            and w.endswith(".")
            or all(len(p) == 1 and p.isupper() for p in parts)
        )
    letters = w.replace("-", "").replace("‐", "")
    return bare and len(letters) <= 4 and letters.isalpha() and letters.isupper()


def _dotted_initial(word: str) -> bool:
    return "." in word and _is_initials(word)


def _is_particle(word: str) -> bool:
    return (
        word in PARTICLES
        or word.lower()
        in ("d'", "l'", "al", "el", "bin", "ibn", "abu", "dei", "degli", "des", "zur", "vander", "vanden", "ter", "ten")
        and word[:1].islower()
    )


def _is_jr(word: str) -> bool:
    """ "Jr.", "Sr.", "III"; not "JR", which a Vancouver list prints for the initials J. R."""
    return word.rstrip(",;") in _JR


def _is_word(word: str) -> bool:
    """A name word: starts with a letter (any script), not initials or a particle."""
    w = word.rstrip(",;:")
    return bool(w) and (w[0].isalpha() or w[0] in "'’") and not _is_particle(w) and not _is_initials(w)


def _chunks(text: str) -> list[list[str]]:
    """Words between separators: [['Adams'], ['P.', 'G.'], ['Hunter'], ['C.', 'N.']]."""
    out: list[list[str]] = []
    for piece in _SEP.split(text):
        if piece is None:
            continue
        piece = piece.strip()
        if not piece or _SEP.fullmatch(" " + piece + " ") or piece in (";", ",", "&"):
            continue
        words = [w for w in piece.split() if w not in ("&",)]
        if words and out and all(_is_jr(w) for w in words):
            out[-1].extend(words)  # "King, M. L., Jr.": the suffix belongs to the name before it
        elif words:
            out.append(words)
    return out


def _family_chunk(words: list[str]) -> bool:
    """PARTICLE* WORD+ [JR]: "van der Graaf", "Garcia Marquez", "King Jr.", "DE MORAES"."""
    ws = [w for w in words if not _is_jr(w)]
    core = [w for w in ws if not _is_particle(w)]
    return (
        bool(core)
        and (all(_is_word(w) for w in core) or (len(ws) == 1 and ws[0].isupper() and len(ws[0]) >= 2))
        and len(core) <= 3
    )


def _given_chunk(words: list[str]) -> bool:
    """Initials or given names: "P. G.", "Peter G.", "C. Neil", "PG"; a trailing particle is allowed."""
    ws = list(words)
    while ws and (_is_particle(ws[-1]) or _is_jr(ws[-1])):
        ws.pop()
    return bool(ws) and all(_is_initials(w) or _is_word(w) for w in ws) and len(ws) <= 4


def _family_initials_chunk(words: list[str]) -> bool:
    """ "Adams PG", "van der Graaf S", "Adams P. G.", "Drury WJ III"."""
    ws = [w for w in words if not _is_jr(w)]
    k = _family_end(ws)
    return 0 < k < len(ws) and _family_chunk(ws[:k]) and len(ws) - k <= 3


def _family_end(ws: list[str]) -> int:
    """Where the initials start in "Adams PG" / "LEE Y" (a word in capitals first is the family)."""
    k = len(ws)
    while k > 0 and _is_initials(ws[k - 1]):
        k -= 1
    if k == 0 and len(ws) >= 2 and ws[0].isupper() and len(ws[0].strip(",.")) >= 2:
        k = 1
    return k


def _given_end(ws: list[str], initials_only: bool) -> int:
    """Where the family name starts in a given-first name: after the initials when the list's
    given names are initials only ("S. Van Trappen", "C. Vidya Nadar"), else at the last word,
    with the particles before it ("C. Neil Hunter", "S. van der Graaf", "C. M. De Moraes")."""
    if initials_only:
        k = 0
        while k < len(ws) - 1 and _is_initials(ws[k]):
            k += 1
        if k:
            return k
    k = len(ws) - 1
    while k > 1 and (_is_particle(ws[k - 1]) or ws[k - 1].lower() in PARTICLES):
        k -= 1
    while k > 0 and _is_particle(ws[k - 1]):
        k -= 1
    return k


def _given_first_chunk(words: list[str], initials_only: bool = False) -> bool:
    """ "P. G. Adams", "C. Neil Hunter", "S. van der Graaf", "Peter Adams"."""
    ws = [w for w in words if not _is_jr(w)]
    if len(ws) < 2 or not _is_word(ws[-1]):
        return False
    k = _given_end(ws, initials_only)
    given, fam = ws[:k], ws[k:]
    return (
        bool(given)
        and all(_is_initials(w) or _is_word(w) for w in given)
        and len(given) <= 4
        and (any(_is_initials(w) for w in given) or len(ws) <= 3)
        and len([w for w in fam if not _is_particle(w)]) <= 3
    )


def _recase(word: str) -> str:
    """ "ADAMS" -> "Adams", "MCDONALD" -> "McDonald", "O'BRIEN" -> "O'Brien", "ERDJUMENT-BROMAGE" -> "Erdjument-Bromage"."""
    if not word.isupper() or len(word) < 2:
        return word

    def one(part: str) -> str:
        if not part:
            return part
        low = part.lower()
        if low.startswith("mc") and len(low) > 2:
            return "Mc" + low[2].upper() + low[3:]
        return low[0].upper() + low[1:]

    return "".join(one(p) if not _JOINER.fullmatch(p) else p for p in _JOINERS.split(word))


def _dotted(given: str) -> str:
    return _dotted_cached(given, _BARE.get())


@lru_cache(maxsize=1 << 14)
def _dotted_cached(given: str, bare: bool) -> str:
    """Initials as CSL wants them: "PG" -> "P. G.", "P.G." -> "P. G.", "J-H" -> "J.-H."; names stay.

    >>> [_dotted(g) for g in ["PG", "P.G.", "J-H", "Peter G", "C.-M.", "Ch."]]
    ['P. G.', 'P. G.', 'J.-H.', 'Peter G.', 'C.-M.', 'Ch.']
    """
    out = []
    for w in given.split():
        if _is_initials(w):
            if "." not in w:
                if "-" in w or "‐" in w:
                    w = ".-".join(p for p in _HYPHEN.split(w) if p) + "."
                else:
                    w = " ".join(c + "." for c in w)
            else:
                w = _GLUED_INITIAL.sub(". ", w)
        out.append(w)
    return " ".join(out)


def _name(family_words: list[str], given_words: list[str], caps: bool) -> dict[str, str]:
    """One person from family and given words: particles and suffixes split off. The same
    people come back in every list and every reading of it: each is read once (a copy is
    returned, which the caller may amend)."""
    return dict(_name_cached(tuple(family_words), tuple(given_words), caps, _BARE.get()))


@lru_cache(maxsize=1 << 16)
def _name_cached(family_words: tuple[str, ...], given_words: tuple[str, ...], caps: bool, bare: bool) -> dict[str, str]:
    given_words = list(given_words)
    family_words = list(family_words)
    suffix = [w for w in family_words + given_words if _is_jr(w)]
    family_words = [w for w in family_words if not _is_jr(w)]
    given_words = [w for w in given_words if not _is_jr(w)]
    dropping = []
    while given_words and _is_particle(given_words[-1]):
        dropping.insert(0, given_words.pop())
    lead = []
    while len(family_words) > 1 and (_is_particle(family_words[0]) or (caps and family_words[0].lower() in PARTICLES)):
        lead.append(family_words.pop(0).lower() if caps else family_words.pop(0))
    family = " ".join(_recase(w) if caps else w for w in family_words).strip(" ,;:")
    family = family.rstrip(".") if not _ENDS_IN_INITIAL.search(family) else family
    name: dict[str, str] = {"family": family}
    given = _dotted(" ".join(w.strip(",;:") for w in given_words)).strip()
    if given:
        name["given"] = given
    if lead:
        name["non-dropping-particle"] = " ".join(lead)
    if dropping:
        name["dropping-particle"] = " ".join(dropping)
    if suffix:
        name["suffix"] = suffix[0].rstrip(",")
    return name


@lru_cache(maxsize=1 << 16)
def _has_org_word(text: str) -> bool:
    """Whether a word a group calls itself ("Consortium", "Council") is in the text: asked of
    every chunk of every list, where the same names come back."""
    return bool(_ORG_WORDS.search(text))


def _org_chunk(words: list[str]) -> bool:
    """ "1000 Genomes Project Consortium", "ICGC Breast Cancer Consortium": a group among people."""
    text = " ".join(words)
    return len(words) >= 2 and not any(_is_initials(w) for w in words) and (text[0].isdigit() or _has_org_word(text))


def _readings(chunks: list[list[str]], caps: bool, initials_only: bool = False) -> list[Reading]:
    orgs = [_org_chunk(c) for c in chunks]
    out = []
    for order in ("inverted", "family-initials", "given-first", "first-inverted", "families"):
        names = _read_in_order(order, chunks, orgs, caps, initials_only)
        if names:
            out.append(Reading(order, names))
    return out


def _read_in_order(
    order: str, chunks: list[list[str]], orgs: list[bool], caps: bool, initials_only: bool
) -> list[dict[str, str]] | None:
    """The chunks read as names in one order (a group name may stand anywhere), or None."""
    names: list[dict[str, str]] = []
    i, n = 0, len(chunks)
    while i < n:
        c = chunks[i]
        if orgs[i]:
            names.append({"literal": " ".join(c).strip(" .")})
            i += 1
            continue
        mode = order if order != "first-inverted" else ("inverted" if not names else "given-first")
        if mode == "inverted":
            if not (i + 1 < n and not orgs[i + 1] and _family_chunk(c) and _given_chunk(chunks[i + 1])):
                return None
            names.append(_name(c, chunks[i + 1], caps))
            i += 2
            continue
        if mode == "family-initials" and _family_initials_chunk(c):
            ws = [w for w in c if not _is_jr(w)]
            k = _family_end(ws)
            names.append(_name(ws[:k] + [w for w in c if _is_jr(w)], ws[k:], caps))
        elif mode == "given-first" and _given_first_chunk(c, initials_only):
            names.append(_given_first(c, caps, initials_only))
        elif mode == "families" and len(c) == 1 and _is_word(c[0]):
            names.append(_name(c, [], caps))
        else:
            return None
        i += 1
    if order == "first-inverted" and len(names) < 2:
        return None
    return names


def _given_first(words: list[str], caps: bool, initials_only: bool = False) -> dict[str, str]:
    ws = [w for w in words if not _is_jr(w)]
    k = _given_end(ws, initials_only)
    return _name(ws[k:] + [w for w in words if _is_jr(w)], ws[:k], caps)


def _initials_only(chunks: list[list[str]]) -> bool:
    """Whether the list gives initials only: no "Peter G." or "Peter Adams" anywhere in it."""
    has_initials = False
    for c in chunks:
        if _org_chunk(c):
            continue
        inits = [_is_initials(w) for w in c]
        has_initials |= any(inits)
        if any(not a and b for a, b in zip(inits, inits[1:], strict=False)) or (len(c) >= 2 and not any(inits)):
            return False
    return has_initials


_ACRONYM_WORD = re.compile(r"[A-Z]{3,6}")
_COUNTRY_INITIALS = frozenset({"U.S.", "U.K.", "E.U.", "U.N.", "U.S.A."})


def is_organisation(text: str) -> bool:
    """Whether a printed name is a group's: a word groups call themselves, or an acronym first
    with a word that is no initial after it ("BBC News", "NHS England").

    >>> is_organisation("BBC News"), is_organisation("SMITH J"), is_organisation("Centers for Disease Control")
    (True, False, True)
    """
    words = text.split()
    if (
        2 <= len(words) <= 4
        and "," not in text
        and _ACRONYM_WORD.fullmatch(words[0])
        and any(not w.isupper() and not _is_initials(w) for w in words[1:])
    ):
        return True
    if len(words) == 1:
        w = words[0].strip(".,;:")
        return (w.isupper() and len(w) >= 2 and not _is_initials(w)) or _has_org_word(w)
    if not _has_org_word(text):
        return False
    # a country's initials name no person: "U.S. Department of Health and Human Services"
    if not any(_is_initials(w) and w.strip(",;:") not in _COUNTRY_INITIALS for w in words):
        return True
    # "R Core Team", "R Development Core Team": one name, ending in what a group calls itself
    return len(words) >= 3 and not _SEVERAL.search(text) and bool(_ORG_WORDS.fullmatch(words[-1].strip(".,;:")))


@lru_cache(maxsize=1 << 17)  # a list is read twice (its order, then its names): keep the whole list
def read_names(text: str) -> NameList:
    """Every reading of one printed name list.

    >>> [r.order for r in read_names("Adams PG, Hunter CN.").readings]
    ['family-initials']
    >>> read_names("ADAMS, P. G.; HUNTER, C. N.").readings[0].names[0]
    {'family': 'Adams', 'given': 'P. G.'}
    >>> read_names("Bogumil, Jörg/Holtkamp, Lars").readings[0].names
    [{'family': 'Bogumil', 'given': 'Jörg'}, {'family': 'Holtkamp', 'given': 'Lars'}]
    """
    t = _ROLE.sub(" ", _BY.sub(" ", text.strip()))
    t = _SLASH.sub("; ", t)  # German lists: "Bogumil, Jörg/Holtkamp, Lars" is two people
    t = _YEAR_TAIL.sub("", t)
    t = t.strip(" ,;:")
    et_al = False
    m = _ET_AL.search(t)
    if m:
        et_al = True
        t = t[: m.start()].strip(" ,;:")
    last = t.split()[-1] if t.split() else ""
    if t.endswith(".") and not (
        _LAST_INITIAL.fullmatch(last)
        or last.split(".")[-2:-1]
        and last.rstrip(".").split(".")[-1] in _DIGRAPHS
        or _is_jr(last)
    ):
        t = t[:-1]  # the list's full stop, not an initial's
    t = t.strip()
    if _ELLIPSIS.search(t):  # APA's "19 names, ... Last": the list is cut, keep the names around the cut
        et_al = True
        t = _CUT.sub(", ", t)
    # printed in capitals: no word in mixed or lower case but the little ones ("and", "et", "van")
    words = [w.strip(",;:.()") for w in t.split()]
    caps = any(len(w) >= 2 and w.isupper() for w in words) and not any(
        not w.isupper() and w.lower() not in _LITTLE and w.lower() not in PARTICLES
        for w in words
        if any(c.isalpha() for c in w)
    )
    if not t:
        return NameList(text, [], et_al, caps)
    if is_organisation(t) and ";" not in t and not _COMMA_INITIALS.search(t):
        return NameList(text, [Reading("organisation", [{"literal": t.rstrip(".")}])], et_al, False)
    words = t.replace(";", ",").split()
    # the last word's full stop may be the list's ("van der Graaf S."), unless a comma stands before it ("HEEL, M.")
    last_counts = len(words) > 1 and words[-2].endswith(",")
    bare = _BARE.set(not any(_dotted_initial(w.rstrip(",")) for w in (words if last_counts else words[:-1])))
    try:
        return _read(text, t, et_al, caps)
    finally:
        _BARE.reset(bare)


def _read(text: str, t: str, et_al: bool, caps: bool) -> NameList:
    chunks = _chunks(t)
    caps_families = caps or _caps_families(chunks)
    initials_only = _initials_only(chunks)
    readings = _readings(chunks, caps_families, initials_only)
    if not readings:  # nothing fits: each chunk alone, as best it reads
        names = []
        for c in chunks:
            if _family_initials_chunk(c):
                names.extend(_readings([c], caps_families)[0].names)
            elif _org_chunk(c):
                names.append({"literal": " ".join(c).strip(" .")})
            elif _given_first_chunk(c, initials_only):
                names.append(_given_first(c, caps_families, initials_only))
            elif len(c) >= 2 and _is_particle(c[-1]) and all(_is_initials(w) for w in c[:-1]):
                names.append({"family": c[-1], "given": _dotted(" ".join(c[:-1]))})  # "R. van": cut short
            elif len(c) == 1 and _is_initials(c[0]) and names and "given" not in names[-1]:
                names[-1]["given"] = _dotted(c[0])
            else:
                names.append(
                    {"family": " ".join(c).strip(" .")}
                    if not is_organisation(" ".join(c))
                    else {"literal": " ".join(c)}
                )
        readings = [Reading("mixed", names)]
    return NameList(text, readings, et_al, caps_families)


def _caps_families(chunks: list[list[str]]) -> bool:
    """Family names in capitals before mixed-case given names or initials ("ADAMS, Peter")."""
    words = [w.strip(",.;:") for c in chunks for w in c]
    long_caps = [w for w in words if len(w) >= 3 and w.isupper() and not _is_initials(w)]
    return len(long_caps) >= max(1, len(chunks) // 2)


def list_order(readings: list[list[str]]) -> str | None:
    """The order a list keeps: the one most entries that fit only one order fit.

    >>> list_order([["inverted"], ["inverted", "families"], ["given-first"], ["inverted"]])
    'inverted'
    """
    votes = Counter(orders[0] for orders in readings if len(orders) == 1)
    if not votes:
        votes = Counter(o for orders in readings for o in orders)
    ranked = votes.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None  # a tie: each entry is read as it reads best
    return ranked[0][0]


_PREFERENCE = ("family-initials", "inverted", "given-first", "first-inverted", "families", "organisation", "mixed")


def choose(names: NameList, order: str | None) -> list[dict[str, str]]:
    """The reading in the list's order when it fits, else the likeliest."""
    if not names.readings:
        return []
    for r in names.readings:
        if r.order == order:
            return [dict(n) for n in r.names]
    best = min(
        names.readings, key=lambda r: (_implausible(r), _PREFERENCE.index(r.order) if r.order in _PREFERENCE else 99)
    )
    return [dict(n) for n in best.names]


def _implausible(reading: Reading) -> int:
    """How many names of a reading look unlike names: three or more family words, a given part
    that ends in a full word after an initial ("J. Smith" or "Paul C. Stern" read as given
    names), three given words beside a two-word family ("Elinor Ostrom" read as a family)."""
    bad = 0
    for n in reading.names:
        family = (n.get("family") or "").split()
        if len(family) > 2:
            bad += 1
        given = (n.get("given") or "").split()
        if reading.order != "inverted" or len(given) < 2:
            continue
        initial_then_word = any(_is_initials(a) and not _is_initials(b) for a, b in pairwise(given))
        if initial_then_word or (len(given) >= 3 and len(family) >= 2):
            bad += 1
    return bad


def parse_names(text: str, order: str | None = None) -> tuple[list[dict[str, str]], bool]:
    """A printed name list -> CSL names, and whether it ends in "et al.".

    >>> parse_names("T. Bovaird, G. Stoker, and R. Pinilla,")[0][2]
    {'family': 'Pinilla', 'given': 'R.'}
    >>> parse_names("S. van der Graaf and C. Veeckman,")[0][0]
    {'family': 'Graaf', 'given': 'S.', 'non-dropping-particle': 'van der'}
    >>> parse_names("Adams PG, Hunter CN.")[0]
    [{'family': 'Adams', 'given': 'P. G.'}, {'family': 'Hunter', 'given': 'C. N.'}]
    >>> parse_names("Adams, Peter G., and C. Neil Hunter.")[0][1]
    {'family': 'Hunter', 'given': 'C. Neil'}
    >>> parse_names("R. B. Parks et al.,")
    ([{'family': 'Parks', 'given': 'R. B.'}], True)
    >>> parse_names("OECD,")
    ([{'literal': 'OECD'}], False)
    >>> parse_names("R Core Team.")
    ([{'literal': 'R Core Team'}], False)
    """
    names = read_names(text)
    if _BY.match(text):
        order = "given-first"
    return choose(names, order), names.et_al
