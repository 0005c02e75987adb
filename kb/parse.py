"""Reference strings -> CSL-JSON works: a CRF sequence labeller over tokens (python-crfsuite),
then normalisers for names, dates, pages, volume and issue.

The labeller is trained on AnyStyle's annotated reference strings (BSD-2-Clause, copyright
Sylvester Keil; see kb/models/LICENSE-anystyle.txt). Rebuild the shipped model with
``kb train-parser PATH/anystyle_core.jsonl``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.model import KbError, Problem, Work
from kb.normalise import PARTICLES, citation_key, entry_problems, unique_keys
from kb.normalise import pages as norm_pages

MODEL_PATH = Path(__file__).parent / "models" / "refparser.crfsuite"

_KEYWORDS = {
    "vol", "vols", "no", "nos", "pp", "p", "in", "eds", "ed", "edn", "edition", "press", "university", "univ",
    "journal", "j", "proceedings", "proc", "conference", "conf", "symposium", "workshop", "review", "report",
    "retrieved", "available", "accessed", "http", "https", "doi", "isbn", "thesis", "dissertation", "phd",
    "presented", "meeting", "annual", "transactions", "trans", "quarterly", "bulletin", "letters", "publishing",
    "publishers", "inc", "ltd", "verlag", "institute", "department", "technical", "tech", "rep", "and", "et", "al",
    "&", "new", "york", "london", "paris", "berlin", "cambridge", "oxford", "chicago", "boston", "san", "editor",
    "editors", "translated", "chap", "chapter", "issue", "series", "magazine", "online", "url",
}
_MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "january",
           "february", "march", "april", "june", "july", "august", "september", "october", "november", "december"}
_OPEN_Q = "“\"‘«„"
_CLOSE_Q = "”\"’»"


_PLACES: tuple[frozenset[str], frozenset[str]] | None = None


def places() -> tuple[frozenset[str], frozenset[str]]:
    """One-word and two-word place names (GeoNames, CC BY 4.0; see kb/models/places.txt)."""
    global _PLACES
    if _PLACES is None:
        one, two = set(), set()
        path = Path(__file__).parent / "models" / "places.txt"
        for line in path.read_text(encoding="utf-8").splitlines():
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


_FUNCTION_WORDS = {"of", "and", "the", "in", "for", "on", "a", "an", "to", "with", "de", "la", "und", "der", "die",
                   "et", "du", "des", "at", "by", "from"}
_IN = re.compile(r"In:?|in:|Im|Dans|In\.")
_EDS = re.compile(r"\(?(?:eds?|hrsg|hg|dir|éd)s?\.?\)?[.,:]?", re.I)


_VOLUME = re.compile(r"(?:vol|vols|bd|jg|t|tome|band|v)\.?|\d+\s*\(\s*\d+[-–/]?\d*\s*\)[.,:;]?|\d+\(\d+.*", re.I)


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


def _case(token: str) -> str:
    """C capitalised, c lower case, f a function word, d a number, p punctuation, o other."""
    c = token.strip("“\"‘(").rstrip(".,;:)”\"’")
    if not c:
        return "p"
    if c.lower() in _FUNCTION_WORDS:
        return "f"
    return "C" if c[0].isupper() else "c" if c[0].islower() else "d" if c[0].isdigit() else "o"


def tokenize(text: str) -> list[str]:
    """Whitespace tokens, as in the annotated data."""
    return text.split()


_ASCII_SHAPE = str.maketrans({**{c: "X" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
                              **{c: "x" for c in "abcdefghijklmnopqrstuvwxyz"}})
_OTHER_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
_RUN = re.compile(r"(.)\1+")


def _shape(word: str) -> str:
    """
    >>> _shape("Löffler,"), _shape("2007a).")
    ('Xuxx,', 'ddx).')
    """
    s = _DIGIT.sub("d", word.translate(_ASCII_SHAPE))
    if not s.isascii():
        s = _OTHER_LETTER.sub(lambda m: m.group() if m.group() in "Xxd" else "u", s)
    return _RUN.sub(r"\1\1", s)[:8]


_NOT_CORE = re.compile(r"[^\w&]")
# per-token patterns, compiled once: token_features runs them on every token
_INITIAL = re.compile(r"\(?[A-Z][a-z]?\.(?:-[A-Z]\.)?[,;]?|[A-Z]\.[A-Z]\.(?:[A-Z]\.)?,?")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)[a-z]?(?!\d)")
_RANGE = re.compile(r"\d+\s*[-–—]\s*\d+")
_DOI_START = re.compile(r"10\.\d{4,}/")
_ABBREVIATED_NAME = re.compile(r"[A-Z][a-z]?\.|(?:[A-Z]\.)+,?")


def _core(word: str) -> str:
    return _NOT_CORE.sub("", unicodedata.normalize("NFKC", word).lower())


def token_features(tokens: list[str]) -> list[list[str]]:
    """AnyStyle/GROBID-style lexical and layout features for each token."""
    n = len(tokens)
    feats: list[list[str]] = []
    in_quote = False
    in_single = False
    seen_year = False
    seen_quote_close = False
    cores = [_core(t) for t in tokens]
    shapes = [_shape(t) for t in tokens]
    one_word_places, two_word_places = places()
    ltwa = title_words()
    padded_cases = "__" + "".join(_case(t) for t in tokens) + "__"  # one letter a token
    seen_in = seen_eds = False
    dots = commas = 0
    in_paren = False
    joined = " ".join(tokens[:12])
    style = []
    if any(q in " ".join(tokens) for q in "“\"«"):
        style.append("style=quoted")
    if re.search(r"\((?:1[5-9]|20)\d\d[a-z]?\)", joined):
        style.append("style=yearparen")
    if tokens and re.fullmatch(r"\[?\d+[.\]]", tokens[0]):
        style.append("style=numbered")
    style.extend(_reference_cues(tokens))
    for i, tok in enumerate(tokens):
        core = cores[i]
        first, last = tok[0], tok[-1]
        f = [
            "bias",
            f"w={core[:20]}",
            f"shape={shapes[i]}",
            f"last={last if not last.isalnum() else 'a'}",
            f"first={first if not first.isalnum() else ('C' if first.isupper() else 'c' if first.isalpha() else 'd')}",
            f"pos={min(9, int(10 * i / max(n, 1)))}",
            f"len={min(len(core), 10)}",
            f"suf3={core[-3:]}",
            f"suf2={core[-2:]}",
        ]
        if _INITIAL.fullmatch(tok):
            f.append("initial")
        if _YEAR.search(tok):
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
        if tok[:1] in _OPEN_Q:
            f.append("openquote")
            if tok[:1] == "‘":
                in_single = True
            else:
                in_quote = True
        if in_quote:
            f.append("inquote")
        tail = tok[-3:]
        # a closing double quote; a closing single quote only after an opening one (not "Citizens’")
        if "”" in tail or (tok.endswith(('"', '",', '".')) and len(tok) > 1) or ("’" in tail and in_single):
            f.append("closequote")
            if "’" in tail and in_single and "”" not in tail:
                in_single = False
            elif in_quote:
                in_quote = False
                seen_quote_close = True
        if seen_quote_close:
            f.append("afterquote")
        if seen_year:
            f.append("afteryear")
        if "year" in f:
            seen_year = True
        if first == "(":
            f.append("openparen")
        if last == ")" or tok.endswith(").") or tok.endswith("),"):
            f.append("closeparen")
        if tok.startswith(("http", "www.")) or "doi.org" in tok:
            f.append("url")
        if tok.lower().startswith("doi:") or _DOI_START.match(tok):
            f.append("doi")
        if tok.isupper() and len(core) > 1:
            f.append("allcaps")
        elif first.isupper():
            f.append("title")
        f.append(f"dots={min(dots, 6)}")
        f.append(f"commas={min(commas, 8)}")
        if in_paren:
            f.append("inparen")
        f.extend(style)
        if i == 0:
            f.append("BOS")
        if i == n - 1:
            f.append("EOS")
        if i > 0:
            prev_last = tokens[i - 1][-1]
            f.append(f"plast|shape={prev_last if not prev_last.isalnum() else 'a'}|{shapes[i]}")
        for off in (-3, -2, -1, 1, 2, 3):
            j = i + off
            if 0 <= j < n:
                f.append(f"w[{off}]={cores[j][:20]}")
                if off in (-1, 1):
                    f.append(f"last[{off}]={tokens[j][-1] if not tokens[j][-1].isalnum() else 'a'}")
                    f.append(f"first[{off}]={tokens[j][0] if not tokens[j][0].isalnum() else ('C' if tokens[j][0].isupper() else 'c')}")
                    f.append(f"shape[{off}]={shapes[j]}")
        if first.isupper() and core in one_word_places:
            f.append("place")
        if first.isupper() and i + 1 < n and f"{core} {cores[i + 1]}" in two_word_places:
            f.append("place2")
        if i > 0 and tokens[i - 1][:1].isupper() and f"{cores[i - 1]} {core}" in two_word_places:
            f.append("place2")
        # long-range cues for container against title: "In" or "(eds.)" earlier in the reference
        if seen_in:
            f.append("after_in")
        if seen_eds:
            f.append("after_eds")
        if _IN.fullmatch(tok) or (tok == "in" and i > 0 and tokens[i - 1][-1] in ".,"):
            seen_in = True
        if _EDS.fullmatch(tok):
            seen_eds = True
        # journal titles: words of serial titles, their ISO 4 abbreviations, and Title Case runs
        if len(core) > 2 and ltwa.is_word(core):
            f.append("ltwa")
        if ltwa.is_abbreviation(tok):
            f.append("ltwa_abbr")
        f.append("caps=" + padded_cases[i:i + 5])
        feats.append(f)
        if tok.endswith(".") and not _ABBREVIATED_NAME.fullmatch(tok):
            dots += 1
        if tok.endswith(","):
            commas += 1
        if "(" in tok and ")" not in tok:
            in_paren = True
        elif ")" in tok:
            in_paren = False
    return feats


def training_sequences(path: Path) -> list[tuple[list[str], list[str]]]:
    """(tokens, labels) per annotated reference from the JSONL file. Labels are BIO-style:
    "B-title" starts a segment, "I-title" continues it, so that the labeller learns where
    segments begin (three points of field F1 over plain labels in cross-validation)."""
    out = []
    hint = 'give one {"segments": [[label, text], ...]} object a line'
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise KbError(f"not UTF-8 (byte {e.object[e.start]:#x} at offset {e.start})", str(path), None, hint) from None
    for number, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise KbError(f"not JSON: {e.msg}", str(path), number, hint) from None
        segs = row.get("segments") if isinstance(row, dict) else None
        if not isinstance(segs, list) or not all(
                isinstance(x, list) and len(x) == 2 and all(isinstance(v, str) for v in x) for x in segs):
            raise KbError("no annotated segments on this line", str(path), number, hint)
        tokens, labels = [], []
        for label, text in segs:
            for j, tok in enumerate(tokenize(text)):
                tokens.append(tok)
                labels.append(("B-" if j == 0 else "I-") + label)
        if tokens:
            out.append((tokens, labels))
    return out


def train(sequences: Iterable[tuple[list[str], list[str]]], model_path: Path, max_iterations: int = 150) -> None:
    """Train a CRF on (tokens, labels) sequences and write the model file (atomically)."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for tokens, labels in sequences:
        trainer.append(token_features(tokens), labels)
    trainer.set_params({"c1": 0.05, "c2": 0.01, "max_iterations": max_iterations,
                        "feature.possible_transitions": True})
    model_path.parent.mkdir(parents=True, exist_ok=True)
    partial = model_path.with_name(model_path.name + ".partial")
    try:  # write beside the model, then swap: an interrupted run leaves the old model intact
        trainer.train(str(partial))
        partial.replace(model_path)
    finally:
        partial.unlink(missing_ok=True)


