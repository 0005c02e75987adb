"""The database's shape, declared once: every table, its columns and their types, keys,
foreign keys, full-text search, indexes, views, label columns, descriptions, facets and the
canned queries.

The store creates the tables from ``TABLES`` (every table exists, empty when its source is
absent); the Datasette plugin serves ``metadata()`` and ``queries()`` through Datasette's
``get_metadata`` and ``canned_queries`` hooks for every database kb built, whatever its file
name. A kb database is recognised by its marker table, ``MARKER``.

>>> TABLES_BY_NAME["passages"].columns[1].references
'documents'
>>> "title" in TABLES_BY_NAME["works"].fts
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The table that says "kb built this database": its rows name the schema version.
MARKER = "_kb_meta"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Column:
    name: str
    type: type
    description: str = ""
    references: str | None = None  # the table this column's values are ids of (a foreign key to its id)


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: list[Column]
    pk: str | tuple[str, ...] | None = None
    label_column: str | None = None
    sort: str | None = None
    facets: list[Any] = field(default_factory=list)
    hidden: bool = False
    fts: tuple[str, ...] = ()  # columns searched by full-text search (porter stemming)
    indexes: tuple[tuple[str, ...], ...] = ()
    # the columns a table page shows first, in this order of the table's own columns; the rest
    # are one click away ("show all columns") and on every row page. Empty: all of them.
    shown: tuple[str, ...] = ()
    # what the search across tables (/-/search) prints under a match: an SQL expression over
    # the table's columns; without one, the matching words of the searched text
    search_detail: str | None = None

    @property
    def column_types(self) -> dict[str, type]:
        return {c.name: c.type for c in self.columns}

    @property
    def all_indexes(self) -> tuple[tuple[str, ...], ...]:
        """The declared indexes, and one on each foreign key no index or primary key starts
        with: row pages count and list the rows pointing at a row through these columns.

        >>> TABLES_BY_NAME["claim_citations"].all_indexes
        (('citation_id',), ('work_id',))
        """
        pk = (self.pk,) if isinstance(self.pk, str) else tuple(self.pk or ())
        leading = {cols[0] for cols in self.indexes} | ({pk[0]} if pk else set())
        extra = tuple((c.name,) for c in self.columns if c.references and c.name not in leading)
        return tuple(self.indexes) + extra

    @property
    def foreign_keys(self) -> list[tuple[str, str, str]]:
        return [(c.name, c.references, "id") for c in self.columns if c.references]


# The column each of these tables is sorted by: its rows numbered in reading order, one number a
# row. Datasette 0.65 orders a table's first page by its sort column alone and the next pages by
# it and the key: sorted by a column rows share (a work's position in its list, a citation's
# offset in its document), a reader paging on skipped or saw again the rows tying across a
# page's end (at 100,000 works, 962 works never shown).
#
# A paragraph's or a citation's number is its document's place in reading order times
# ORDINAL_STRIDE plus its own place in the document (document 3's twelfth citation:
# 3000000012), so that changing one document renumbers its own rows and no other's: numbered
# densely, a paragraph added to the first of 10,000 documents moved a million citations' numbers
# (2.3-3.3 s of an update at 100,000 works). A document holds fewer than a billion of each.
ORDINAL_STRIDE = 1_000_000_000
ORDINAL = {
    "works": "Place of the work in the knowledge base: the reference lists in the order their documents "
    "are read, each in its own order. The table's order.",
    "passages": "Place of the paragraph in reading order: its document's place (the documents in the order "
    f"they are read) times {ORDINAL_STRIDE:,}, plus the paragraph's number in the document (document 3's "
    f"twelfth paragraph: {3 * ORDINAL_STRIDE + 12}). The table's order.",
    "citations": "Place of the citation in reading order: its document's place (the documents in the order "
    f"they are read) times {ORDINAL_STRIDE:,}, plus the citation's place in the document, from its start "
    f"(document 3's twelfth citation: {3 * ORDINAL_STRIDE + 12}). The table's order.",
}

# Tables in the order they are created: a table comes after the tables its columns reference.
TABLES: list[Table] = [
    Table(
        "documents",
        "Citing documents and reports, each read from a Markdown file of the sources folder (its front matter says where it was transcribed from).",
        pk="id",
        label_column="title",
        shown=("id", "title", "kind", "passage_count", "references_file"),
        columns=[
            Column("id", str, "Stable document id."),
            Column("title", str, "Document title."),
            Column("kind", str, "essay (cites literature) or report (session evidence)."),
            Column("path", str, "File the document is read from."),
            Column("source", str, "The original source file."),
            Column("source_title", str, "What the original source is."),
            Column("source_lines", str, "Lines of the original source this document copies."),
            Column("note", str, "Notes on the transcription."),
            Column(
                "references_file",
                str,
                "The reference lists the document cites from: the files its front matter names "
                "(references, reference_list) and its own list, with its line.",
            ),
            Column("passage_count", int, "Number of paragraphs."),
        ],
    ),
    Table(
        "passages",
        "Paragraphs of the documents, searchable. Offsets are characters in the document file.",
        pk="id",
        label_column="id",
        sort="ordinal",  # reading order, one number a row (ORDINAL)
        facets=["document_id", "kind"],
        fts=("text",),
        shown=("id", "document_id", "number", "text"),
        columns=[
            Column("id", str, "Document id and paragraph number."),
            Column("document_id", str, "The document.", references="documents"),
            Column("number", int, "Paragraph number in the document (1-based)."),
            Column("text", str, "The paragraph, verbatim."),
            Column("start", int, "Character offset of the paragraph in the document file."),
            Column("end", int, "End offset in the document file."),
            Column("line", int, "Line in the document file."),
            Column(
                "source_line",
                int,
                "Line in the original source the document was transcribed from, where its front matter says.",
            ),
            Column("kind", str, "Kind of the document (essay or report)."),
            Column("ordinal", int, ORDINAL["passages"]),
        ],
        indexes=(("document_id",), ("ordinal",)),
    ),
    Table(
        "works",
        "Every work in the reference lists, as CSL-JSON fields; full-text search on title, container and authors.",
        pk="id",
        label_column="title",
        sort="ordinal",
        facets=["type", "decade", "container_title", {"kbarray": "concepts"}],
        fts=("title", "container_title", "authors", "search_variants"),
        indexes=(("year",), ("ordinal",), ("type",), ("decade",), ("container_title",), ("times_cited",)),
        search_detail="coalesce(works.authors, '') || ' (' || coalesce(works.year, 'n.d.') || ')'",
        shown=("id", "authors", "year", "title", "type", "container_title", "concepts", "problem_count", "times_cited"),
        columns=[
            Column("id", str, "Citation key (family name, year, first significant title word)."),
            Column("authors", str, 'Authors as "Family, Given", separated by semicolons.'),
            Column("year", int, "Year of publication."),
            Column("title", str, "Title as printed."),
            Column("type", str, "CSL type (article-journal, book, chapter, paper-conference, report...)."),
            Column("author_count", int, "Number of authors named."),
            Column("et_al", int, '1 when the printed list ends in "et al.".'),
            Column("container_title", str, "Journal or book the work appears in."),
            Column("volume", str, "Volume."),
            Column("issue", str, "Issue."),
            Column("page", str, "Page range."),
            Column("decade", str, "Decade of publication."),
            Column("publisher", str, "Publisher."),
            Column("publisher_place", str, "Place of publication."),
            Column("event_title", str, "Event a paper was presented at."),
            Column("event_place", str, "Where that event took place."),
            Column("doi", str, "DOI."),
            Column("url", str, "URL."),
            Column("position", int, "Position in its reference list (1-based)."),
            Column("ordinal", int, ORDINAL["works"]),
            Column("source", str, "File the work was read from."),
            Column("line", int, "Line of the entry in that file."),
            Column("provenance", str, "Original source file and line of the printed reference."),
            Column("raw", str, "The reference as printed, when read from a free-text list."),
            Column(
                "search_variants",
                str,
                "Other spellings of the title's and container's words, for search: co-production is found "
                "as coproduction and the other way round (learnt from the corpus's hyphenated words).",
            ),
            Column("csl_json", str, "The whole work as CSL-JSON."),
            Column("concepts", str, "Concepts discussed in the passages that cite this work."),
            Column("problem_count", int, "Integrity problems recorded on this work."),
            Column("apa", str, "The reference formatted in APA 7 (citeproc-py, computed at build time)."),
            Column("ieee", str, "The reference formatted in IEEE style."),
            Column("times_cited", int, "Resolved in-text citations of this work."),
            Column("citing_passages", int, "Passages with at least one resolved citation of this work."),
            Column("pagerank", float, "PageRank over the citation graph."),
            Column("cited_for", str, "Concepts of the sentences that cite this work (from the graph)."),
        ],
    ),
    Table(
        "authors",
        "People and organisations who wrote the works, one row per spelling.",
        pk="id",
        label_column="display",
        columns=[
            Column("id", str, "Family name and initials, ASCII."),
            Column("family", str, 'Family name (with particles such as "van der").'),
            Column("given", str, "Given names or initials."),
            Column("is_organisation", int, "1 for an organisation (OECD)."),
            Column("display", str, "Name as shown."),
        ],
    ),
    Table(
        "work_authors",
        "Which author wrote which work, in order.",
        pk=("work_id", "role", "position"),
        indexes=(("author_id",),),
        columns=[
            Column("work_id", str, "The work.", references="works"),
            Column("author_id", str, "The author.", references="authors"),
            Column("role", str, "author or editor."),
            Column("position", int, "Position in the author list (1-based)."),
            Column("as_printed", str, "The name as printed in the list."),
        ],
    ),
    Table(
        "work_sources",
        "Which source said what, field by field, for every work (the hand-checked BibTeX and the free-text list as parsed).",
        facets=["source", "field"],
        columns=[
            Column("work_id", str, "The work.", references="works"),
            Column("field", str, "CSL-JSON field."),
            Column("source", str, "File that gives this value."),
            Column("line", int, "Line in that file."),
            Column("value", str, "The value that source gives."),
        ],
    ),
    Table(
        "reference_entries",
        "Every entry of every reference list, with its raw text and the work it is; the same work in two lists is one work.",
        pk=("document_id", "position"),
        facets=["document_id"],
        columns=[
            Column("document_id", str, "The citing document whose list this is.", references="documents"),
            Column("position", int, "Position in that list (1-based)."),
            Column("source", str, "File the entry was read from."),
            Column("line", int, "Line in that file."),
            Column("raw", str, "The entry as printed."),
            Column("work_id", str, "The work.", references="works"),
            Column("key_in_list", str, "The key the entry had in its own list."),
        ],
        indexes=(("work_id",),),
    ),
    Table(
        "citations",
        "One row per in-text citation, with its span, status and the reference it resolves to.",
        pk="id",
        label_column="text",
        facets=["status", {"kbarray": "problems"}, "document_id"],
        sort="ordinal",  # reading order (ORDINAL), not the ids' string order (c1, c10, c11 ... c2)
        # (document_id, start) serves a look-up by document alone too: no index on it alone
        indexes=(("status",), ("work_id",), ("document_id", "start"), ("ordinal",)),
        shown=("id", "text", "status", "message", "work_id", "document_id", "passage_id"),
        columns=[
            Column("id", str, "Document id and citation number."),
            Column("text", str, "The citation exactly as printed."),
            Column(
                "status", str, "ok, mismatch (resolved, printed wrong), ambiguous (several entries fit) or missing."
            ),
            Column("problems", str, "Problem codes."),
            Column("expected", str, "What the citation should read."),
            Column("message", str, "What is wrong and how to fix it."),
            Column("work_id", str, "The work it resolves to.", references="works"),
            Column("reference", int, "Position of that work in the reference list."),
            Column("candidates", str, "Positions of the entries that fit, for an ambiguous citation."),
            Column("candidate_ids", str, "The works that fit, for an ambiguous citation (none chosen)."),
            Column("document_id", str, "The citing document.", references="documents"),
            Column("passage_id", str, "The paragraph the citation is in.", references="passages"),
            Column("start", int, "Character offset in the document file."),
            Column("end", int, "End offset in the document file."),
            Column("passage_start", int, "Character offset in the paragraph."),
            Column("passage_end", int, "End offset in the paragraph."),
            Column("names", str, "Surnames as printed."),
            Column("et_al", int, '1 when printed with "et al.".'),
            Column("year", str, "Year as printed."),
            Column("locator", str, "Page or other locator."),
            Column("narrative", int, '1 for a narrative citation, "Ostrom (1996)".'),
            Column("group_number", int, "Citations in the same parenthesis share this number."),
            Column("ordinal", int, ORDINAL["citations"]),
        ],
    ),
    Table(
        "claims",
        "Every citing sentence of the essays, with the works its citations resolve to.",
        pk="id",
        label_column="text",
        facets=["document_id"],
        fts=("text",),
        shown=("id", "passage_id", "text", "citation_count", "works"),
        columns=[
            Column("id", str, "Passage id and sentence number."),
            Column("document_id", str, "The citing document.", references="documents"),
            Column("passage_id", str, "The paragraph.", references="passages"),
            Column("number", int, "Sentence number in the paragraph."),
            Column("text", str, "The sentence, verbatim."),
            Column("start", int, "Offset in the document file."),
            Column("end", int, "End offset."),
            Column("citation_count", int, "Citations in the sentence."),
            Column("works", str, "Works its citations resolve to."),
            Column("candidate_works", str, "Candidates of its ambiguous citations (none of them chosen)."),
        ],
        indexes=(("document_id",),),
    ),
    Table(
        "claim_citations",
        "Which citations each claim holds.",
        pk=("claim_id", "citation_id"),
        columns=[
            Column("claim_id", str, references="claims"),
            Column("citation_id", str, references="citations"),
            Column("status", str),
            Column("work_id", str, references="works"),
            Column("candidates", str),
        ],
    ),
    Table(
        "studies",
        "The studies that produced the session evidence.",
        pk="id",
        shown=("id", "title", "country", "portal", "commissioner", "period", "objective"),
        columns=[
            Column("id", str),
            Column("title", str),
            Column("country", str),
            Column("portal", str),
            Column("commissioner", str),
            Column("methodology_by", str),
            Column("period", str),
            Column("period_start", str),
            Column("period_end", str),
            Column("sessions_stated", int),
            Column("focus_groups_stated", int),
            Column("objective", str),
            Column("passage_id", str, "The paragraph that states it.", references="passages"),
            Column("quote", str, "The words of the source."),
            Column("quote_start", int, "Offset of the quote in the paragraph."),
            Column("quote_end", int, "End offset of the quote in the paragraph."),
            Column("source_file", str, "Evidence file the record is in."),
            Column("source_file_line", int, "Line of the record in that file."),
        ],
    ),
    Table(
        "sessions",
        "The coproduction sessions. The report states six but not which focus group took part in which.",
        pk="id",
        shown=("id", "number", "passage_id", "quote"),
        columns=[
            Column("id", str, "Session id."),
            Column("number", int, "Session number (an index; the report gives no order)."),
            Column("passage_id", str, "The paragraph that states it.", references="passages"),
            Column("quote", str, "The words of the source."),
            Column("quote_start", int, "Offset of the quote in the paragraph."),
            Column("quote_end", int, "End offset of the quote in the paragraph."),
            Column("source_file", str, "Evidence file the record is in."),
            Column("source_file_line", int, "Line of the record in that file."),
        ],
    ),
    Table(
        "focus_groups",
        "The five focus groups of the sessions.",
        pk="id",
        label_column="label",
        shown=("id", "label", "passage_id", "quote", "size", "devices"),
        columns=[
            Column("id", str, "Focus group id."),
            Column("label", str, "The group as the report names it."),
            Column("passage_id", str, "The paragraph that states it.", references="passages"),
            Column("quote", str, "The words of the source."),
            Column("quote_start", int, "Offset of the quote in the paragraph."),
            Column("quote_end", int, "End offset of the quote in the paragraph."),
            Column("source_file", str, "Evidence file the record is in."),
            Column("source_file_line", int, "Line of the record in that file."),
            Column("size", str, "Size, as the report states it."),
            Column("devices", str, "Devices used in its session, where the report states them."),
        ],
    ),
    Table(
        "topics",
        "The four priority topics of the sessions.",
        pk="id",
        label_column="label",
        shown=("id", "number", "label", "passage_id", "quote"),
        columns=[
            Column("id", str),
            Column("number", int, "Number, in the order the source gives."),
            Column("label", str, "As the source names it."),
            Column("passage_id", str, "The paragraph that states it.", references="passages"),
            Column("quote", str, "The words of the source."),
            Column("quote_start", int, "Offset of the quote in the paragraph."),
            Column("quote_end", int, "End offset of the quote in the paragraph."),
            Column("source_file", str, "Evidence file the record is in."),
            Column("source_file_line", int, "Line of the record in that file."),
        ],
    ),
    Table(
        "criteria",
        "The five usability criteria, with the questions the report asks under each.",
        pk="id",
        label_column="label",
        shown=("id", "number", "label", "passage_id", "quote", "questions"),
        columns=[
            Column("id", str),
            Column("number", int, "Number, in the order the source gives."),
            Column("label", str, "As the source names it."),
            Column("passage_id", str, "The paragraph that states it.", references="passages"),
            Column("quote", str, "The words of the source."),
            Column("quote_start", int, "Offset of the quote in the paragraph."),
            Column("quote_end", int, "End offset of the quote in the paragraph."),
            Column("source_file", str, "Evidence file the record is in."),
            Column("source_file_line", int, "Line of the record in that file."),
            Column("questions", str, "The questions the report gives for this criterion."),
        ],
    ),
    Table(
        "instruments",
        "How the sessions were evaluated (surveys, recordings).",
        pk="id",
        label_column="label",
        shown=("id", "label", "purpose", "passage_id", "quote"),
        columns=[
            Column("id", str),
            Column("label", str, "As the source names it."),
            Column("purpose", str, "What it is for, as the source says."),
            Column("passage_id", str, "The paragraph that states it.", references="passages"),
            Column("quote", str, "The words of the source."),
            Column("quote_start", int, "Offset of the quote in the paragraph."),
            Column("quote_end", int, "End offset of the quote in the paragraph."),
            Column("source_file", str, "Evidence file the record is in."),
            Column("source_file_line", int, "Line of the record in that file."),
        ],
    ),
    Table(
        "methods",
        "Methods used in the sessions.",
        pk="id",
        label_column="label",
        shown=("id", "label", "purpose", "passage_id", "quote", "extent"),
        columns=[
            Column("id", str),
            Column("label", str, "As the source names it."),
            Column("purpose", str, "What it is for, as the source says."),
            Column("passage_id", str, "The paragraph that states it.", references="passages"),
            Column("quote", str, "The words of the source."),
            Column("quote_start", int, "Offset of the quote in the paragraph."),
            Column("quote_end", int, "End offset of the quote in the paragraph."),
            Column("source_file", str, "Evidence file the record is in."),
            Column("source_file_line", int, "Line of the record in that file."),
            Column("extent", str),
        ],
    ),
    Table(
        "method_hats",
        "The six thinking hats and the role of each.",
        pk="id",
        shown=("colour", "role", "passage_id", "quote", "method", "id"),
        columns=[
            Column("colour", str),
            Column("role", str),
            Column("passage_id", str, "The paragraph that states it.", references="passages"),
            Column("quote", str, "The words of the source."),
            Column("quote_start", int, "Offset of the quote in the paragraph."),
            Column("quote_end", int, "End offset of the quote in the paragraph."),
            Column("source_file", str, "Evidence file the record is in."),
            Column("source_file_line", int, "Line of the record in that file."),
            Column("method", str, references="methods"),
            Column("id", str),
        ],
    ),
    Table(
        "findings",
        "Each observation the report states, with its focus group, topic, criterion and method where it names one.",
        pk="id",
        label_column="summary",
        facets=["kind", "focus_group", "topic", "criterion", "method"],
        fts=("summary", "quote"),
        shown=(
            "id",
            "kind",
            "summary",
            "passage_id",
            "quote",
            "focus_group",
            "topic",
            "criterion",
            "method",
            "session",
        ),
        columns=[
            Column("id", str, "Finding id."),
            Column("kind", str, "observation, practice or plan."),
            Column("summary", str, "A short summary in our words; the quote is the source's."),
            Column("passage_id", str, "The paragraph the quote is from.", references="passages"),
            Column("quote", str, "The words of the source."),
            Column("quote_start", int, "Offset of the quote in the paragraph."),
            Column("quote_end", int, "End offset of the quote in the paragraph."),
            Column("source_file", str, "Evidence file the record is in."),
            Column("source_file_line", int, "Line of the record in that file."),
            Column("focus_group", str, "Focus group the finding is about.", references="focus_groups"),
            Column("topic", str, "Priority topic.", references="topics"),
            Column("criterion", str, "Usability criterion.", references="criteria"),
            Column("method", str, "Method.", references="methods"),
            Column("session", str, "Session.", references="sessions"),
        ],
    ),
    Table(
        "concepts",
        "The concept scheme (SKOS-like), with definitions and their sources, and EuroVoc matches.",
        pk="id",
        label_column="pref_label",
        shown=("id", "pref_label", "definition", "broader", "related", "eurovoc_label"),
        columns=[
            Column("id", str, "ASCII slug."),
            Column("pref_label", str, "Preferred label."),
            Column("definition", str, "Definition."),
            Column("definition_passage_id", str, "Passage the definition comes from.", references="passages"),
            Column("definition_quote", str, "The words of that passage."),
            Column("broader", str, "Broader concepts."),
            Column("related", str, "Related concepts."),
            Column("eurovoc_id", str, "EuroVoc concept id (exact match)."),
            Column("eurovoc_label", str, "EuroVoc label."),
            Column("eurovoc_uri", str, "EuroVoc URI."),
        ],
    ),
    Table(
        "concept_labels",
        "Preferred, alternative, hidden labels and abbreviations the matcher looks for.",
        pk="id",
        facets=["kind", "concept_id"],
        columns=[
            Column("id", str),
            Column("concept_id", str, references="concepts"),
            Column("label", str, "As the source names it."),
            Column("kind", str),
        ],
    ),
    Table(
        "concept_relations",
        "broader, narrower and related links between concepts.",
        pk=("concept_id", "relation", "other_id"),
        columns=[
            Column("concept_id", str, references="concepts"),
            Column("relation", str),
            Column("other_id", str, references="concepts"),
        ],
    ),
    Table(
        "concept_links",
        "Concept to passage, work or finding, with the evidence passage and how the link was made.",
        pk="id",
        facets=["concept_id", "target_table", "method"],
        indexes=(
            # a concept's links of one kind and way, their targets read from the index alone (its page)
            ("concept_id", "target_table", "method", "target_id"),
            ("target_table", "target_id"),
            ("method",),
        ),
        shown=("id", "concept_id", "target_table", "target_id", "method", "matched_text", "passage_id"),
        columns=[
            Column("id", int),
            Column("concept_id", str, "The concept.", references="concepts"),
            Column("target_table", str, "What kind of row it links to."),
            Column("target_id", str, "The row it links to."),
            Column(
                "method",
                str,
                "matched (a label found in the text), cited-in (the work is cited in a sentence on the concept), cited-in-candidate (one of the entries an ambiguous citation there could mean), via-criterion (a finding on a usability criterion linked to the concept) or curated (implied by the text, recorded by hand with a reason).",
            ),
            Column("passage_id", str, "The evidence passage.", references="passages"),
            Column("matched_text", str, "The words that matched."),
            Column("start", int, "Offset of the match in the passage."),
            Column("end", int, "End offset of the match."),
            Column("note", str, "Why the link exists."),
            Column("work_id", str, "The work, for links to works.", references="works"),
            Column("finding_id", str, "The finding, for links to findings.", references="findings"),
            Column("claim_id", str, "The claim, for links to claims.", references="claims"),
        ],
    ),
    Table(
        "evidence",
        "Each piece of evidence on a concept, by kind and bucket; the evidence map counts these rows.",
        facets=["concept_id", "evidence", "bucket"],
        columns=[
            Column("concept_id", str, references="concepts"),
            Column("evidence", str),
            Column("bucket", str),
            Column("target_table", str),
            Column("target_id", str),
        ],
    ),
    Table(
        "co_citations",
        "Pairs of works cited together, by level (parenthesis, sentence, paragraph), weighted by how often.",
        facets=["level"],
        columns=[
            Column("work_a", str, references="works"),
            Column("work_b", str, references="works"),
            Column("level", str),
            Column("weight", int),
        ],
        indexes=(("level", "weight"),),
    ),
    Table(
        "bibliographic_coupling",
        "Pairs of citing documents and how many works both cite.",
        columns=[
            Column("document_a", str, references="documents"),
            Column("document_b", str, references="documents"),
            Column("shared_works", int),
        ],
    ),
    Table(
        "author_identities",
        "Authors resolved across spellings (Löffler and Loeffler are one person), the probable matches flagged (S. Osborne and S. P. Osborne), and each person's co-authorship community.",
        pk="author_id",
        facets=["status", "community"],
        columns=[
            Column("author_id", str, references="authors"),
            Column("person_id", str, references="authors"),
            Column("status", str),
            Column("spellings", str),
            Column("probably_same_as", str),
            Column("community", int),
        ],
    ),
    Table(
        "coauthorships",
        "Pairs of authors and the number of works they wrote together.",
        columns=[
            Column("author_a", str, references="authors"),
            Column("author_b", str, references="authors"),
            Column("works", int),
        ],
    ),
    Table(
        "concept_cooccurrence",
        "Pairs of concepts discussed in the same passage, claim or finding.",
        columns=[
            Column("concept_a", str, references="concepts"),
            Column("concept_b", str, references="concepts"),
            Column("shared", int),
        ],
    ),
    Table(
        "concept_paths",
        "For every pair of concepts, a shortest path through the works and findings that discuss them.",
        pk=("from_concept", "to_concept"),
        columns=[
            Column("from_concept", str, references="concepts"),
            Column("to_concept", str, references="concepts"),
            Column("steps", int),
            Column("path", str),
            Column("via", str),
        ],
    ),
    Table(
        "map_nodes",
        "Positions of the nodes of each map (the whole knowledge base, and each concept's neighbourhood), laid out at build time.",
        pk=("map", "node"),
        facets=["map", "type"],
        hidden=True,
        columns=[
            Column("map", str),
            Column("node", str),
            Column("type", str),
            Column("ref", str),
            Column("label", str, "As the source names it."),
            Column("x", float),
            Column("y", float),
        ],
    ),
    Table(
        "map_edges",
        "The edges drawn on each map.",
        hidden=True,
        columns=[
            Column("map", str),
            Column("source", str),
            Column("target", str),
            Column("kind", str, "cites, lists (in the reference list only), contains, reports or discusses."),
        ],
    ),
    Table(
        "rank_edges",
        "Each document's part of the works' PageRank: its claims citing a work, each one's place (its paragraph's ordinal) and its citations' works, as numbers (the hex of little-endian arrays). What an update in place reads to rank the works again without reading every citation.",
        pk="document_id",
        hidden=True,
        columns=[
            Column("document_id", str, references="documents"),
            Column("claims", int, "Its claims that cite a work."),
            Column("places", str, "Each such claim's place: 8-byte integers."),
            Column("claim_of", str, "Each resolved citation's claim, numbered in the document: 4-byte integers."),
            Column("work_of", str, "Each resolved citation's work, numbered as the works are stored: 4-byte integers."),
        ],
    ),
    Table(
        "problems",
        "Every integrity problem found in the sources, the reference lists and the citations.",
        pk="id",
        facets=["code", "severity"],
        indexes=(("code",), ("severity",), ("work_id",)),
        columns=[
            Column("id", int),
            Column("code", str, "Problem code (a fixed vocabulary; see README)."),
            Column("severity", str, "error (needs fixing) or warning."),
            Column("message", str, "What is wrong and what to do."),
            Column("source", str, "File the problem is in."),
            Column("line", int, "Line in that file."),
            Column("work_id", str, "The work concerned.", references="works"),
            Column("citation_id", str, "The citation concerned.", references="citations"),
            Column("passage_id", str, "The passage concerned.", references="passages"),
        ],
    ),
]


VIEWS = {
    "citation_problems": """
        select citations.id as citation_id, citations.document_id, citations.passage_id, citations.start,
               citations.text, citations.status, j.value as problem, citations.expected, citations.message
        from citations, json_each(citations.problems) as j
        order by citations.document_id, citations.start
    """,
}

TABLES_BY_NAME = {t.name: t for t in TABLES}


@dataclass(frozen=True)
class Related:
    """Rows of other tables a row page shows under the row: ``sql`` takes the row's ``:id`` and
    selects ``id`` (a row of ``table``, or a concept when ``table`` is "concepts", linked to its
    concept page), ``label`` and, when it has one, ``detail``."""

    title: str
    table: str
    sql: str


def concepts_linked_through(column: str) -> Related:
    """The concepts linked to a row through ``concept_links.<column>`` (work_id, passage_id...)."""
    return Related(
        "Concepts",
        "concepts",
        f"""select distinct concepts.id, concepts.pref_label as label, null as detail
