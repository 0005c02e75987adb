"""Reference strings -> tokens with their offsets.

Whitespace separates most fields, but not all: Vancouver prints ``2012;1817(9):1616-27.`` and
eLife ``1817:1616–1627.`` as one word holding a year, a volume, an issue and pages. A word is
therefore cut after ``;``, after ``:`` before a digit, around a parenthesised number glued to a
number, and after a comma glued to a letter. URLs and DOIs are never cut. Each token remembers
whether a space came before it (``glued`` is False then), so that a field's text is rebuilt
exactly as printed.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\S+")
# Only words with one of these characters inside (not at their end) may need cutting.
_MAYBE_CUT = re.compile(r"[;:(),.][^\s]")
_URL_LIKE = re.compile(r"://|^www\.|doi\.org|^(?:doi:\s*)?10\.\d{4,}/|^<?https?:", re.I)
_CUT = re.compile(
    r"(?<=;)(?=\S)"  # 2012;1817
    r"|(?<=:)(?=[\d(])|(?<=[\d)]:)(?=[A-Za-z]{1,3}\d)"  # 1817:1616, (9):1616, 3:e1543, (3):e0213456, (1):CD004816
    r"|(?<=\d)(?=\([\dA-Za-z])"  # 1817(9)
    r"|(?<=\))(?=\w)"  # (38)5
    r"|(?<=[^\W\d_],)(?=[^\W\d_]|\()"  # Adams,P.G.
    r"|(?<=[\d)],)(?=\()|(?<=\),)(?=\d)"  # 12,(1),15
    r"|(?<=^1[5-9]\d\d\.)(?=\d)|(?<=^20\d\d\.)(?=\d)"  # 2016.45(10)
)


def tokenize(text: str) -> tuple[list[str], list[int], list[bool]]:
    """Tokens, their start offsets, and whether each is glued to the one before (no space).

    >>> tokenize("Biochim Biophys Acta. 2012;1817(9):1616-27.")[0]
    ['Biochim', 'Biophys', 'Acta.', '2012;', '1817', '(9):', '1616-27.']
    >>> tokenize("https://doi.org/10.1016/j.x:1 Adams,P.G.")[0]
    ['https://doi.org/10.1016/j.x:1', 'Adams,', 'P.G.']
    >>> tokenize("Acta 1817:1616–1627.")[2]
    [False, False, True]
    """
    tokens: list[str] = []
    starts: list[int] = []
    glued: list[bool] = []
    for m in _WORD.finditer(text):
        word, start = m.group(), m.start()
        if not _MAYBE_CUT.search(word) or _URL_LIKE.search(word):
            tokens.append(word)
            starts.append(start)
            glued.append(False)
            continue
        first = True
        for piece in _CUT.split(word):
            if piece:
                tokens.append(piece)
                starts.append(start)
                glued.append(not first)
                first = False
            start += len(piece)
    return tokens, starts, glued


def join(tokens: list[str], glued: list[bool]) -> str:
    """Tokens back into text: a space where the text had one.

    >>> join(*(lambda t, s, g: (t, g))(*tokenize("2012;1817(9):1616-27. Next")))
    '2012;1817(9):1616-27. Next'
    """
    out = []
    for i, (tok, g) in enumerate(zip(tokens, glued, strict=True)):
        if i and not g:
            out.append(" ")
        out.append(tok)
    return "".join(out)
