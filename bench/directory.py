"""The directory at the size of the whole US: CCD-format files of 20,000 districts and 100,000 schools
imported into PostgreSQL, preview and commit; the same files again; a copy with 500 districts changed; and
one district's matches.

Usage: .venv/bin/python bench/directory.py [--districts 20000] [--schools 100000]
The database is BENCH_DATABASE_URL (default: a database `bench_directory` on the local PostgreSQL, made if
missing and emptied). The baseline, measured in the same run, reads the same files with the csv module and
inserts their rows with one executemany a thousand rows, with no checks, comparisons or audit. Prints a last
line of JSON: {"districts", "schools", "import_s", "reimport_s", "reimport_changes", "changed_import_updates",
"peak_rss_mb", "matches_ms", "bare_insert_s", "ratio_vs_bare"}
"""
import argparse
import csv
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_directory"
STATES = {"01": "AL", "04": "AZ", "06": "CA", "08": "CO", "12": "FL", "13": "GA", "17": "IL", "18": "IN",
          "19": "IA", "26": "MI", "27": "MN", "29": "MO", "36": "NY", "37": "NC", "39": "OH", "40": "OK",
          "41": "OR", "42": "PA", "47": "TN", "48": "TX", "49": "UT", "51": "VA", "53": "WA", "55": "WI"}
WORDS = ["Maple", "Cedar", "River", "Prairie", "Lake", "Hill", "Valley", "Pine", "Oak", "Harbor", "Mesa", "Elm"]
LOCALES = ["11", "12", "13", "21", "22", "23", "31", "32", "33", "41", "42", "43"]
GRADES = [("PK", "12"), ("KG", "12"), ("KG", "08"), ("09", "12"), ("PK", "05"), ("06", "08")]


def write_files(folder: Path, districts: int, schools: int) -> tuple[Path, Path, Path]:
    """The districts file, the schools file, and a copy of the districts with 500 enrollments changed."""
    rng = random.Random(2026)
    fips = list(STATES)
    district_rows = []
    for n in range(districts):
        code = fips[n % len(fips)]
        leaid = f"{code}{n:05d}"
        low, high = rng.choice(GRADES)
        district_rows.append([leaid, f"{rng.choice(WORDS)} {rng.choice(WORDS)} School District {n}", STATES[code],
                              f"{rng.choice(WORDS)}ville", f"{rng.randint(1, 999)} Main St",
                              f"{rng.randint(10000, 99999)}", low, high, rng.choice(LOCALES),
                              rng.randint(150, 60000), rng.randint(10, 5000), rng.randint(0, 900), "2023-2024"])
    header = ["LEAID", "LEA_NAME", "ST", "LCITY", "LSTREET1", "LZIP", "GSLO", "GSHI", "LOCALE", "MEMBER",
              "FRELCH", "REDLCH", "SCHOOL_YEAR"]
    paths = folder / "districts.csv", folder / "schools.csv", folder / "districts-changed.csv"
    with paths[0].open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(district_rows)
    changed = rng.sample(range(districts), 500)
    for index in changed:
        district_rows[index][9] = int(district_rows[index][9]) + 7
    with paths[2].open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(district_rows)
    with paths[1].open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["NCESSCH", "SCH_NAME", "LEAID", "LSTREET1", "LCITY", "ST", "LZIP", "GSLO", "GSHI",
                         "LOCALE", "ENROLLMENT"])
        for n in range(schools):
            district = district_rows[n % districts]
            low, high = rng.choice(GRADES)
            writer.writerow([f"{district[0]}{n // districts:05d}", f"{rng.choice(WORDS)} School {n}", district[0],
                             f"{rng.randint(1, 999)} School Rd", district[3], district[2], district[5], low, high,
                             district[8], rng.randint(50, 3000)])
    return paths