from concept_links join concepts on concepts.id = concept_links.concept_id
where concept_links.{column} = :id order by concepts.pref_label collate nocase""",
    )


# What a row page shows beside the row itself: a work's sentences citing it, its concepts and
# its reference card's sources; a passage's citations and concepts; an author's works.
RELATED: dict[str, list[Related]] = {
    "works": [
        Related(
            "Sentences citing it",
            "claims",
            """select distinct claims.id, claims.text as label, claims.document_id as detail
from claim_citations join claims on claims.id = claim_citations.claim_id
where claim_citations.work_id = :id order by claims.document_id, claims.start""",
        ),
        concepts_linked_through("work_id"),
        Related(
            "Authors",
            "authors",
            """select authors.id, authors.display as label, work_authors.role as detail
from work_authors join authors on authors.id = work_authors.author_id
where work_authors.work_id = :id order by work_authors.role, work_authors.position""",
        ),
        Related(
            "Printed in reference lists",
            "documents",
            """select reference_entries.document_id as id, reference_entries.raw as label,
       reference_entries.source || ':' || reference_entries.line as detail
from reference_entries where reference_entries.work_id = :id order by reference_entries.document_id""",
        ),
        Related(
            "Co-cited with",
            "works",
            """select other.id, other.title as label, pairs.level || ', ' || pairs.weight || '×' as detail
