"""The 20 regions (17 oblasts, 3 cities of republican significance including the capital)."""

import csv
from pathlib import Path

from sqlalchemy import select

from workflow.extensions import db
from workflow.models import Region

REGIONS_CSV = Path(__file__).parent / "data" / "regions.csv"


def load_regions() -> int:
    """Insert or update the regions from the bundled CSV; return how many were added."""
    existing = {r.iso_code: r for r in db.session.scalars(select(Region))}
    added = 0
    with REGIONS_CSV.open(encoding="utf-8") as fh:
        for order, row in enumerate(csv.DictReader(fh)):
            region = existing.get(row["iso_code"])
            if region is None:
                region = Region(iso_code=row["iso_code"])
                db.session.add(region)
                added += 1
            region.kind = row["kind"]
            region.name_kk, region.name_ru, region.name_en = row["name_kk"], row["name_ru"], row["name_en"]
            region.centre_en = row["centre_en"]
            region.sort_order = order
    db.session.flush()
    return added
