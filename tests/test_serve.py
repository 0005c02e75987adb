"""`kb serve` as a real process on a free loopback port, read over HTTP."""

from __future__ import annotations

import json
import urllib.request


def test_serve_builds_then_serves_json(server):
    base, db, proc = server
    assert db.exists()  # built because it was missing
    with urllib.request.urlopen(base + "/kb/works.json?_shape=objects&_size=100") as r:
        rows = json.load(r)["rows"]
    assert len(rows) == 36
    with urllib.request.urlopen(base + "/kb/citations.json?_shape=objects&status=missing") as r:
        missing = [row["text"] for row in json.load(r)["rows"]]
    assert missing == ["Alford, 1998", "Hartley, 2005"]
    with urllib.request.urlopen(base + "/-/metadata.json") as r:
        assert json.load(r)["title"].startswith("kb")


def test_serve_turns_off_suggested_facets(server):
    """kb declares the facets worth having; Datasette's suggestions (pagerank, volume) are noise."""
    base, _, _ = server
    with urllib.request.urlopen(base + "/-/settings.json") as r:
        assert json.load(r)["suggest_facets"] is False