class Labeller:
    """The trained CRF: tokens -> labels."""

    def __init__(self, model_path: Path = MODEL_PATH):
        import pycrfsuite

        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(str(model_path))

    def label(self, tokens: list[str]) -> list[str]:
        if not tokens:
            return []
        return self.tagger.tag(token_features(tokens))


_labeller: Labeller | None = None


def default_labeller() -> Labeller:
    global _labeller
    if _labeller is None:
        _labeller = Labeller()
    return _labeller


# ---------------------------------------------------------------------------------------------
# Normalisers: labelled segments -> CSL-JSON


def segments(tokens: list[str], labels: list[str]) -> list[tuple[str, str]]:
    """Join labelled tokens into (label, text) segments. A "B-" label starts a segment; an
    "I-" label (or a plain label) continues the segment of the same label before it.

    >>> segments(["(2007).", "Beyond", "engagement."], ["B-date", "B-title", "I-title"])
    [('date', '(2007).'), ('title', 'Beyond engagement.')]
    """
    out: list[tuple[str, str]] = []
    for tok, lab in zip(tokens, labels, strict=True):
        begin, _, name = lab.partition("-") if lab[:2] in ("B-", "I-") else ("", "", lab)
        if out and out[-1][0] == name and begin != "B":
            out[-1] = (name, out[-1][1] + " " + tok)
        else:
            out.append((name, tok))
    return out


