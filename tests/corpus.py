"""A larger corpus than the seed, written as a sources folder (README, "Sources"): the seed's
sources, and several generated citing documents, each with a hand-style BibTeX
reference list, a few hundred works in all.

The works are made to be awkward for the site and its exports: particles ("van der Graaf"),
ids that hold characters URLs must encode, the same family name and year twice (two works both
"Pestoff 2012"), titles spelled co-production, coproduction and co production, conference papers
with their event and place, and works shared between documents. Same arguments, same files.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

FAMILIES = [
    ("van der Graaf", "Shenja"),
    ("de Vries", "Jan"),
    ("Löffler", "Elke"),
    ("Osborne", "Stephen P."),
    ("Pestoff", "Victor"),
    ("Bovaird", "Tony"),
    ("Ostrom", "Elinor"),
    ("O'Brien", "Máire"),
    ("Nguyen", "Thi"),
    ("Smith-Jones", "Alex"),
    ("García Márquez", "Lucía"),
    ("Brandsen", "Taco"),
]
TOPICS = [
    "co-production of public services",
    "coproduction in local government",
    "co production and digital inclusion",
    "ICT and the digital divide",
    "citizen participation in e-government",
    "New Public Governance in practice",
    "social exclusion and public portals",
    "usability of public e-services",
]
JOURNALS = ["Public Management Review", "Public Administration Review", "Government Information Quarterly"]
EVENTS = [("Annual Meeting of the Urban Affairs Association", "Denver, CO"), ("EGOV Conference", "Krems, Austria")]


def _entry(rng: random.Random, key: str, n: int) -> str:
    authors = rng.sample(FAMILIES, rng.randint(1, 3))
    year = 1975 + n % 45
    title = f"{rng.choice(TOPICS).capitalize()}: study {n}"
    names = " and ".join(f"{f}, {g}" for f, g in authors)
    kind = n % 4
    if kind == 0:
        return (
            f"@article{{{key},\n  author = {{{names}}},\n  title = {{{title}}},\n  journal = {{{rng.choice(JOURNALS)}}},\n"
            f"  volume = {{{n % 40 + 1}}},\n  number = {{{n % 4 + 1}}},\n  pages = {{{n}--{n + 20}}},\n  year = {{{year}}},\n}}\n"
        )
    if kind == 1:
        return (
            f"@book{{{key},\n  author = {{{names}}},\n  title = {{{title}}},\n  publisher = {{Routledge}},\n"
            f"  address = {{London}},\n  year = {{{year}}},\n}}\n"
        )
    if kind == 2:
        event, place = rng.choice(EVENTS)
        return (
            f"@inproceedings{{{key},\n  author = {{{names}}},\n  title = {{{title}}},\n  eventtitle = {{{event}}},\n"
            f"  venue = {{{place}}},\n  year = {{{year}}},\n}}\n"
        )
    return (
        f"@incollection{{{key},\n  author = {{{names}}},\n  title = {{{title}}},\n  booktitle = {{New Public Governance}},\n"
        f"  editor = {{Osborne, Stephen P.}},\n  publisher = {{Routledge}},\n  pages = {{{n}--{n + 15}}},\n  year = {{{year}}},\n}}\n"
    )


def _family(entry: str) -> tuple[str, str]:
    author = entry.split("author = {", 1)[1].split(",", 1)[0]
    year = entry.split("year = {", 1)[1].split("}", 1)[0]
    return author, year


def write_corpus(
    root: Path, seed: Path, documents: int = 4, per_document: int = 80, shared: int = 10, keys_descending: bool = False
) -> Path:
    """Write the corpus into ``root`` (a sources folder) and return it. ``keys_descending``: the
    first document's works have the keys that sort last (doc3-w000 ... in essay-0's list), so
    that the works' order in the library is not their keys' order."""
    rng = random.Random(14)
    for name in ("bibliography", "evidence", "concepts"):
        shutil.copytree(seed / name, root / name)
    shutil.copy(seed / "metadata.yml", root / "metadata.yml")
    bib = root / "bibliography"
    common = [_entry(rng, f"shared{i:02d}", 1000 + i) for i in range(shared)]
    # two works with the same first author and year, as Pestoff 2012a and 2012b
    common.append(
        "@article{pestoff2012a,\n  author = {Pestoff, Victor},\n  title = {Co-production and third sector social services in Europe},\n"
        "  journal = {Voluntas},\n  year = {2012},\n}\n"
    )
    common.append(
        "@book{pestoff2012b,\n  author = {Pestoff, Victor},\n  title = {New public governance, the third sector and co-production},\n"
        "  publisher = {Routledge},\n  year = {2012},\n}\n"
    )
    for d in range(documents):
        k = documents - 1 - d if keys_descending else d
        own = [_entry(rng, f"doc{k}-w{i:03d}", d * 1000 + i) for i in range(per_document)]
        entries = own + common
        (bib / f"essay-{d}-references.bib").write_text("\n".join(entries), encoding="utf-8")
        paragraphs = []
        for p in range(0, len(entries), 4):
            cites = "; ".join("{}, {}".format(*_family(e)) for e in entries[p : p + 4])
            topic = TOPICS[p // 4 % len(TOPICS)]
            paragraphs.append(f"Work on {topic} has grown, and ICT shapes coproduction with citizens ({cites}).")
        (bib / f"essay-{d}.md").write_text(
            f'---\nid: essay-{d}\ntitle: "Generated essay {d}"\nkind: essay\nreferences: essay-{d}-references.bib\n'
            f"note: Generated for the tests (tests/corpus.py); the works are invented.\n---\n"
            + "\n\n".join(paragraphs)
            + "\n",
            encoding="utf-8",
        )
    return root


def write_sources(root: Path, files: dict[str, str | bytes]) -> Path:
    """A small sources folder at ``root``: each of ``files`` (a name in ``bibliography/`` -> its
    text, written as UTF-8, or its bytes) written there. The ``bibliography/`` folder."""
    folder = root / "bibliography"
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content, encoding="utf-8")
    return folder
