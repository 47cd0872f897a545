"""Server-side timings of the deal pages at growing data sizes, on SQLite and PostgreSQL.

    python -m bench.pages [--sizes 1000,10000,100000] [--databases sqlite,postgresql]
                          [--repeat 15] [--seed 7] [--clean]

Each request goes through Flask's WSGI test client (no network, no browser): the time is what
the server spends parsing the request, querying, rendering and building the response. Pages are
as long as in production (PER_PAGE of the production configuration), and the requests go round
robin over every (database, size) so a change in the machine's load touches them all alike.
"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench import generate
from fundcrm import migrate
from fundcrm.db import make_engine

DATA_DIR = Path(__file__).resolve().parent / ".data"
ADMIN_URL = os.environ.get(
    "FUNDCRM_BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SEARCH_TERM = "灵犀"  # a brand (fundcrm.demo.BRANDS) in about 1 company name in 32
PAGES = {
    "list": "/deals",
    "filtered": "/deals?sub_fund=ANGEL&stage=due_diligence&focus_area=embodied_ai",
    "search": f"/deals?q={SEARCH_TERM}",
    "board": "/deals/board",
}
# The sorted lists, timed in a second table: every column of the deal, "My deals" and company
# lists sorts both ways, each order backed by an index (migration 0006) except the company's
# first application field, a correlated min() over company_fields.
SORTED_PAGES = {
    "stage": "/deals?sort=stage",
    "-proposed": "/deals?sort=-proposed",
    "due": "/deals?sort=due",
    "-due": "/deals?sort=-due",
    "company": "/deals?sort=company",
    "owner": "/deals?sort=owner",
    "mine -updated": "/deals/mine?sort=-updated",
    "companies district": "/companies?sort=district",
    "companies -name": "/companies?sort=-name",
    "companies fields": "/companies?sort=application_fields",
}
NEXT_PAGE = re.compile(r'href="[^"]*[?&](?:amp;)?page=2[&"]')  # the list goes on after this page
DEAL_LINK = re.compile(r'href="/deals/(\d+)"')  # a deal row's reference (not its Edit link)
COMPANY_LINK = re.compile(r'href="/companies/(\d+)"')  # a company row's name


def database_name(size: int) -> str:
    return f"fundcrm_bench_{size}"


def sqlite_url(size: int) -> str:
    return f"sqlite:///{DATA_DIR / (database_name(size) + '.db')}"


def postgresql_url(size: int) -> str:
    """The URL of the size's database on the server of ADMIN_URL, created when missing."""
    return postgresql_database(database_name(size))


def postgresql_database(name: str) -> str:
    """The URL of a database on the server of ADMIN_URL, created when missing."""
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_databases(kinds: list[str], sizes: list[int]) -> None:
    if "postgresql" in kinds:
        admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                for size in sizes:
                    name = database_name(size)
                    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        finally:
            admin.dispose()
    if "sqlite" in kinds:
        for size in sizes:
            for suffix in ("", "-wal", "-shm"):
                (DATA_DIR / f"{database_name(size)}.db{suffix}").unlink(missing_ok=True)


def ensure_data(url: str, size: int, seed: int) -> None:
    """Generate `size` deals unless the marker of a finished generation says they are there."""
    engine = make_engine(url)
    try:
        migrated = migrate.current_revision(engine) == migrate.head_revision(engine)
        if migrated and generate.read_marker(engine) == size:
            print(f"  reusing {size:,} deals", file=sys.stderr)
            return
        started = time.perf_counter()
        generate.prepare(engine, reset=True)
        counts = generate.generate(engine, size, seed)
        print(
            f"  generated {counts.total:,} rows ({size:,} deals) "
            f"in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    finally:
        engine.dispose()


def make_app(url: str):
    os.environ.setdefault("FUNDCRM_INSTANCE_PATH", str(DATA_DIR / "instance"))
    import config as fundcrm_config
    from fundcrm import create_app

    settings = fundcrm_config.TestConfig()  # its cheap password hashes; nothing is signed in
    settings.DATABASE_URL = url
    settings.PER_PAGE = fundcrm_config.ProductionConfig.PER_PAGE  # not the tests' shorter pages
    return create_app(settings)


def manager_id(app) -> int:
    from fundcrm.models import UserRole

    with app.extensions["fundcrm.engine"].connect() as connection:
        return connection.execute(
            sa.select(sa.func.min(UserRole.user_id)).where(UserRole.role == "manager")
        ).scalar_one()


def owned_deals(app, user_id: int) -> int:
    """The deals the user owns: "My deals" must have rows to measure."""
    from fundcrm.models import Deal

    with app.extensions["fundcrm.engine"].connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).where(Deal.owner_id == user_id)
        ).scalar_one()


def sign_in(client, user_id: int) -> None:
    """As tests/conftest.py does: a signed-in session without the login form."""
    from sqlmodel import Session

    from fundcrm.models import User

    with Session(client.application.extensions["fundcrm.engine"]) as db_session:
        alternative_id = db_session.get(User, user_id).get_id()  # id and session token
    with client.session_transaction() as session:
        session["_user_id"] = alternative_id
        session["_fresh"] = True


def fetch(client, name: str, url: str):
    response = client.get(url)
    assert response.status_code == 200, f"{name} {url}: HTTP {response.status_code}"
    return response


