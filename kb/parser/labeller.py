"""The CRF sequence labeller (python-crfsuite): annotated references in, a model file out;
tokens in, labels out.

Annotated references are read from three layouts, each a reference string and the label of
every part of it:

- AnyStyle's XML (``<sequence><author>...</author><title>...</title></sequence>``),
- JSON Lines with ``{"segments": [[label, text], ...]}`` (AnyStyle's set converted),
- JSON Lines with ``{"text": ..., "spans": [[start, end, label], ...]}`` (what
  ``kb synth-references`` writes: references rendered by a CSL processor, labelled by where
  each field's value landed).

Labels are BIO-style ("B-title" starts a segment, "I-title" continues it).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from pathlib import Path

from kb.parser.features import MODELS, Ids, Scored, context, place_families, token_features, word
from kb.parser.tokens import tokenize
from kb.records import KbError

MODEL_PATH = MODELS / "refparser.crfsuite"

Sequence = tuple[list[str], list[bool], list[str]]  # tokens, glued, BIO labels

_HINT = (
    'give AnyStyle XML, or JSON Lines with one {"segments": [[label, text], ...]} or '
    '{"text": ..., "spans": [[start, end, label], ...]} object a line'
)


def read_annotated(path: Path) -> Iterator[tuple[str, list[tuple[int, int, str]], bool]]:
    """(text, character spans with labels, whether it comes from AnyStyle's annotation) for each
    annotated reference in the file."""
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise KbError(f"not UTF-8 (byte {e.object[e.start]:#x} at offset {e.start})", str(path), None, _HINT) from None
    except OSError as e:
        raise KbError(f"cannot read: {e.strerror}", str(path)) from None
    if path.suffix.lower() == ".xml":
        try:
            root = ET.fromstring(content)
        except ET.ParseError as e:
            raise KbError(f"not well-formed XML: {e}", str(path), e.position[0], _HINT) from None
        for seq in root.iter("sequence"):
            yield (*_from_segments([(child.tag, child.text or "") for child in seq]), True)
        return
    for number, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise KbError(f"not JSON: {e.msg}", str(path), number, _HINT) from None
        if isinstance(row, dict) and isinstance(row.get("text"), str) and isinstance(row.get("spans"), list):
            spans = row["spans"]
            if not all(
                isinstance(s, list)
                and len(s) == 3
                and isinstance(s[0], int)
                and isinstance(s[1], int)
                and isinstance(s[2], str)
                for s in spans
            ):
                raise KbError("spans must be [start, end, label] triples", str(path), number, _HINT)
            yield row["text"], [tuple(s) for s in spans], False
            continue
        segs = row.get("segments") if isinstance(row, dict) else None
        if not isinstance(segs, list) or not all(
            isinstance(x, list) and len(x) == 2 and all(isinstance(v, str) for v in x) for x in segs
        ):
            raise KbError("no annotated segments on this line", str(path), number, _HINT)
        yield (*_from_segments(segs), True)


def _from_segments(segs: Iterable) -> tuple[str, list[tuple[int, int, str]]]:
    parts, spans, pos = [], [], 0
    for label, text in segs:
        text = " ".join(str(text).split())
        if not text:
            continue
        if parts:
            pos += 1
        spans.append((pos, pos + len(text), label))
        parts.append(text)
        pos += len(text)
    return " ".join(parts), spans


def sequence(text: str, spans: list[tuple[int, int, str]], anystyle: bool = False) -> Sequence | None:
    """A labelled reference -> tokens, glue flags and BIO labels (None when it has no tokens)."""
    tokens, starts, glued = tokenize(text)
    if not tokens:
        return None
    spans = sorted(spans)
    labels: list[str] = []
    k = 0
    for s in starts:
        while k + 1 < len(spans) and spans[k][1] <= s:
            k += 1
        labels.append(spans[k][2] if spans and spans[k][0] <= s < spans[k][1] else (spans[k][2] if spans else "note"))
    if anystyle:
        labels = _refine(tokens, glued, labels)
    return tokens, glued, _bio(labels, glued, starts, spans)


def _bio(labels: list[str], glued: list[bool], starts: list[int], spans: list[tuple[int, int, str]]) -> list[str]:
    span_starts = {s[0] for s in spans}
    out = []
    for i, lab in enumerate(labels):
        begin = i == 0 or labels[i - 1] != lab or starts[i] in span_starts and not glued[i]
        out.append(("B-" if begin else "I-") + lab)
    return out


_YEAR_PIECE = re.compile(r"\(?(?:1[5-9]\d\d|20\d\d)[a-z]?\)?[;.,]")
_PAGE_PIECE = re.compile(r"[eES]?\d+(?:\s*[-–]\s*[eES]?\d+)?[.,;]?")


def _refine(tokens: list[str], glued: list[bool], labels: list[str]) -> list[str]:
    """AnyStyle annotates whitespace words, so "2000;355(9222):" is all volume and "128(1):183–269,"
    too. Cut into tokens, the year is a date and the pages after a colon are pages."""
    out = list(labels)
    i = 0
    n = len(tokens)
    while i < n:
        j = i + 1
        while j < n and glued[j]:
            j += 1
        if j - i > 1 and labels[i] in ("volume", "date", "pages", "source"):
            for k in range(i, j):
                if k == i and _YEAR_PIECE.fullmatch(tokens[k]):
                    out[k] = "date"
                elif k == j - 1 and k > i and tokens[k - 1].endswith(":") and _PAGE_PIECE.fullmatch(tokens[k]):
                    out[k] = "pages"
                elif labels[i] == "date" and k > i:
                    out[k] = "volume"
        i = j
    return out


def training_sequences(*paths: Path) -> list[Sequence]:
    """Every annotated reference in the files, as labelled token sequences."""
    out = []
    for path in paths:
        for text, spans, anystyle in read_annotated(path):
            seq = sequence(text, spans, anystyle)
            if seq:
                out.append(seq)
    return out


def train(
    sequences: Iterable[Sequence], model_path: Path, max_iterations: int = 150, c1: float = 0.05, c2: float = 0.01
) -> None:
    """Train a CRF on labelled sequences and write the model file and its weight table
    (``.npz``, what the labeller reads), atomically: an interrupted run leaves both as they were."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for tokens, glued, labels in sequences:
        trainer.append(token_features(tokens, glued), labels)
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": max_iterations, "feature.possible_transitions": True})
    model_path.parent.mkdir(parents=True, exist_ok=True)
    partial = model_path.with_name(model_path.name + ".partial")
    table = weights_path(model_path)
    partial_table = table.with_name(table.stem + ".partial.npz")
    try:  # write beside the model, then swap
        trainer.train(str(partial))
        write_weights(partial, partial_table)
        partial.replace(model_path)
        partial_table.replace(table)
    finally:
        partial.unlink(missing_ok=True)
        partial_table.unlink(missing_ok=True)


def _fingerprint(model_path: Path) -> str:
    import hashlib

    return hashlib.sha256(model_path.read_bytes()).hexdigest()


def weights_path(model_path: Path) -> Path:
    return model_path.with_suffix(".npz")


def write_weights(model_path: Path, out: Path) -> None:
    """The CRF's weights as arrays: attribute names, label names, a sparse attribute x label
    matrix of state weights and a label x label matrix of transition weights (pycrfsuite's own
    dump of the model, put in a form numpy loads in milliseconds)."""
    import numpy as np
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(model_path))
    info = tagger.info()
    labels = sorted(info.labels, key=info.labels.get)
    label_id = {lab: i for i, lab in enumerate(labels)}
    attributes = sorted({a for a, _ in info.state_features})
    attr_id = {a: i for i, a in enumerate(attributes)}
    rows = sorted((attr_id[a], label_id[lab], w) for (a, lab), w in info.state_features.items())
    transitions = np.zeros((len(labels), len(labels)))
    for (a, b), w in info.transitions.items():
        transitions[label_id[a], label_id[b]] = w
    np.savez_compressed(
        out,
        model_sha256=np.array(_fingerprint(model_path).encode("ascii")),
        labels=np.array("\n".join(labels).encode("utf-8")),
        attributes=np.array("\n".join(attributes).encode("utf-8")),
        rows=np.array([r for r, _, _ in rows], dtype=np.int32),
        cols=np.array([c for _, c, _ in rows], dtype=np.int16),
        weights=np.array([w for _, _, w in rows]),
        transitions=transitions,
    )