def empty_database(url: str) -> None:
    """Make the database if it is missing."""
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": parsed.database}):
            connection.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def bare_insert(app, paths) -> float:
    """The baseline: the files' rows inserted as they are, a thousand at a time, nothing checked."""
    import sqlalchemy as sa

    from eventhub.extensions import db
    from eventhub.models import District, School

    started = time.perf_counter()
    with app.app_context():
        ids = {}
        with paths[0].open(newline="") as file:
            rows = csv.reader(file)
            next(rows)
            batch = []
            for row in rows:
                batch.append({"nces_leaid": row[0], "name": row[1], "state": row[2], "city": row[3],
                              "email_domains": [], "notes": "", "is_member": False})
                if len(batch) == 1000:
                    db.session.execute(sa.insert(District), batch)
                    batch = []
            if batch:
                db.session.execute(sa.insert(District), batch)
        ids = dict(db.session.execute(sa.select(District.nces_leaid, District.id)).tuples().all())
        with paths[1].open(newline="") as file:
            rows = csv.reader(file)
            next(rows)
            batch = []
            for row in rows:
                batch.append({"nces_id": row[0], "name": row[1], "district_id": ids[row[2]], "street": row[3],
                              "city": row[4], "state": row[5], "postal_code": row[6], "entrance": "",
                              "bus_parking": ""})
                if len(batch) == 1000:
                    db.session.execute(sa.insert(School), batch)
                    batch = []
            if batch:
                db.session.execute(sa.insert(School), batch)
        db.session.commit()
    return time.perf_counter() - started


def import_files(app, files) -> tuple[float, int, int]:
    """Preview and commit each file; seconds, rows added or updated, rows updated."""
    from eventhub.directory.imports import commit_import, preview_import
    from eventhub.extensions import db

    started = time.perf_counter()
    changes = updates = 0
    with app.app_context():
        for path in files:
            with path.open("rb") as stream:
                plan = preview_import(stream)
                stream.seek(0)
                done = commit_import(stream, digest=plan.digest, version=plan.version)
            db.session.commit()
            assert (done.added, done.updated) == (plan.added, plan.updated), "the commit is the preview"
            changes += done.added + done.updated
            updates += done.updated
    return time.perf_counter() - started, changes, updates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=20_000)
    parser.add_argument("--schools", type=int, default=100_000)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    empty_database(url)

    from eventhub import create_app
    from eventhub.extensions import db
    from eventhub.models import District, utcnow
    from eventhub.visits.matching import matches_for

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    with tempfile.TemporaryDirectory() as folder:
        paths = write_files(Path(folder), args.districts, args.schools)
        with app.app_context():
            db.drop_all()
            db.create_all()
        bare_s = bare_insert(app, paths)
        with app.app_context():
            db.drop_all()
            db.create_all()
        import_s, added, _ = import_files(app, paths[:2])
        assert added == args.districts + args.schools, added
        reimport_s, reimport_changes, _ = import_files(app, paths[:2])
        _, _, changed_updates = import_files(app, paths[2:])
        with app.app_context():
            import sqlalchemy as sa

            visitor = db.session.scalar(sa.select(District).order_by(District.id).offset(args.districts // 2))
            timings = []
            for _ in range(7):
                db.session.refresh(visitor)  # loaded before the clock starts: the figure is the matching alone
                started = time.perf_counter()
                found = matches_for(visitor, utcnow())
                timings.append((time.perf_counter() - started) * 1000)
            assert 0 < len(found) <= 20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "districts": args.districts, "schools": args.schools, "import_s": round(import_s, 1),
        "reimport_s": round(reimport_s, 1), "reimport_changes": reimport_changes,
        "changed_import_updates": changed_updates, "peak_rss_mb": round(peak, 1),
        "matches_ms": round(statistics.median(timings), 1), "bare_insert_s": round(bare_s, 1),
        "ratio_vs_bare": round(import_s / bare_s, 2),
    }))


if __name__ == "__main__":
    main()
