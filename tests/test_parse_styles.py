"""kb parse across citation styles: the same article printed eight ways gives the same CSL fields.

The printed forms are the ones a new user tried (Vancouver, APA, Nature, Chicago, MLA, IEEE, eLife,
ABNT); each is checked field by field, as a user reads the output of `kb parse`.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.normalise import family
from kb.parser import parse_references
from kb.parser.names import parse_names

TITLE = "Adaptation of intracytoplasmic membranes to altered light intensity in Rhodobacter sphaeroides"
STYLES = {
    "vancouver": f"Adams PG, Hunter CN. {TITLE}. Biochim Biophys Acta. 2012;1817(9):1616-27.",
    "apa": f"Adams, P. G., & Hunter, C. N. (2012). {TITLE}. Biochimica et Biophysica Acta, 1817(9), 1616–1627.",
    "nature": f"Adams, P. G. & Hunter, C. N. {TITLE}. Biochim. Biophys. Acta 1817, 1616–1627 (2012).",
    "chicago": f"Adams, Peter G., and C. Neil Hunter. “{TITLE}.” Biochimica et Biophysica Acta 1817, no. 9 (2012): 1616–27.",
    "mla": f"Adams, Peter G., and C. Neil Hunter. “{TITLE}.” Biochimica et Biophysica Acta, vol. 1817, no. 9, 2012, "
    "pp. 1616–27.",
    "ieee": f"P. G. Adams and C. N. Hunter, “{TITLE},” Biochim. Biophys. Acta, vol. 1817, no. 9, pp. 1616–1627, 2012.",
    "elife": f"Adams PG, Hunter CN. 2012. {TITLE}. Biochimica et Biophysica Acta 1817:1616–1627.",
    "abnt": f"ADAMS, P. G.; HUNTER, C. N. {TITLE}. Biochimica et Biophysica Acta, v. 1817, n. 9, p. 1616-1627, 2012.",
}
ISSUE_PRINTED = {"vancouver", "apa", "chicago", "mla", "ieee", "abnt"}


def _initials(given: str) -> str:
    return "".join(w[0] for w in given.replace(".", " ").split())


@pytest.mark.parametrize("style", list(STYLES))
def test_one_article_in_eight_styles_gives_the_same_fields(style, tmp_path):
    path = tmp_path / f"{style}.txt"
    path.write_text(STYLES[style] + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["parse", str(path)])
    assert result.exit_code == 0, result.output
    (item,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(family(a), _initials(a.get("given", ""))) for a in item["author"]] == [("Adams", "PG"), ("Hunter", "CN")]
    assert item["issued"] == {"date-parts": [[2012]]}
    assert item["title"].lower() == TITLE.lower()
    assert item["container-title"].replace(".", "") in ("Biochim Biophys Acta", "Biochimica et Biophysica Acta")
    assert item["volume"] == "1817"
    assert item.get("issue") == ("9" if style in ISSUE_PRINTED else None)
    assert item["page"] == "1616-1627"  # "1616–27" written out: not a suspicious range
    assert not [p for p in item["problems"] if p["code"] in ("suspicious-pages", "missing-year")]


@pytest.mark.parametrize(
    ("printed", "want"),
    [
        pytest.param("Adams PG, Hunter CN.", [("Adams", "P. G."), ("Hunter", "C. N.")], id="vancouver-initials"),
        pytest.param(
            "Adams, Peter G., and C. Neil Hunter.",
            [("Adams", "Peter G."), ("Hunter", "C. Neil")],
            id="chicago-first-inverted",
        ),
        pytest.param("ADAMS, P. G.; HUNTER, C. N.", [("Adams", "P. G."), ("Hunter", "C. N.")], id="abnt-capitals"),
        pytest.param(
            "A. M. Boulet, A. Lloyd, S. Sakonju,",
            [("Boulet", "A. M."), ("Lloyd", "A."), ("Sakonju", "S.")],
            id="given-first",
        ),
        pytest.param(
            "Şener A, De la Rossa J, van der Graaf S.",
            [("Şener", "A."), ("De la Rossa", "J."), ("van der Graaf", "S.")],
            id="diacritic-and-particles",
        ),
        pytest.param(
            "VAN DER GRAAF, S.; MCDONALD, J.", [("van der Graaf", "S."), ("McDonald", "J.")], id="capitals-recased"
        ),
        pytest.param(
            "Haloin JR, Strauss SY.", [("Haloin", "J. R."), ("Strauss", "S. Y.")], id="jr-is-initials-in-vancouver"
        ),
        pytest.param("King, M. L., Jr., & Smith, J.", [("King", "M. L."), ("Smith", "J.")], id="suffix"),
    ],
)
def test_name_orders(printed, want):
    names, _ = parse_names(printed)
    assert [(family(n), n.get("given")) for n in names] == want


def test_particles_are_csl_particles():
    (graaf, _), _ = parse_names("S. van der Graaf and C. Veeckman,")
    assert graaf == {"family": "Graaf", "given": "S.", "non-dropping-particle": "van der"}
    (demoted, _), _ = parse_names("Graaf, S. van der, and C. Veeckman.")
    assert demoted == {"family": "Graaf", "given": "S.", "dropping-particle": "van der"}


def test_a_person_read_once_reads_the_same_in_any_list():
    """Each person is read once and remembered (``names._name_cached``): a list must come out
    the same whether the people in it were read before, in other lists (in capitals, with bare
    or dotted initials), or not."""
    from kb.parser import names

    lists = [
        "ADAMS, P. G.; HUNTER, C. N.",
        "Adams, P. G., & Hunter, C. N.",
        "Adams PG, Hunter CN.",
        "Haloin JR, Strauss SY.",
        "Haloin, J. R., & Strauss, S. Y.",
        "VAN DER GRAAF, S.; MCDONALD, J.",
        "S. van der Graaf and C. Veeckman,",
        "Graaf, S. van der, and C. Veeckman.",
        "King, M. L., Jr., & Smith, J.",
    ]
    fresh = []
    for text in lists:
        names.read_names.cache_clear()
        names._name_cached.cache_clear()
        fresh.append(parse_names(text))
    names.read_names.cache_clear()
    warm = [parse_names(text) for text in reversed(lists)][::-1]
    assert warm == fresh
    # bare capitals are initials unless the list dots its initials: the same words, two people
    token = names._BARE.set(False)
    try:
        dotted_list = names._name(["Haloin"], ["JR"], False)
    finally:
        names._BARE.reset(token)
    assert (dotted_list["given"], names._name(["Haloin"], ["JR"], False)["given"]) == ("JR", "J. R.")
    names._name(["Adams"], ["P.", "G."], False)["family"] = "Changed"  # a caller may amend its copy
    assert names._name(["Adams"], ["P.", "G."], False)["family"] == "Adams"


def test_a_list_keeps_one_name_order():
    """ "Tummers, Lars" alone could be two people; the list prints every name family-first."""
    text = (
        "Voorberg, William, and Lars Tummers. Co-creation and co-production. Public Management Review 17, no. 9 (2015): 1333–57.\n"
        "Osborne, Stephen, and Kirsty Strokosch. It takes two to tango? British Journal of Management 24 (2013): 31–47.\n"
    )
    works = parse_references(text)
    assert [[(family(a), a.get("given")) for a in w.csl["author"]] for w in works] == [
        [("Voorberg", "William"), ("Tummers", "Lars")],
        [("Osborne", "Stephen"), ("Strokosch", "Kirsty")],
    ]


@pytest.mark.parametrize(
    ("printed", "want"),
    [
        pytest.param(
            "Smith, J. (2012a). A title. Journal of Things, 3, 1–2.",
            {"issued": {"date-parts": [[2012]]}, "year-suffix": "a"},
            id="year-suffix",
        ),
        pytest.param("Smith, J. (n.d.). A title. Journal of Things, 3, 1–2.", {}, id="no-date"),
        pytest.param("Smith, J. (in press). A title. Journal of Things.", {"status": "in press"}, id="in-press"),
    ],
)
def test_dates(printed, want):
    (work,) = parse_references(printed)
    got = {k: work.csl[k] for k in ("issued", "year-suffix", "status") if k in work.csl}
    assert got == want


def test_the_labeller_gives_crfsuites_own_labels(root):
    """Inference is done with numpy on the model's weight table; crfsuite's tagger must agree on
    every label, and the features as attribute numbers must be the features as strings."""
    import pycrfsuite

    from kb.parser.features import token_features
    from kb.parser.labeller import MODEL_PATH, Labeller
    from kb.parser.tokens import tokenize

    lines = (root / "bibliography/seed-references.txt").read_text(encoding="utf-8").splitlines() + list(STYLES.values())
    sequences = [(tokens, glued) for tokens, _, glued in map(tokenize, lines)]
    labeller = Labeller()
    for tokens, glued in sequences:
        as_ids = token_features(tokens, glued, labeller.ids)
        as_strings = token_features(tokens, glued)
        assert as_ids == [[labeller.index.get(s, labeller.unknown) for s in f] for f in as_strings]
    tagger = pycrfsuite.Tagger()
    tagger.open(str(MODEL_PATH))
    assert labeller.label_many(sequences) == [tagger.tag(token_features(t, g)) for t, g in sequences]


def test_the_labellers_scores_are_the_sums_of_each_tokens_features(root, monkeypatch):
    """The labeller does not list each token's features: it sums the weights of a token's place
    family by family (``context``) and each distinct word's share once. The sums must be those
    of the features ``token_features`` lists for the token, whatever batch the reference is in."""
    import numpy as np

    from kb.parser.features import token_features
    from kb.parser.labeller import Labeller
    from kb.parser.tokens import tokenize

    lines = (root / "bibliography/seed-references.txt").read_text(encoding="utf-8").splitlines() + list(STYLES.values())
    sequences = [(tokens, glued) for tokens, _, glued in map(tokenize, lines) if tokens]
    labeller = Labeller()
    monkeypatch.setattr(Labeller, "BATCH", 7)  # references cut across batches, words seen in earlier ones
    got = []
    viterbi = labeller._viterbi
    monkeypatch.setattr(
        labeller, "_viterbi", lambda scores, lengths: got.append(scores.copy()) or viterbi(scores, lengths)
    )
    labeller.label_many(sequences)
    want = [labeller.weights[ids].sum(axis=0) for t, g in sequences for ids in token_features(t, g, labeller.ids)]
    assert np.allclose(np.concatenate(got), np.array(want), atol=1e-4)