from (select work_b as other_id, level, weight from co_citations where work_a = :id
      union all select work_a, level, weight from co_citations where work_b = :id) as pairs
join works as other on other.id = pairs.other_id order by pairs.weight desc, other.id""",
        ),
    ],
    "passages": [
        Related(
            "Citations in this paragraph",
            "citations",
            """select citations.id, citations.text as label, citations.status as detail
from citations where citations.passage_id = :id order by citations.start""",
        ),
        concepts_linked_through("passage_id"),
        Related(
            "Findings quoting it",
            "findings",
            """select findings.id, findings.summary as label, findings.kind as detail
from findings where findings.passage_id = :id order by findings.id""",
        ),
    ],
    "authors": [
        Related(
            "Works",
            "works",
            """select works.id, works.title as label, works.year as detail
from work_authors join works on works.id = work_authors.work_id
where work_authors.author_id = :id order by works.year, works.id""",
        ),
    ],
    "findings": [
        concepts_linked_through("finding_id"),
    ],
    "concepts": [
        Related(
            "Concept page",
            "concepts",
            """select concepts.id, concepts.pref_label || ': its passages, works, findings and map' as label, null as detail
from concepts where concepts.id = :id""",
        ),
    ],
    "citations": [
        Related(
            "The paragraph",
            "passages",
            """select passages.id, passages.text as label, null as detail