_STRIP = " ,.;:"


def _clean(text: str) -> str:
    text = text.strip()
    text = text.strip(_STRIP)
    return text.strip()


def clean_title(text: str) -> str:
    """Drop the quotes and final punctuation an IEEE or APA list puts around a title.

    >>> clean_title("“The New Public Governance?,”")
    'The New Public Governance?'
    >>> clean_title("“Analysing ... Japanese ‘smart Communities,’”")
    'Analysing ... Japanese ‘smart Communities’'
    """
    t = text.strip().rstrip(",;")
    for _ in range(2):
        t = t.strip()
        if t[:1] in "“\"" :
            t = t[1:]
        if t[-1:] in "”\"":
            t = t[:-1]
        t = t.rstrip(",;")
    if t.endswith(",’"):
        t = t[:-2] + "’"
    t = t.strip()
    if t.endswith(".") and not re.search(r"\b[A-Z]\.$|\bet al\.$|\.\.\.$", t):
        t = t[:-1]
    return t.strip()


def parse_names(text: str) -> tuple[list[dict[str, str]], bool]:
    """A printed author list -> CSL names, and whether it ends in "et al.".

    >>> parse_names("T. Bovaird, G. Stoker, and R. Pinilla,")
    ([{'family': 'Bovaird', 'given': 'T.'}, {'family': 'Stoker', 'given': 'G.'}, {'family': 'Pinilla', 'given': 'R.'}], False)
    >>> parse_names("S. van der Graaf and C. Veeckman,")[0][0]
    {'family': 'van der Graaf', 'given': 'S.'}
    >>> parse_names("Bovaird, T., & Loeffler, E. (2012).")[0]
    [{'family': 'Bovaird', 'given': 'T.'}, {'family': 'Loeffler', 'given': 'E.'}]
    >>> parse_names("R. B. Parks et al.,")
    ([{'family': 'Parks', 'given': 'R. B.'}], True)
    >>> parse_names("OECD,")
    ([{'literal': 'OECD'}], False)
    """
    t = re.sub(r"\s*\((?:1[5-9]\d\d|20\d\d|n\.d\.)[a-z]?\)[.,]?\s*$", "", text.strip())
    t = t.rstrip(",;: ")
    if t.endswith(".") and not re.search(r"(?:^|[\s.-])[A-Z][a-z]?\.$|\bal\.$", t):
        t = t[:-1]
    t = re.sub(r"\s*\(?(?:eds?|Hrsg|dir)\.?\)?$", "", t, flags=re.I)
    et_al = False
    m = re.search(r",?\s*(?:et\.?\s*al\.?|and others)$", t)
    if m:
        et_al = True
        t = t[: m.start()]
    t = t.strip().rstrip(",")
    if not t:
        return [], et_al
    # "Family, I." pairs (APA, Harvard) or "I. Family" items (IEEE)
    if re.search(r"^[^,]+,\s*(?:[A-Z][a-z]?\.[\s-]*)+(?:,|$|\s*&|\s+and\b)", t) and not re.match(r"^(?:[A-Z]\.\s*)+\S", t):
        parts = re.split(r"\s*(?:,\s*&|&|;|,?\s+and\s+)\s*", t)
        names = []
        for part in parts:
            bits = [b.strip() for b in re.split(r",\s*", part) if b.strip()]
            while len(bits) >= 2:
                names.append(_name(bits[0], bits[1]))
                bits = bits[2:]
            if bits:
                names.append(_split_given_family(bits[0]))
        return [n for n in names if n], et_al
    items = re.split(r"\s*(?:,\s*and\s+|,\s*&\s*|\s+and\s+|\s*&\s*|,|;)\s*", t)
    return [n for n in (_split_given_family(i) for i in items if i.strip()) if n], et_al