class Labeller:
    """The trained CRF: tokens -> labels. Inference is done here, with numpy, on the model's weight
    table: the same sums and the same Viterbi search as crfsuite's own tagger (the labels are
    identical), but for many references at a time, without pycrfsuite's per-call conversions,
    which alone cost half a millisecond a reference."""

    BATCH = 128  # references a Viterbi pass runs over together (small enough to stay in cache)

    def __init__(self, model_path: Path = MODEL_PATH):
        import numpy as np

        table = weights_path(model_path)
        if self._matches(table, model_path):
            self._load(np, table)
            return
        import shutil
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:  # a model without its table: derive it (a second)
            fresh = Path(tmp) / "weights.npz"
            write_weights(model_path, fresh)
            try:
                shutil.copyfile(fresh, table)  # kept for next time
            except OSError:
                pass  # a read-only install: derived again next time
            self._load(np, fresh)

    @staticmethod
    def _matches(table: Path, model_path: Path) -> bool:
        import numpy as np

        if not table.exists():
            return False
        with np.load(table, allow_pickle=False) as z:
            return "model_sha256" in z and z["model_sha256"].item().decode("ascii") == _fingerprint(model_path)

    def _load(self, np, table: Path) -> None:
        with np.load(table, allow_pickle=False) as z:
            self.labels = z["labels"].item().decode("utf-8").split("\n")
            attributes = z["attributes"].item().decode("utf-8").split("\n")
            # one more row, all zeros, for attributes the model never saw
            self.weights = np.zeros((len(attributes) + 1, len(self.labels)), dtype=np.float32)
            self.weights[z["rows"], z["cols"]] = z["weights"]
            # transposed, this label x previous label: the max over the previous label runs along memory
            self.incoming = np.ascontiguousarray(z["transitions"].T.astype(np.float32))
        self.index = {a: i for i, a in enumerate(attributes)}
        self.unknown = len(attributes)
        self.ids = Ids(self.index, self.unknown)
        # the weights of the features of a token's place, family by family (``_context_scores``)
        self._rows = {
            name: self.weights[[self.index.get(f, self.unknown) for f in family]]
            for name, family in place_families().items()
        }
        self.scored = Scored()
        # each distinct word's share of the scores, by the word's number: its own features, and
        # what it gives the tokens 3, 2, 1 before it and 1, 2, 3 after it
        self.shares = np.zeros((7, 1024, len(self.labels)), dtype=np.float32)
        self.summed = 0  # words whose shares are in ``shares``

    def label(self, tokens: list[str], glued: list[bool] | None = None) -> list[str]:
        return self.label_many([(tokens, glued)])[0]

    def label_many(self, sequences: list[tuple[list[str], list[bool] | None]]) -> list[list[str]]:
        """Labels for many token sequences at once."""
        out: list[list[str]] = []
        for b in range(0, len(sequences), self.BATCH):
            batch = sequences[b : b + self.BATCH]
            if len(self.scored.words) > 200_000:  # bounded memory on endless input
                self.scored.clear()
                self.summed = 0
            refs = []
            numbers: list[int] = []
            for tokens, glued in batch:
                locs = [word(t) for t in tokens]
                numbers += self.scored.numbers(tokens, locs)
                refs.append((tokens, glued, locs))
            lengths = [len(tokens) for tokens, _ in batch]
            if not numbers:
                out += [[] for _ in batch]
                continue
            scores = self._context_scores(context(refs))
            self._add_word_shares(scores, numbers, lengths)
            out += self._viterbi(scores, lengths)
        return out

    def _context_scores(self, ctx):
        """Each token's score for each label from what its place in the reference says: the
        weights of its features (``Context``) summed, feature family by feature family."""
        import numpy as np

        rows = self._rows
        scores = rows["pos"][ctx.pos]
        # not a matrix product: numpy would hand it to a multi-threaded BLAS whose idle threads
        # spin, which costs more CPU time than the sums
        for k, row in enumerate(rows["flags"]):
            column = ctx.flags[:, k]
            on = np.nonzero(column)[0]
            scores[on] += column[on, None] * row
        scores += rows["dots"][ctx.dots]
        scores += rows["commas"][ctx.commas]
        styles = place_families()["styles"]
        has_style = np.array([[name in style for name in styles] for style in ctx.styles], dtype=np.float32)
        scores += np.repeat((has_style[:, :, None] * rows["styles"]).sum(axis=1), ctx.lengths, axis=0)
        get, unknown = self.index.get, self.unknown
        scores += self.weights[[get(p, unknown) for p in ctx.pairs]]  # None: the zero row
        scores += self.weights[[get(c, unknown) for c in ctx.caps]]
        return scores

    _OFFSETS = (0, -3, -2, -1, 1, 2, 3)

    def _add_word_shares(self, scores, numbers: list[int], lengths: list[int]) -> None:
        """Add each token's word features and its neighbours' contributions to ``scores``: the
        sums token_features makes per token with the ``Ids`` encoder, made once per word."""
        import numpy as np

        self._sum_new_words()
        v = np.asarray(numbers, dtype=np.int64)
        lens = np.asarray(lengths, dtype=np.int64)
        lens = lens[lens > 0]
        starts = np.repeat(np.cumsum(lens) - lens, lens)
        pos = np.arange(len(v)) - starts  # position in its sequence
        left = np.repeat(lens, lens) - 1 - pos  # tokens after it in its sequence
        shares = self.shares
        scores += shares[0][v]
        for kind, off in enumerate(self._OFFSETS[1:], 1):
            # token i gets what the word at i + off gives at offset off: shifted whole, with a
            # zero from the words whose token i + off lies in another sequence (cheaper than
            # picking the tokens out, and adding zero changes no sum)
            given = shares[kind][v]
            if off < 0:
                given[left < -off] = 0
                scores[-off:] += given[:off]
            else:
                given[pos < off] = 0
                scores[:-off] += given[off:]

    def _sum_new_words(self) -> None:
        import numpy as np

        words = self.scored.words
        new = words[self.summed :]
        if not new:
            return
        need = len(words)
        if need > self.shares.shape[1]:
            grown = np.zeros((7, max(need, 2 * self.shares.shape[1]), self.shares.shape[2]), dtype=np.float32)
            grown[:, : self.summed] = self.shares[:, : self.summed]
            self.shares = grown
        get, unknown, weights = self.index.get, self.unknown, self.weights
        shares = self.shares[:, self.summed : need]
        # a word's own features, as many as it has (every word has some), their weights summed
        # in order, row after row: the sums a sparse 0/1 matrix times the weights makes
        cols = [get(f, unknown) for w in new for f in w.feats]
        starts = np.cumsum([0] + [len(w.feats) for w in new[:-1]])
        shares[0] = np.add.reduceat(weights[cols], starts, axis=0)
        for kind, off in enumerate(self._OFFSETS[1:], 1):
            if off in (-1, 1):  # four features each: summed in their order, as the product above sums
                ids = np.array([get(f, unknown) for w in new for f in w.near[off]]).reshape(len(new), -1)
                shares[kind] = weights[ids[:, 0]]
                for k in range(1, ids.shape[1]):
                    shares[kind] += weights[ids[:, k]]
            else:  # one feature each
                shares[kind] = weights[[get(w.far[off], unknown) for w in new]]
        self.summed = need

    def _viterbi(self, scores, lengths: list[int]) -> list[list[str]]:
        """The best label path of every sequence: Viterbi over all of them at once, longest
        first, each step on the sequences still running."""
        import numpy as np

        out: list[list[str]] = [[] for _ in lengths]
        order = [i for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]) if lengths[i]]
        if not order:
            return out
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        lens = np.array([lengths[i] for i in order])
        first = starts[order]
        running = len(order)
        delta = scores[first]  # best score of a path ending in each label, per running sequence
        final = np.empty_like(delta)
        back = []
        for t in range(1, int(lens[0])):
            k = int((lens > t).sum())
            final[k:running] = delta[k:running]  # sequences that ended at t - 1
            cand = delta[:k, None, :] + self.incoming  # sequence x this label x previous label
            best = cand.argmax(axis=2)
            delta = np.take_along_axis(cand, best[:, :, None], axis=2)[:, :, 0] + scores[first[:k] + t]
            back.append(best)
            running = k
        final[:running] = delta
        # back along the paths, all sequences at once: at step t the first k are those running
        last = final.argmax(axis=1)
        paths = np.empty((len(order), int(lens[0])), dtype=np.int64)
        paths[np.arange(len(order)), lens - 1] = last
        y = last
        for t in range(int(lens[0]) - 1, 0, -1):
            k = back[t - 1].shape[0]
            y[:k] = back[t - 1][np.arange(k), y[:k]]
            paths[:k, t - 1] = y[:k]
        labels = self.labels
        for seq, n, path in zip(order, lens.tolist(), paths.tolist(), strict=True):
            out[seq] = [labels[i] for i in path[:n]]
        return out


_labeller: Labeller | None = None


def default_labeller() -> Labeller:
    global _labeller
    if _labeller is None:
        _labeller = Labeller()
    return _labeller