from citations join passages on passages.id = citations.passage_id where citations.id = :id""",
        ),
    ],
}
RELATED_LIMIT = 100  # rows a row page lists per kind; past that it links to the filtered table

DATABASE_DESCRIPTION = "Works, citations, session evidence and concepts, built by `kb build`."

# Canned queries. ``{evidence_url}`` is the evidence table's URL in the database being served
# (filled in by ``queries()``): a database is served under its own name, whatever it is.
QUERIES: dict[str, dict[str, str]] = {
    "literature_on_concept": {
        "title": "Literature on a concept",
        "description": "Works cited in passages on a concept, one row a work: how many such passages cite it, the "
        "first of them, and how it is linked (cited-in-candidate: only as one candidate of an ambiguous citation). "
        "Parameter concept is a concept id or any of its labels, e.g. exclusion, ICT, New Public Governance.",
        "sql": """select works.id, works.authors, works.year, works.title, works.container_title,
       count(distinct concept_links.passage_id) as passages, min(concept_links.passage_id) as passage_id,
       group_concat(distinct concept_links.method) as linked_as
from concept_links join works on works.id = concept_links.target_id
where concept_links.target_table = 'works' and concept_links.concept_id in (select id from concepts where lower(id) = lower(:concept) union select concept_id from concept_labels where lower(label) = lower(:concept))
group by works.id order by works.year, works.id""",
    },
    "integrity_problems": {
        "title": "Integrity problems",
        "description": "Every problem found, errors first, in source order.",
        "sql": """select problems.code, problems.severity, problems.message, problems.source, problems.line,
       problems.work_id, works.raw as raw_reference, problems.citation_id, problems.passage_id
