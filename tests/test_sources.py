"""The transcribed sources against the seed itself: verbatim where they claim to be."""

from __future__ import annotations

import pytest

from loaders.bibtex import load_bibtex
from loaders.markdown import load_document

from .conftest import SEED

needs_seed = pytest.mark.skipif(not SEED.exists(), reason=f"seed document not found at {SEED}")


@needs_seed
@pytest.mark.parametrize("path", ["bibliography/coproduction-essay.md", "evidence/citadel-latvia-report.md"])
def test_documents_copy_the_seed_verbatim(root, path):
    seed_lines = SEED.read_text(encoding="utf-8").splitlines()
    doc = load_document(root / path)
    for p in doc.passages:
        assert p.text == seed_lines[p.source_line - 1], p.id


@needs_seed
def test_reference_list_is_the_seed_verbatim(root):
    seed_lines = SEED.read_text(encoding="utf-8").splitlines()
    listed = (root / "bibliography/seed-references.txt").read_text(encoding="utf-8").splitlines()
    assert len(listed) == 36
    assert listed == seed_lines[18:54]


def test_bibtex_has_the_36_works_in_list_order(root):
    works, failed = load_bibtex(root / "bibliography/seed-references.bib")
    assert failed == []
    assert len(works) == 36
    listed = (root / "bibliography/seed-references.txt").read_text(encoding="utf-8").splitlines()
    for i, w in enumerate(works):
        line = int(w.provenance.rsplit(":", 1)[1])
        assert line == 19 + i
        # American punctuation puts the list's comma inside a closing quote: ‘smart Communities,’
        printed = listed[i].replace(",’", "’,")
        # every title and year in the BibTeX stands in the printed reference
        assert w.csl["title"] in printed, w.id
        assert str(w.year) in printed, w.id
        for field in ("container-title", "volume", "issue", "publisher", "page"):
            if field in w.csl:
                value = w.csl[field]
                assert value in printed or value.replace("-", "–") in printed, (w.id, field)
        for a in w.authors:
            assert (a.get("family") or a["literal"]) in printed, w.id
