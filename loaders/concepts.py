"""The concept scheme (YAML, SKOS-like): concepts with labels, definitions and their sources,
broader/related links, EuroVoc matches, and curated links the text implies."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kb.normalise import slug
from kb.records import Concept, Document, KbError, one_of
from loaders.evidence import locate
from loaders.yamlfile import read_yaml, require


def load_concepts(paths: list[Path], documents: dict[str, Document]) -> tuple[list[Concept], list[dict[str, Any]]]:
    """Read concept scheme files; return concepts and curated links (validated)."""
    concepts: list[Concept] = []
    curated: list[dict[str, Any]] = []
    for path in sorted(paths):
        data = read_yaml(path)
        if not isinstance(data, dict):
            raise KbError("a concept scheme must be a mapping with 'concepts:'", str(path), 1)
        for record in data.get("concepts") or []:
            require(record, ("id", "pref_label", "definition", "source"), path, "concept")
            if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", str(record["id"])):
                raise KbError(
                    f"concept id {record['id']!r} is not a slug",
                    str(path),
                    record.line,
                    hint=f"ids are lower-case words joined by hyphens, e.g. {slug(str(record['id']))!r}; "
                    "the label goes in pref_label",
                )
            source = locate(record["source"], documents, path, record.line)
            concepts.append(
                Concept(
                    id=record["id"],
                    pref_label=record["pref_label"],
                    alt_labels=list(record.get("alt_labels") or []),
                    hidden_labels=list(record.get("hidden_labels") or []),
                    definition=" ".join(str(record["definition"]).split()),
                    source=source,
                    broader=list(record.get("broader") or []),
                    related=list(record.get("related") or []),
                    exact_match=record.get("exact_match"),
                    line=record.line,
                    not_within=list(record.get("not_within") or []),
                )
            )
        for record in data.get("curated_links") or []:
            require(record, ("concept", "target", "evidence", "why"), path, "curated link")
            link = dict(record)
            link["evidence"] = locate(record["evidence"], documents, path, record.line)
            link["source_file"], link["line"] = str(path), record.line
            curated.append(link)
    known = {c.id for c in concepts}
    for c in concepts:
        for other in c.broader + c.related:
            if other not in known:
                raise KbError(
                    f"concept {c.id!r} links to unknown concept {other!r}",
                    paths[0].as_posix(),
                    c.line,
                    hint=one_of(known, other),
                )
    for link in curated:
        if link["concept"] not in known:
            raise KbError(f"curated link names unknown concept {link['concept']!r}", link["source_file"], link["line"])
    return concepts, curated