from problems left join works on works.id = problems.work_id
order by problems.severity = 'warning', problems.source, problems.line, problems.id""",
    },
    "what_to_fix": {
        "title": "What to fix, in document order",
        "description": "Each citation that is not ok, in document order, with what it should read.",
        "sql": """select citations.id, citations.passage_id, citations.text, citations.status, citations.problems,
       citations.expected, citations.message
from citations
where citations.status != 'ok'
order by citations.document_id, citations.start""",
    },
    "works_never_cited": {
        "title": "Works never cited",
        "description": "Works in a reference list that no citation resolves to, nor fits as a candidate.",
        "sql": """select works.id, works.authors, works.year, works.title
from works
where works.times_cited = 0
  and works.id not in (select j.value from citations, json_each(citations.candidate_ids) as j
                       where citations.candidate_ids != '[]')
order by works.position""",
    },
    "evidence_map": {
        "title": "Evidence map",
        "description": "Each concept against the evidence on it (literature by decade, findings by focus group and "
        "by criterion, focus groups and usability criteria linked to it), as counts. The page /-/evidence-map shows "
        "the same as a grid.",
        "sql": """select concept_id, evidence, bucket, count(*) as n,
       '{evidence_url}?concept_id=' || concept_id || '&evidence=' || replace(evidence, ' ', '+') || '&bucket=' || replace(bucket, ' ', '+') as rows_url