def _name(family: str, given: str) -> dict[str, str]:
    family = family.strip()
    given = given.strip()
    particles = []
    while given.split() and given.split()[-1].lower() in PARTICLES:
        particles.insert(0, given.split()[-1])
        given = " ".join(given.split()[:-1])
    out = {"family": " ".join(particles + [family]).strip()}
    if given:
        out["given"] = given
    return out


def _split_given_family(item: str) -> dict[str, str]:
    words = item.strip().rstrip(".,").split() if not re.search(r"\b[A-Z]\.$", item.strip()) else item.strip().split()
    if not words:
        return {}
    if len(words) == 1:
        w = words[0]
        return {"literal": w} if w.isupper() or not re.search(r"[a-z]", w) else {"family": w}
    i = 0
    while i < len(words) - 1 and re.fullmatch(r"(?:[A-Z][a-z]?\.)+(?:-[A-Z][a-z]?\.)*|[A-Z][a-z]+", words[i]) and \
            words[i].lower() not in PARTICLES:
        i += 1
        if i < len(words) and words[i].lower() in PARTICLES:
            break
    given = " ".join(words[:i])
    family = " ".join(words[i:])
    if not given:
        return {"literal": family} if family.isupper() else {"family": family}
    return {"family": family, "given": given}


def _volume_issue(text: str) -> tuple[str | None, str | None]:
    """ "vol. 23, no. 4" -> ("23", "4"); "6(1)" -> ("6", "1"); "vol. 19, no. 1–2" -> ("19", "1-2")."""
    t = text.strip().rstrip(",.;:")
    m = re.search(r"(?:vol(?:ume)?\.?\s*)?(\d+[A-Za-z]?)\s*(?:,\s*(?:no|nr|issue|iss)\.?\s*|\()\s*(\d+(?:\s*[-–/]\s*\d+)?)\)?", t, re.I)
    if m:
        return m.group(1), re.sub(r"\s*[-–]\s*", "-", m.group(2))
    m = re.search(r"(?:vol(?:ume)?\.?\s*)?(\d+[A-Za-z]?)", t, re.I)
    if m:
        issue = re.search(r"(?:no|nr|issue)\.?\s*(\d+(?:[-–]\d+)?)", t[m.end():], re.I)
        return m.group(1), (re.sub("–", "-", issue.group(1)) if issue else None)
    issue = re.search(r"(?:no|nr|issue)\.?\s*(\d+(?:[-–]\d+)?)", t, re.I)
    return None, (issue.group(1).replace("–", "-") if issue else None)