def check_page(name: str, path: str, page: str, per_page: int) -> str:
    """The page shows rows (deals, or companies for /companies), a full first page for a sorted
    list, and marks its sort column as sorted (a sort it does not know would be a 400)."""
    companies = path.startswith("/companies")
    kind, pattern = ("companies", COMPANY_LINK) if companies else ("deals", DEAL_LINK)
    rows = len(dict.fromkeys(pattern.findall(page)))
    assert rows > 0, f"{name} {path}: the rendered page shows no {kind}"
    if sort := re.search(r"[?&]sort=(-?)(\w+)", path):
        direction = "descending" if sort[1] else "ascending"
        marked = re.search(rf'aria-sort="{direction}">\s*<a [^>]*data-sort="{sort[2]}"', page)
        assert marked, f"{name} {path}: the {sort[2]} column is not marked {direction}"
        full = rows == per_page or (rows < per_page and not NEXT_PAGE.search(page))
        assert full, f"{name} {path}: {rows} {kind} on the first page, not {per_page}"
    return f"{rows} {kind}"


def signed_in(url: str):
    """An app on the database and a client signed in as a manager who owns deals, each page
    checked once (this is also the warm-up request)."""
    app = make_app(url)
    client = app.test_client()
    user_id = manager_id(app)
    owned = owned_deals(app, user_id)
    assert owned > 0, f"the signed-in manager (user {user_id}) owns no deals"
    print(f"  signed in as manager {user_id}, owner of {owned:,} deals", file=sys.stderr)
    sign_in(client, user_id)
    per_page = app.config["PER_PAGE"]
    for name, path in {**PAGES, **SORTED_PAGES}.items():
        page = fetch(client, name, path).get_data(as_text=True)
        shown = check_page(name, path, page, per_page)
        print(f"  {name:18} {path}: {shown}", file=sys.stderr)
    return app, client


def time_pages(urls: dict[tuple[str, int], str], repeat: int) -> dict:
    """Median server time (ms) of each page on each (database, size), the requests interleaved:
    each round asks every page of every database once, in turn."""
    clients = {}
    try:
        for key, url in urls.items():
            print(f"{key[0]}, {key[1]:,} deals", file=sys.stderr)
            clients[key] = signed_in(url)
        pages = {**PAGES, **SORTED_PAGES}
        samples = {key: {name: [] for name in pages} for key in urls}
        for _ in range(repeat):
            for name, path in pages.items():
                for key, (_app, client) in clients.items():
                    started = time.perf_counter()
                    fetch(client, name, path)
                    samples[key][name].append((time.perf_counter() - started) * 1000)
        return {
            key: {name: statistics.median(values) for name, values in by_page.items()}
            for key, by_page in samples.items()
        }
    finally:
        for app, _client in clients.values():
            app.extensions["fundcrm.engine"].dispose()


TARGET_MS, TARGET_RATIO = 50, 1.5  # at the largest size, and its time over the smallest's


def report(results: dict[tuple[str, int], dict[str, float]], pages: dict[str, str]) -> str:
    lines = [
        "| database | deals | " + " | ".join(pages) + " |",
        "|---|---:|" + "---:|" * len(pages),
    ]
    for (kind, size), medians in results.items():
        cells = " | ".join(f"{medians[name]:.1f}" for name in pages)
        lines.append(f"| {kind} | {size:,} | {cells} |")
    for kind in dict.fromkeys(kind for kind, _size in results):
        sizes = sorted(size for k, size in results if k == kind)
        if len(sizes) > 1:
            small, large = results[(kind, sizes[0])], results[(kind, sizes[-1])]
            cells = " | ".join(f"×{large[name] / small[name]:.2f}" for name in pages)
            lines.append(f"| {kind} | {sizes[-1]:,} / {sizes[0]:,} | {cells} |")
    lines.append("")
    lines.append("Median server time per request, in ms.")
    if pages is SORTED_PAGES:
        lines += [f"- {name}: `{path}`" for name, path in pages.items()]
    for kind in dict.fromkeys(kind for kind, _size in results):
        sizes = sorted(size for k, size in results if k == kind)
        if len(sizes) < 2:
            continue
        small, large = results[(kind, sizes[0])], results[(kind, sizes[-1])]
        ratios = ", ".join(f"{name} ×{large[name] / small[name]:.1f}" for name in pages)
        lines.append(f"- {kind}, {sizes[-1]:,} vs {sizes[0]:,} deals: {ratios}")
        missed = [
            f"{name} ({large[name]:.1f} ms, ×{large[name] / small[name]:.2f})"
            for name in pages
            if large[name] >= TARGET_MS or large[name] / small[name] > TARGET_RATIO
        ]
        verdict = f"missed by {', '.join(missed)}" if missed else "every page meets it"
        lines.append(
            f"  target (under {TARGET_MS} ms at {sizes[-1]:,}, at most ×{TARGET_RATIO}): {verdict}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", default="1000,10000,100000", help="deal counts, comma-separated")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite and/or postgresql")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the data")
    parser.add_argument(
        "--clean", action="store_true", help="drop the benchmark databases of --sizes and exit"
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    unknown = set(kinds) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown database kind: {', '.join(sorted(unknown))}")
    if args.clean:
        drop_databases(kinds, sizes)
        return 0
    DATA_DIR.mkdir(exist_ok=True)
    urls = {}
    for kind in kinds:
        for size in sizes:
            print(f"{kind}, {size:,} deals", file=sys.stderr)
            url = sqlite_url(size) if kind == "sqlite" else postgresql_url(size)
            ensure_data(url, size, args.seed)
            urls[(kind, size)] = url
    results = time_pages(urls, args.repeat)
    print(report(results, PAGES))
    print()
    print(report(results, SORTED_PAGES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