from evidence group by concept_id, evidence, bucket order by concept_id, evidence, bucket""",
    },
    "concept_path": {
        "title": "How is one concept linked to another?",
        "description": "A shortest path between two concepts through the works and session findings that discuss "
        "them (from and to are concept ids or labels, e.g. ICT and exclusion). The page /-/path shows it with links.",
        "sql": """select from_concept, to_concept, steps, via, path from concept_paths
where from_concept in (select id from concepts where lower(id) = lower(:from) union select concept_id from concept_labels where lower(label) = lower(:from))
  and to_concept in (select id from concepts where lower(id) = lower(:to) union select concept_id from concept_labels where lower(label) = lower(:to))""",
    },
    "co_cited_works": {
        "title": "Works cited together",
        "description": "Pairs of works cited in the same parenthesis, sentence or paragraph, strongest first. "
        "Parameter level is parenthesis, sentence or paragraph.",
        "sql": """select co_citations.level, co_citations.weight, a.id as work_a, a.apa as reference_a, b.id as work_b, b.apa as reference_b
from co_citations join works a on a.id = co_citations.work_a join works b on b.id = co_citations.work_b
where co_citations.level = :level order by co_citations.weight desc, a.id, b.id""",
    },
    "focus_group_criterion": {
        "title": "What each focus group said about a criterion",
        "description": "Findings by focus group and usability criterion (ids or labels). Leave a parameter empty "
        "for all.",
        "sql": """select findings.focus_group, focus_groups.label as focus_group_label, findings.criterion,
       criteria.label as criterion_label, findings.kind, findings.summary, findings.quote, findings.passage_id