@dataclass
class Parsed:
    csl: dict[str, Any]
    et_al: bool
    problems: list[tuple[str, str]] = field(default_factory=list)  # (code, message)


def to_csl(segs: list[tuple[str, str]], raw: str) -> Parsed:
    """Labelled segments -> a CSL-JSON item (without ``id``); parse_reference adds the problems."""
    csl: dict[str, Any] = {}
    first: dict[str, str] = {}
    for lab, text in segs:
        first.setdefault(lab, text)
    et_al = False
    if "author" in first:
        names, et_al = parse_names(first["author"])
        if names:
            csl["author"] = names
    if "editor" in first:
        ed, _ = parse_names(re.sub(r"^(?:In|in)\s+", "", first["editor"]))
        if ed:
            csl["editor"] = ed
    if "title" in first:
        csl["title"] = clean_title(first["title"])
    container = first.get("journal") or first.get("container-title")
    presented = None
    if container:
        c = _clean(container)
        m = re.match(r"(?:presented at|paper presented at)\s+(?:the\s+)?(.*)", c, re.I)
        if m:
            presented = m.group(1)
        else:
            c = re.sub(r"^(?:In|in):?\s+", "", c)
            csl["container-title"] = c
    note = first.get("note")
    if note and not presented:
        m = re.match(r"(?:presented at|paper presented at)\s+(?:the\s+)?(.*)", _clean(note), re.I)
        if m:
            presented = m.group(1)
    if "volume" in first:
        vol, issue = _volume_issue(first["volume"])
        if vol:
            csl["volume"] = vol
        if issue:
            csl["issue"] = issue
    if "pages" in first:
        csl["page"] = norm_pages(first["pages"])
    dates = [t for lab, t in segs if lab == "date"]
    for d in dates:
        m = re.search(r"(1[5-9]\d\d|20\d\d)", d)
        if m:
            csl["issued"] = {"date-parts": [[int(m.group(1))]]}
            break
    labels_in_order = [lab for lab, _ in segs]
    if presented:
        # "presented at the Annual Meeting of the | American Society ... | San Francisco": the
        # labeller may cut the event's name in two; what follows it up to the place is the event.
        i = next(k for k, (lab, text) in enumerate(segs) if re.search(r"presented at", text, re.I))
        joined = segs[i][1]
        for lab, text in segs[i + 1:]:
            if lab in ("location", "date"):
                break
            joined += " " + text
        event = re.sub(r"^.*?presented at\s+(?:the\s+)?", "", _clean(joined), flags=re.I)
        parts = [p.strip() for p in event.split(",") if p.strip()]
        csl["event"] = parts[0]
        if len(parts) > 1:
            csl["event-place"] = ", ".join(parts[1:])
        first.pop("publisher", None)
    if "publisher" in first:
        csl["publisher"] = _clean(first["publisher"])
    if "location" in first:
        loc = _clean(first["location"])
        k = labels_in_order.index("location")
        followed_by_date = k + 1 < len(segs) and segs[k + 1][0] == "date"
        if presented:
            csl.setdefault("event-place", loc)
        elif "publisher" not in csl and followed_by_date and first["location"].rstrip().endswith(","):
            # "..., Routledge, 2012.": a name right before the year, with no publisher, is the publisher
            csl["publisher"] = loc
        else:
            csl["publisher-place"] = loc
    for lab, var in (("edition", "edition"), ("doi", "DOI"), ("url", "URL"), ("isbn", "ISBN"),
                     ("collection-title", "collection-title"), ("genre", "genre")):
        if lab in first:
            value = _clean(first[lab])
            if var == "DOI":
                value = re.sub(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", "", value, flags=re.I)
            if var == "URL":
                value = re.sub(r"^(?:available|retrieved from|url)[:\s]+", "", value, flags=re.I)
            csl[var] = value
    csl["type"] = _guess_type(csl, first, raw, presented)
    return Parsed(csl, et_al)


def _guess_type(csl: dict[str, Any], first: dict[str, str], raw: str, presented: str | None) -> str:
    genre = (first.get("genre") or first.get("note") or "").lower()
    container = (csl.get("container-title") or "").lower()
    if presented:
        return "paper-conference"
    if "thesis" in genre or "dissertation" in genre:
        return "thesis"
    if "report" in genre:
        return "report"
    if "journal" in first:
        return "article-journal"
    if "container-title" in first:
        if re.search(r"proceedings|conference|symposium|workshop|proc\.", container):
            return "paper-conference"
        if not re.match(r"\s*in\b", first["container-title"], re.I) and "editor" not in first \
                and "publisher" not in first and "location" not in first:
            return "article-journal"  # a container with no "In", editors or publisher is a periodical
        return "chapter"
    if "publisher" in first:
        return "book"
    authors = csl.get("author") or []
    if authors and all("literal" in a for a in authors):
        return "report"
    if "URL" in csl:
        return "webpage"
    if "title" in first and not re.match(r"^[“\"]", first["title"].strip()):
        return "book"
    return "document"


_LABEL = re.compile(r"^\s*(?:\[(\d+)\]|(\d+)\.(?=\s))\s*")


def split_entries(text: str) -> list[tuple[int, str]]:
    """A reference list -> (line, entry) pairs: entries separated by blank lines when the
    text has them, else one per line."""
    lines = text.split("\n")
    blocks: list[tuple[int, list[str]]] = []
    has_blank_separators = any(not ln.strip() for ln in lines[1:-1]) and any(
        ln.strip() and i + 1 < len(lines) and lines[i + 1].strip() for i, ln in enumerate(lines))
    current: tuple[int, list[str]] | None = None
    for i, ln in enumerate(lines, 1):
        if not ln.strip():
            current = None
            continue
        if has_blank_separators and current is not None:
            current[1].append(ln.strip())
        else:
            current = (i, [ln.strip()])
            blocks.append(current)
    return [(line, " ".join(parts)) for line, parts in blocks]


def parse_reference(raw: str, labeller: Labeller | None = None) -> Parsed:
    """One reference string -> Parsed (CSL without id, et al., problems)."""
    labeller = labeller or default_labeller()
    text = unicodedata.normalize("NFC", raw)
    m = _LABEL.match(text)
    label = None
    if m:
        label = m.group(1) or m.group(2)
        text = text[m.end():]
    tokens = tokenize(text)
    if len(tokens) > 2000:
        return Parsed({"type": "document"}, False, [UNPARSED])
    labels = labeller.label(tokens)
    parsed = to_csl(segments(tokens, labels), text)
    parsed.problems = entry_problems(parsed.csl, parsed.et_al)
    if label:
        parsed.csl["citation-label"] = label
    words = [parsed.csl.get("title", ""), parsed.csl.get("container-title", "")]
    words += [a.get("family") or a.get("literal") or "" for a in parsed.csl.get("author", [])]
    if not any(re.search(r"[^\W\d_]{2,}", w) for w in words):  # no title, author or container in words
        parsed.problems = [UNPARSED]  # says it all: no year or title to speak of
    return parsed


def parse_references(text: str, source: str = "<string>", labeller: Labeller | None = None) -> list[Work]:
    """A whole reference list -> works in input order, never fewer than entries."""
    works: list[Work] = []
    for position, (line, raw) in enumerate(split_entries(text), 1):
        parsed = parse_reference(raw, labeller)
        work = Work(csl=parsed.csl, raw=raw, source=source, line=line, position=position, et_al=parsed.et_al)
        work.problems = [Problem(code=c, message=m, source=source, line=line) for c, m in parsed.problems]
        works.append(work)
    keys = []
    for w in works:
        a = (w.csl.get("author") or w.csl.get("editor") or [{}])[0]
        keys.append(citation_key(a.get("family") or a.get("literal") or "", w.year, w.csl.get("title", "")))
    for w, key in zip(works, unique_keys(keys), strict=True):
        w.csl = {"id": key, **w.csl}
        for p in w.problems:
            p.work_id = key
    return works


UNPARSED = ("unparsed-reference", "could not find a title or an author in this reference")
