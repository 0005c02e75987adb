"""SQLite schema and writes. ``save_*(db, ...)`` write one kind of record;
``ensure_db_shape(db)`` ends a build with foreign keys, full-text search and indexes.

Table names are a contract: documents, passages, works, authors, work_authors, citations,
concepts, concept_labels, concept_links, sessions, focus_groups, topics, criteria, methods,
findings, problems (and a few helpers: studies, method_hats, instruments, concept_relations).
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from kb.model import Citation, Concept, ConceptLink, Document, Problem, Work
from kb.normalise import display_name, family, fold, name_key


def _names(names: list[dict[str, str]]) -> str:
    return "; ".join(display_name(n) for n in names)


def author_id(name: dict[str, str]) -> str:
    """A stable author id: ASCII family name and initials ("bovaird-t", "loffler-e")."""
    if name.get("literal"):
        return name_key(name["literal"])
    initials = "".join(w[0] for w in fold(name.get("given", "")).replace("-", " ").replace(".", " ").split() if w)
    return f"{name_key(family(name))}-{initials.lower()}".strip("-")


def save_documents(db: sqlite_utils.Database, documents: list[Document]) -> None:
    db["documents"].insert_all(({
        "id": d.id, "title": d.title, "kind": d.kind, "path": d.path,
        "source": d.meta.get("source"), "source_title": d.meta.get("source_title"),
        "source_lines": d.meta.get("source_lines"), "note": " ".join(str(d.meta.get("note") or "").split()) or None,
        "references_file": d.meta.get("references"), "passage_count": len(d.passages),
    } for d in documents), pk="id")
    db["passages"].insert_all(({
        "id": p.id, "document_id": p.document_id, "number": p.number, "text": p.text,
        "start": p.start, "end": p.end, "line": p.line, "source_line": p.source_line,
        "kind": d.kind,
    } for d in documents for p in d.passages), pk="id", foreign_keys=[("document_id", "documents", "id")])


def save_works(db: sqlite_utils.Database, works: list[Work], stats: dict[str, dict[str, Any]] | None = None) -> None:
    stats = stats or {}
    rows = []
    for w in works:
        csl = w.csl
        year = w.year
        rows.append({
            "id": w.id, "authors": _names(w.authors) + ("; et al." if w.et_al else ""), "year": year,
            "title": csl.get("title"), "type": csl.get("type"),
            "author_count": len(w.authors), "et_al": int(w.et_al),
            "container_title": csl.get("container-title"), "volume": csl.get("volume"),
            "issue": csl.get("issue"), "page": csl.get("page"),
            "decade": f"{year // 10 * 10}s" if year else None,
            "publisher": csl.get("publisher"), "publisher_place": csl.get("publisher-place"),
            "event_title": csl.get("event"), "event_place": csl.get("event-place"),
            "doi": csl.get("DOI"), "url": csl.get("URL"),
            "position": w.position, "source": w.source, "line": w.line, "provenance": w.provenance,
            "raw": w.raw or None,
            "csl_json": json.dumps(csl, ensure_ascii=False, sort_keys=True),
            **stats.get(w.id, {}),
        })
    db["works"].insert_all(rows, pk="id", alter=True)
    authors: dict[str, dict[str, Any]] = {}
    links = []
    for w in works:
        for role in ("author", "editor"):
            for i, n in enumerate(w.csl.get(role) or [], 1):
                aid = author_id(n)
                authors.setdefault(aid, {"id": aid, "family": family(n),
                                         "given": n.get("given"), "is_organisation": int("literal" in n),
                                         "display": _names([n])})
                links.append({"work_id": w.id, "author_id": aid, "role": role, "position": i,
                              "as_printed": _names([n])})
    db["authors"].insert_all(sorted(authors.values(), key=lambda a: a["id"]), pk="id")
    db["work_authors"].insert_all(links, pk=("work_id", "role", "position"),
                                  foreign_keys=[("work_id", "works", "id"), ("author_id", "authors", "id")])


def save_work_sources(db: sqlite_utils.Database, sources: list[Any]) -> None:
    """Which source said what, field by field, for every work."""
    db["work_sources"].insert_all(({
        "work_id": s.work_id, "field": s.field, "source": s.source, "line": s.line, "value": s.value,
    } for s in sources), foreign_keys=[("work_id", "works", "id")])
    db["work_sources"].create({"work_id": str, "field": str, "source": str, "line": int, "value": str},
                              if_not_exists=True)


def save_reference_entries(db: sqlite_utils.Database, entries: list[dict[str, Any]]) -> None:
    """Every entry of every reference list, with its raw text, and the work it is."""
    db["reference_entries"].insert_all(entries, pk=("document_id", "position"),
                                       foreign_keys=[("document_id", "documents", "id"), ("work_id", "works", "id")])
    db["reference_entries"].create({"document_id": str, "position": int, "source": str, "line": int, "raw": str,
                                    "work_id": str, "key_in_list": str}, pk=("document_id", "position"),
                                   if_not_exists=True)


def save_citations(db: sqlite_utils.Database, citations: list[Citation], passages: dict[str, Any]) -> None:
    db["citations"].insert_all(({
        # what a reader looks at first, then where it is, then how it was read
        "id": c.id, "text": c.text, "status": c.status, "problems": json.dumps(c.problems),
        "expected": c.expected, "message": c.message, "work_id": c.work_id, "reference": c.reference,
        "candidates": json.dumps(c.candidates), "candidate_ids": json.dumps(c.candidate_ids),
        "document_id": c.document_id, "passage_id": c.passage_id,
        "start": c.start, "end": c.end,
        "passage_start": c.start - passages[c.passage_id].start if c.passage_id else None,
        "passage_end": c.end - passages[c.passage_id].start if c.passage_id else None,
        "names": "; ".join(c.names), "et_al": int(c.et_al), "year": c.year,
        "locator": c.locator, "narrative": int(c.narrative), "group_number": c.group,
    } for c in citations), pk="id", foreign_keys=[("document_id", "documents", "id"),
                                                    ("passage_id", "passages", "id"), ("work_id", "works", "id")])


def save_claims(db: sqlite_utils.Database, claims: list[Any]) -> None:
    """Claims (citing sentences) and which citations and works each rests on."""
    db["claims"].insert_all(({
        "id": c.id, "document_id": c.document_id, "passage_id": c.passage_id, "number": c.sentence.number,
        "text": c.sentence.text, "start": c.sentence.start, "end": c.sentence.end,
        "citation_count": len(c.citations),
        "works": json.dumps(sorted({x.work_id for x in c.citations if x.work_id})),
        "candidate_works": json.dumps(sorted({w for x in c.citations for w in x.candidate_ids})),
    } for c in claims), pk="id", foreign_keys=[("document_id", "documents", "id"), ("passage_id", "passages", "id")])
    db["claim_citations"].insert_all(({
        "claim_id": c.id, "citation_id": x.id, "status": x.status, "work_id": x.work_id,
        "candidates": json.dumps(x.candidate_ids),
    } for c in claims for x in c.citations), pk=("claim_id", "citation_id"), foreign_keys=[
        ("claim_id", "claims", "id"), ("citation_id", "citations", "id"), ("work_id", "works", "id")])


def save_concepts(db: sqlite_utils.Database, concepts: list[Concept], labels: list[Any]) -> None:
    db["concepts"].insert_all(({
        "id": c.id, "pref_label": c.pref_label, "definition": c.definition,
        "definition_passage_id": c.source["passage_id"], "definition_quote": c.source["quote"],
        "broader": json.dumps(c.broader), "related": json.dumps(c.related),
        "eurovoc_id": (c.exact_match or {}).get("id"), "eurovoc_label": (c.exact_match or {}).get("label"),
        "eurovoc_uri": (c.exact_match or {}).get("uri"),
    } for c in concepts), pk="id", foreign_keys=[("definition_passage_id", "passages", "id")])
    db["concept_labels"].insert_all(({
        "id": f"{lab.concept_id}/{lab.kind}/{lab.text}", "concept_id": lab.concept_id, "label": lab.text, "kind": lab.kind,
    } for lab in labels), pk="id", foreign_keys=[("concept_id", "concepts", "id")], replace=True)
    relations = []
    for c in concepts:
        relations += [{"concept_id": c.id, "relation": "broader", "other_id": o} for o in c.broader]
        relations += [{"concept_id": o, "relation": "narrower", "other_id": c.id} for o in c.broader]
        relations += [{"concept_id": c.id, "relation": "related", "other_id": o} for o in c.related]
        relations += [{"concept_id": o, "relation": "related", "other_id": c.id} for o in c.related]
    db["concept_relations"].insert_all(sorted(relations, key=lambda r: (r["concept_id"], r["relation"], r["other_id"])),
                                       pk=("concept_id", "relation", "other_id"), replace=True,
                                       foreign_keys=[("concept_id", "concepts", "id"), ("other_id", "concepts", "id")])


def save_concept_links(db: sqlite_utils.Database, links: list[ConceptLink]) -> None:
    rows = []
    for i, link in enumerate(links, 1):
        rows.append({
            "id": i, "concept_id": link.concept_id, "target_table": link.target_table, "target_id": link.target_id,
            "method": link.method, "passage_id": link.passage_id, "matched_text": link.matched_text,
            "start": link.start, "end": link.end, "note": link.note,
            "work_id": link.target_id if link.target_table == "works" else None,
            "finding_id": link.target_id if link.target_table == "findings" else None,
            "claim_id": link.target_id if link.target_table == "claims" else None,
        })
    db["concept_links"].insert_all(rows, pk="id", foreign_keys=[
        ("concept_id", "concepts", "id"), ("passage_id", "passages", "id"),
        ("work_id", "works", "id"), ("finding_id", "findings", "id"), ("claim_id", "claims", "id")])


def save_evidence_map(db: sqlite_utils.Database, links: list[ConceptLink], works: list[Work],
                      findings: list[dict[str, Any]]) -> None:
    """One row per piece of evidence on a concept, by kind and bucket: the literature by decade,
    the session findings by focus group and by criterion. The evidence map counts these rows."""
    decade = {w.id: (f"{w.year // 10 * 10}s" if w.year else "no year") for w in works}
    by_id = {f["id"]: f for f in findings}
    rows = set()
    for link in links:
        if link.target_table == "works" and link.method == "cited-in":
            rows.add((link.concept_id, "literature by decade", decade.get(link.target_id, "no year"), "works",
                      link.target_id))
        elif link.target_table == "findings" and link.target_id in by_id:
            f = by_id[link.target_id]
            rows.add((link.concept_id, "findings by focus group", f.get("focus_group") or "(all groups)", "findings", f["id"]))
            rows.add((link.concept_id, "findings by criterion", f.get("criterion") or "(no criterion)", "findings", f["id"]))
        elif link.target_table == "focus_groups":
            rows.add((link.concept_id, "findings by focus group", link.target_id, "focus_groups", link.target_id))
        elif link.target_table == "criteria":
            rows.add((link.concept_id, "findings by criterion", link.target_id, "criteria", link.target_id))
    db["evidence"].insert_all(({
        "concept_id": c, "evidence": kind, "bucket": bucket, "target_table": table, "target_id": target,
    } for c, kind, bucket, table, target in sorted(rows)), foreign_keys=[("concept_id", "concepts", "id")])
    db["evidence"].create({"concept_id": str, "evidence": str, "bucket": str, "target_table": str, "target_id": str},
                          if_not_exists=True)


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v) for k, v in row.items()}


def save_evidence(db: sqlite_utils.Database, studies: list[dict[str, Any]], tables: dict[str, list[dict[str, Any]]]) -> None:
    fk_passage = [("passage_id", "passages", "id")]
    db["studies"].insert_all((_jsonable({k: str(v) if k.startswith("period_") else v for k, v in s.items()}) for s in studies),
                             pk="id", foreign_keys=fk_passage)
    for name in ("sessions", "focus_groups", "topics", "criteria", "instruments"):
        db[name].insert_all((_jsonable(r) for r in tables[name]), pk="id", foreign_keys=fk_passage)
        db[name].create(_empty_schema(name), pk="id", if_not_exists=True)
    db["methods"].insert_all((_jsonable(r) for r in tables["methods"]), pk="id", foreign_keys=fk_passage)
    db["method_hats"].insert_all((_jsonable(r) for r in tables["hats"]), pk="id",
                                 foreign_keys=fk_passage + [("method", "methods", "id")])
    db["findings"].insert_all((_jsonable(r) for r in tables["findings"]), pk="id", foreign_keys=fk_passage + [
        ("focus_group", "focus_groups", "id"), ("topic", "topics", "id"), ("criterion", "criteria", "id"),
        ("method", "methods", "id"), ("session", "sessions", "id")])


def _empty_schema(name: str) -> dict[str, type]:
    return {"id": str, "label": str, "passage_id": str}


def save_problems(db: sqlite_utils.Database, problems: list[Problem]) -> None:
    rows = []
    for i, p in enumerate(problems, 1):
        rows.append({"id": i, "code": p.code, "severity": p.severity, "message": p.message,
                     "source": p.source, "line": p.line, "work_id": p.work_id,
                     "citation_id": p.citation_id, "passage_id": p.passage_id})
    db["problems"].insert_all(rows, pk="id", foreign_keys=[
        ("work_id", "works", "id"), ("citation_id", "citations", "id"), ("passage_id", "passages", "id")])
    db["problems"].create({"id": int, "code": str, "severity": str, "message": str, "source": str, "line": int,
                           "work_id": str, "citation_id": str, "passage_id": str}, pk="id", if_not_exists=True)


def ensure_db_shape(db: sqlite_utils.Database) -> None:
    """Full-text search, indexes and views: the last step of every build."""
    db["passages"].enable_fts(["text"], create_triggers=False, tokenize="porter")
    db["works"].enable_fts(["title", "container_title", "authors"], create_triggers=False, tokenize="porter")
    db["findings"].enable_fts(["summary", "quote"], create_triggers=False, tokenize="porter")
    db["claims"].enable_fts(["text"], create_triggers=False, tokenize="porter")
    for table, cols in (("citations", ["status"]), ("citations", ["work_id"]), ("concept_links", ["concept_id"]),
                        ("concept_links", ["target_table", "target_id"]), ("works", ["year"]),
                        ("problems", ["code"]), ("work_authors", ["author_id"]),
                        # the columns Datasette facets, sorts and joins on, for large knowledge bases
                        ("works", ["position"]), ("works", ["type"]), ("works", ["decade"]),
                        ("works", ["container_title"]), ("works", ["times_cited"]), ("citations", ["document_id"]),
                        ("citations", ["document_id", "start"]), ("problems", ["severity"]), ("problems", ["work_id"]),
                        ("concept_links", ["method"]), ("co_citations", ["level", "weight"]),
                        ("reference_entries", ["work_id"]), ("claims", ["document_id"]), ("passages", ["document_id"])):
        db[table].create_index(cols, if_not_exists=True)
    db.create_view("citation_problems", """
        select citations.id as citation_id, citations.document_id, citations.passage_id, citations.start,
               citations.text, citations.status, j.value as problem, citations.expected, citations.message
        from citations, json_each(citations.problems) as j
        order by citations.document_id, citations.start
    """, replace=True)


WORK_FIGURES = (("times_cited", int), ("citing_passages", int), ("pagerank", float), ("cited_for", str))


def _update_work_figures(db: sqlite_utils.Database, figures: list[tuple]) -> None:
    """The graph's figures of every work in one statement and one transaction (one update and
    one commit per row made this the slowest write of a large build)."""
    if not figures:
        return
    existing = db["works"].columns_dict
    for column, kind in WORK_FIGURES:
        if column not in existing:
            db["works"].add_column(column, kind)
    sets = ", ".join(f"[{c}] = ?" for c, _ in WORK_FIGURES)
    with db.conn:
        db.conn.executemany(f"update works set {sets} where id = ?", figures)


def save_graph_analyses(db: sqlite_utils.Database, G: Any) -> None:
    """Store what the citation graph says: per-work figures, co-citation, coupling, author
    identities and communities, concept co-occurrence and paths, and the maps' layouts."""
    from kb import graph as g
    from kb.mapscale import central_subgraph
    from kb.progress import Laps

    laps = Laps("analyses")
    cited, citing, ranks = g.times_cited(G), g.citing_passages(G), g.citation_pagerank(G)
    cited_for = g.concepts_cited_for(G)
    figures = [(cited.get(f"work:{i}", 0), citing.get(f"work:{i}", 0), round(ranks.get(f"work:{i}", 0.0), 6),
                json.dumps(cited_for.get(f"work:{i}", [])), i) for (i,) in db.execute("select id from works")]
    _update_work_figures(db, figures)
    ref = lambda n: G.nodes[n]["ref"]  # noqa: E731
    rows = [{"work_a": ref(a), "work_b": ref(b), "level": level, "weight": w}
            for level in ("parenthesis", "sentence", "paragraph") for (a, b), w in sorted(g.co_citation(G, level).items())]
    db["co_citations"].insert_all(rows, foreign_keys=[("work_a", "works", "id"), ("work_b", "works", "id")])
    db["co_citations"].create({"work_a": str, "work_b": str, "level": str, "weight": int}, if_not_exists=True)
    db["bibliographic_coupling"].insert_all(({"document_a": ref(a), "document_b": ref(b), "shared_works": n}
                                             for (a, b), n in sorted(g.bibliographic_coupling(G).items())),
                                            foreign_keys=[("document_a", "documents", "id"), ("document_b", "documents", "id")])
    db["bibliographic_coupling"].create({"document_a": str, "document_b": str, "shared_works": int}, if_not_exists=True)
    identities = g.author_identities(db["authors"].rows)
    H = g.coauthorship(G)
    communities = g.author_communities(H)
    db["author_identities"].insert_all(({
        "author_id": a, "person_id": info["canonical"], "status": info["status"],
        "spellings": json.dumps(info["spellings"], ensure_ascii=False), "probably_same_as": json.dumps(info["probable"]),
        "community": communities.get(f"author:{info['canonical']}"),
    } for a, info in sorted(identities.items())), pk="author_id",
        foreign_keys=[("author_id", "authors", "id"), ("person_id", "authors", "id")])
    db["coauthorships"].insert_all(({"author_a": ref(a), "author_b": ref(b), "works": d["weight"]}
                                    for a, b, d in sorted(H.edges(data=True))),
                                   foreign_keys=[("author_a", "authors", "id"), ("author_b", "authors", "id")])
    db["coauthorships"].create({"author_a": str, "author_b": str, "works": int}, if_not_exists=True)
    db["concept_cooccurrence"].insert_all(({"concept_a": ref(a), "concept_b": ref(b), "shared": n}
                                           for (a, b), n in sorted(g.concept_cooccurrence(G).items())),
                                          foreign_keys=[("concept_a", "concepts", "id"), ("concept_b", "concepts", "id")])
    db["concept_cooccurrence"].create({"concept_a": str, "concept_b": str, "shared": int}, if_not_exists=True)
    E = g.evidence_graph(G)
    concepts = sorted(r["id"] for r in db["concepts"].rows)
    paths = []
    for a in concepts:
        for b in concepts:
            if a != b:
                path = g.concept_path(G, a, b, E)
                paths.append({"from_concept": a, "to_concept": b, "steps": len(path) - 1 if path else None,
                              "path": json.dumps(path), "via": " → ".join(G.nodes[n]["label"] for n in path) or None})
    db["concept_paths"].insert_all(paths, pk=("from_concept", "to_concept"),
                                   foreign_keys=[("from_concept", "concepts", "id"), ("to_concept", "concepts", "id")])
    laps.next("maps")
    nodes, edges = [], []
    for name, concept in [("all", None)] + [(c, c) for c in concepts]:
        M = central_subgraph(g.map_graph(G, concept, E), ranks, centre=f"concept:{concept}" if concept else None)
        pos = g.layout(M, f"concept:{concept}" if concept else None)
        for n in sorted(M.nodes):
            nodes.append({"map": name, "node": n, "type": M.nodes[n].get("type"), "ref": M.nodes[n].get("ref"),
                          "label": M.nodes[n].get("label") or n, "x": pos[n][0], "y": pos[n][1]})
        for u, v in sorted(tuple(sorted(e)) for e in M.edges):
            edges.append({"map": name, "source": u, "target": v})
    db["map_nodes"].insert_all(nodes, pk=("map", "node"))
    db["map_edges"].insert_all(edges)
    laps.done()