from findings
left join focus_groups on focus_groups.id = findings.focus_group
left join criteria on criteria.id = findings.criterion
where (:focus_group = '' or findings.focus_group in (select id from focus_groups
       where lower(id) = lower(:focus_group) or lower(label) = lower(:focus_group)))
  and (:criterion = '' or findings.criterion in (select id from criteria
       where lower(id) = lower(:criterion) or lower(label) = lower(:criterion)))
order by findings.focus_group, findings.criterion, findings.id""",
    },
}


def table_metadata(table: Table) -> dict[str, Any]:
    """One table's Datasette metadata: description, label column, facets, sort, columns."""
    meta: dict[str, Any] = {"description": table.description}
    if table.label_column:
        meta["label_column"] = table.label_column
    if table.fts:
        meta["fts_table"] = f"{table.name}_fts"
    if table.sort:
        meta["sort"] = table.sort
    if table.facets:
        meta["facets"] = list(table.facets)
    if table.hidden:
        meta["hidden"] = True
    columns = {c.name: c.description for c in table.columns if c.description}
    if columns:
        meta["columns"] = columns
    return meta


def database_metadata() -> dict[str, Any]:
    """A kb database's Datasette metadata: its description and every table's.

    >>> database_metadata()["tables"]["works"]["sort"]
    'ordinal'
    """
    tables = {t.name: table_metadata(t) for t in TABLES}
    tables[MARKER] = {"hidden": True, "description": "Marks the database as built by kb, and with which schema."}
    return {"description": DATABASE_DESCRIPTION, "tables": tables}


def queries(evidence_url: str) -> dict[str, dict[str, str]]:
    """The canned queries, their URLs pointing into the database being served.

    >>> "/other/evidence?" in queries("/other/evidence")["evidence_map"]["sql"]
    True
    """
    return {name: {**q, "sql": q["sql"].replace("{evidence_url}", evidence_url)} for name, q in QUERIES.items()}
