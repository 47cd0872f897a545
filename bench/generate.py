"""Large synthetic deal-flow data for benchmarks, written with SQLAlchemy Core bulk inserts.

    python -m bench.generate --deals 100000 --database URL [--seed 7] [--reset]

The schema is migrated to head first. Everything is written in one transaction, together with
a row in the `bench_marker` table saying how many deals the database holds, so an interrupted
run leaves no half-built data behind. The ORM (and with it the audit hook) is bypassed on
purpose: this is test data, built for speed.
"""

import argparse
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import SQLModel
from werkzeug.security import generate_password_hash

import fundcrm.models  # noqa: F401 - registers every table on SQLModel.metadata
from fundcrm import migrate, search
from fundcrm.companies.services import first_field
from fundcrm.db import bulk_cache, make_engine
from fundcrm.demo import BRANDS, FUND, NEXT_STEPS, PASS_REASONS, SUB_FUNDS, TRADES
from fundcrm.domain import uscc
from fundcrm.domain.stages import ALL_STAGES, OFF_PATH, PATH
from fundcrm.domain.vocab import (
    APPLICATION_FIELDS,
    DISTRICTS,
    ENTERPRISE_STAGES,
    ROUNDS,
    SOURCES,
    SPECIALIZED_LEVELS,
)

BATCH = 5000
PASSWORD = "bench-password"  # noqa: S105 - synthetic accounts only
BY_LABEL = "bench"
DEAL_REF_PREFIX = "XM"
YEARS_BACK = 3
COMPANIES_PER_DEAL = 0.8

# Chongqing's districts and counties (the order of vocab.DISTRICTS) with their GB/T 2260 code,
# the economic zone they belong to and a weight (the two new areas attract most companies).
DISTRICT_PLACES = [
    ("500101", "other_cq", 2),
    ("500102", "other_cq", 2),
    ("500103", "central", 6),
    ("500104", "science_city", 3),
    ("500105", "liangjiang", 10),
    ("500106", "science_city", 10),
    ("500107", "science_city", 10),
    ("500108", "central", 6),
    ("500109", "liangjiang", 8),
    ("500110", "west", 2),
    ("500111", "west", 2),
    ("500112", "liangjiang", 14),
    ("500113", "central", 4),
    ("500114", "other_cq", 1),
    ("500115", "other_cq", 1),
    ("500116", "west", 3),
    ("500117", "west", 2),
    ("500118", "west", 3),
    ("500119", "other_cq", 1),
    ("500120", "science_city", 5),
    ("500151", "west", 2),
    ("500152", "west", 1),
    ("500153", "west", 2),
    ("500154", "other_cq", 1),
    ("500155", "other_cq", 1),
    ("500156", "other_cq", 1),
    ("500229", "other_cq", 1),
    ("500230", "other_cq", 1),
    ("500231", "other_cq", 1),
    ("500233", "other_cq", 1),
    ("500235", "other_cq", 1),
    ("500236", "other_cq", 1),
    ("500237", "other_cq", 1),
    ("500238", "other_cq", 1),
    ("500240", "other_cq", 1),
    ("500241", "other_cq", 1),
    ("500242", "other_cq", 1),
    ("500243", "other_cq", 1),
]
# Companies outside Chongqing: (city, area code, weight).
OUTSIDE = [
    ("深圳", "440300", 4),
    ("上海", "310115", 4),
    ("北京", "110108", 4),
    ("成都", "510100", 3),
]
OUTSIDE_WEIGHT = 0.12

# Where deals end up: most never leave the first stages.
STAGE_WEIGHTS = {
    "sourcing": 30,
    "screening": 20,
    "approved": 11,
    "due_diligence": 9,
    "ic": 4,
    "signing": 2,
    "closed": 5,
    "on_hold": 7,
    "passed": 12,
}
# Where on-hold and passed deals had got to (their return stage).
RETURN_WEIGHTS = {"sourcing": 25, "screening": 35, "approved": 20, "due_diligence": 15, "ic": 5}
ROUND_WEIGHTS = {
    "angel": 18,
    "pre_a": 20,
    "a": 22,
    "a_plus": 10,
    "b": 12,
    "c": 6,
    "d_plus": 3,
    "pre_ipo": 3,
    "strategic": 6,
}
MANAGER_NAMES = [
    "李响",
    "陈思远",
    "王敏",
    "张伟",
    "刘洋",
    "杨帆",
    "赵磊",
    "黄婷",
    "周杰",
    "吴昊",
]
DESCRIPTION_OPENINGS = {
    "large_model": "面向服务机器人的行业大模型，提供多轮对话、任务规划与知识技能平台",
    "embodied_ai": "具身智能解决方案，融合全模态感知与运动控制",
    "robot_body": "服务机器人整机及关键零部件研发制造，核心部件自主可控",
}
DESCRIPTION_TAILS = [
    "已在两江新区多个园区落地示范项目。",
    "核心团队来自国内头部高校与科研院所。",
    "产品已进入规模化量产阶段，年产能逾千台。",
    "与本地龙头企业建立联合实验室。",
    "累计获得发明专利三十余项。",
    "海外市场收入占比持续提升。",
    "正在建设西部研发与制造基地。",
]
NOTE_SENTENCES = [
    "创始人技术背景扎实，商业化经验相对不足。",
    "已与三家医院签署试点协议。",
    "估值偏高，需与领投方进一步沟通。",
    "客户集中度较高，前五大客户占收入七成。",
    "计划在璧山区建设生产基地，满足返投要求。",
    "毛利率逐年提升，现金流尚为负。",
    "核心零部件依赖进口，供应链存在风险。",
    "团队完成两轮访谈，整体印象良好。",
    "同类赛道竞争激烈，需关注差异化。",
    "老股东支持本轮融资，跟投意愿明确。",
    "政府引导基金已表达投资意向。",
    "需补充近三年审计报告。",
]


@dataclass
class Counts:
    rows: Counter = field(default_factory=Counter)

    def add(self, table: str, n: int) -> None:
        self.rows[table] += n

    @property
    def total(self) -> int:
        return sum(self.rows.values())


class AlreadyPopulated(RuntimeError):
    pass


marker_metadata = sa.MetaData()
marker_table = sa.Table(
    "bench_marker",
    marker_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("deals", sa.Integer, nullable=False),
    sa.Column("seed", sa.Integer, nullable=False),
    sa.Column("generated_at", sa.String(40), nullable=False),
)


def table(name: str) -> sa.Table:
    return SQLModel.metadata.tables[name]


# ---------------------------------------------------------------------------------------------
# Schema


def deal_count(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table("deals"))).scalar()


def read_marker(engine: sa.Engine) -> int | None:
    """How many deals a completed generation wrote here, or None when there was none."""
    if not sa.inspect(engine).has_table("bench_marker"):
        return None
    with engine.connect() as connection:
        return connection.execute(
            sa.select(marker_table.c.deals).order_by(marker_table.c.id.desc())
        ).scalar()


def prepare(engine: sa.Engine, reset: bool) -> None:
    """Migrate to head; refuse a database holding deals unless told to reset it first."""
    if reset:
        migrate.drop_everything(engine)
    migrate.upgrade(engine)
    if held := deal_count(engine):
        raise AlreadyPopulated(
            f"The database already holds {held} deals; pass --reset to drop everything first."
        )


# ---------------------------------------------------------------------------------------------
# Rows


def _weighted(rng: random.Random, weights: dict) -> Callable:
    """A sampler over a dict's keys by weight (cumulative weights computed once)."""
    keys, cum, total = list(weights), [], 0
    for w in weights.values():
        total += w
        cum.append(total)

    def pick():
        return rng.choices(keys, cum_weights=cum)[0]

    return pick


def _org_code(n: int) -> str:
    """9 characters of the USCC alphabet from a row number; distinct numbers, distinct codes."""
    value = (n * 1_000_003 + 7_777_777) % 31**9  # 1_000_003 is prime to 31: a bijection
    chars = []
    for _ in range(9):
        value, digit = divmod(value, 31)
        chars.append(uscc.ALPHABET[digit])
    return "".join(reversed(chars))


def _yuan(wan: float) -> Decimal:
    return (Decimal(str(round(wan, 2))) * 10_000).quantize(Decimal("0.01"))


class Builder:
    """Makes the rows of one generation, deterministically from the seed."""

    def __init__(self, deals: int, seed: int, now: datetime):
        self.rng = random.Random(seed)
        self.deals = deals
        self.now = now
        self.start = now - timedelta(days=365 * YEARS_BACK)
        self.stage = _weighted(self.rng, STAGE_WEIGHTS)
        self.return_stage = _weighted(self.rng, RETURN_WEIGHTS)
        self.round = _weighted(self.rng, ROUND_WEIGHTS)
        self.place = _weighted(
            self.rng,
            {i: w for i, (_code, _zone, w) in enumerate(DISTRICT_PLACES)},
        )
        self.outside = _weighted(self.rng, {i: w for i, (*_x, w) in enumerate(OUTSIDE)})
        assert len(DISTRICT_PLACES) == len(DISTRICTS.codes)
        assert list(STAGE_WEIGHTS) == ALL_STAGES and set(ROUND_WEIGHTS) == set(ROUNDS.codes)
        self.company_ids: list[int] = []
        self.company_stage: dict[int, str] = {}
        self.next_company = 1
        self.next_deal = 1
        self.next_participation = 1
        self.next_move = 1
        self.refs = Counter()
        self.manager_ids: list[int] = []
        self.sub_fund_ids: dict[str, int] = {}

    # --- fixed rows ---------------------------------------------------------------------------

    def users(self) -> tuple[list[dict], list[dict]]:
        password_hash = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
        users, roles = [], []
        people = [("admin@bench.example.com", "系统管理员 王敏", ["admin"])]
        people += [
            (f"manager{i + 1}@bench.example.com", f"投资经理 {name}", ["manager"])
            for i, name in enumerate(MANAGER_NAMES)
        ]
        people += [("ic1@bench.example.com", "投委委员 张建国", ["ic_member"])]
        for user_id, (email, name, codes) in enumerate(people, start=1):
            users.append(
                {
                    "id": user_id,
                    "email": email,
                    "name": name,
                    "password_hash": password_hash,
                    "active": True,
                    "locale": None,
                    "created_at": self.start - timedelta(days=30),
                }
            )
            roles += [{"user_id": user_id, "role": code} for code in codes]
            if "manager" in codes:
                self.manager_ids.append(user_id)
        return users, roles

    def funds(self) -> tuple[list[dict], list[dict]]:
        settings = [{"id": 1, **FUND}]
        sub_funds = []
        for fund_id, values in enumerate(SUB_FUNDS, start=1):
            sub_funds.append({"id": fund_id, **values})
            self.sub_fund_ids[values["code"]] = fund_id
        return settings, sub_funds

    # --- deals, in creation order, with the companies they bring ------------------------------

    def created_times(self) -> list[datetime]:
        span = (self.now - self.start).total_seconds() - 3600
        # Slightly more deals recently: the pipeline grows.
        offsets = sorted(span * math.sqrt(self.rng.random()) for _ in range(self.deals))
        return [self.start + timedelta(seconds=s) for s in offsets]

    def company(self, created: datetime) -> tuple[dict, list[dict]]:
        rng, n = self.rng, self.next_company
        self.next_company += 1
        brand = rng.choice(BRANDS)
        trade, focus, trade_fields = rng.choice(TRADES)
        if rng.random() < OUTSIDE_WEIGHT:
            city, area_code, _w = OUTSIDE[self.outside()]
            district, zone, prefix = None, "outside", city
        else:
            index = self.place()
            area_code, zone, _w = DISTRICT_PLACES[index]
            district, city, prefix = DISTRICTS.codes[index], "重庆", "重庆"
        name = f"{prefix}{brand}{trade}{n:05d}有限公司"
        stage = rng.choices(ENTERPRISE_STAGES.codes, weights=(5, 4, 1))[0]
        fields = list(trade_fields[: rng.randint(1, 2)])
        if len(fields) == 1 and rng.random() < 0.3:
            extra = rng.choice(APPLICATION_FIELDS.codes)
            if extra not in fields:
                fields.append(extra)
        row = {
            "id": n,
            "name": name,
            "name_key": uscc.name_key(name),
            "uscc": uscc.complete(f"91{area_code}{_org_code(n)}"),
            "name_en": None,
            "district": district,
            "city": city,
            "zone": zone,
            "founded_on": date(2008 + rng.randint(0, 15), rng.randint(1, 12), rng.randint(1, 28)),
            "headcount": rng.randint(8, 900),
            "website": f"https://www.bench-{n}.example.cn" if rng.random() < 0.6 else None,
            "focus_area": focus,
            "enterprise_stage": stage,
            "specialized_level": rng.choices(SPECIALIZED_LEVELS.codes, weights=(6, 3, 1))[0],
            "description": f"{DESCRIPTION_OPENINGS[focus]}，{rng.choice(DESCRIPTION_TAILS)}",
            "uscc_override_reason": None,
            "uscc_override_by": None,
            "first_field": first_field(fields),  # as the company services keep it
            "created_at": created - timedelta(seconds=rng.randint(0, 30 * 86400)),
            "version": 1,
        }
        self.company_ids.append(n)
        self.company_stage[n] = stage
        return row, [{"company_id": n, "field": f} for f in fields]

    def _path(self, final: str) -> tuple[list[str], str | None]:
        """The stages a deal entered, in order, and its return stage when off the path."""
        if final in OFF_PATH:
            back = self.return_stage()
            return PATH[: PATH.index(back) + 1] + [final], back
        return PATH[: PATH.index(final) + 1], None

    def _times(self, created: datetime, moves: int) -> list[datetime]:
        """When each move after creation happened (gaps of days to months), those before now:
        a recent deal has had no time to get far, whatever stage it was headed for."""
        rng = self.rng
        times, at, end = [], created, self.now - timedelta(minutes=1)
        for _ in range(moves):
            at += timedelta(seconds=rng.expovariate(1 / (21 * 86400)) + 3600)
            if at > end:
                break
            times.append(at)
        return times

    def deal(self, created: datetime, company_id: int) -> tuple[dict, list, list, list]:
        rng, deal_id = self.rng, self.next_deal
        self.next_deal += 1
        path, back = self._path(self.stage())
        times = [created, *self._times(created, len(path) - 1)]
        path = path[: len(times)]
        final, back = path[-1], back if path[-1] in OFF_PATH else None
        last = times[-1]
        updated = last + timedelta(
            seconds=rng.uniform(0, min(20 * 86400, (self.now - last).total_seconds()))
        )
        owner = rng.choice(self.manager_ids)
        year = created.year
        self.refs[year] += 1
        ask_wan = rng.choice((300, 500, 800, 1000, 1500, 2000, 3000, 5000, 8000, 10000, 20000))
        ask_wan *= rng.uniform(0.8, 1.25)
        active = final not in ("closed", "passed")

        moves = [
            {
                "id": self._move_id(),
                "deal_id": deal_id,
                "from_stage": None,
                "to_stage": "sourcing",
                "at": created,
                "by_id": None,
                "by_label": BY_LABEL,
                "seconds_in_stage": None,
                "kind": "create",
                "reason": None,
                "override_reason": None,
                "breaches": [],
            }
        ]
        pass_reason = rng.choice(PASS_REASONS) if final == "passed" else None
        for i in range(1, len(path)):
            moves.append(
                {
                    "id": self._move_id(),
                    "deal_id": deal_id,
                    "from_stage": path[i - 1],
                    "to_stage": path[i],
                    "at": times[i],
                    "by_id": None,
                    "by_label": BY_LABEL,
                    "seconds_in_stage": int((times[i] - times[i - 1]).total_seconds()),
                    "kind": "import",
                    "reason": pass_reason if path[i] == "passed" else None,
                    "override_reason": None,
                    "breaches": [],
                }
            )

        company_stage = self.company_stage[company_id]
        codes = ["ANGEL"] if company_stage == "startup" else ["INDUSTRY"]
        if company_stage == "growth" and rng.random() < 0.5:
            codes = ["ANGEL"]
        if rng.random() < 0.25:
            codes = ["ANGEL", "INDUSTRY"]
        participations = []
        for code in codes:
            share = rng.uniform(0.1, 0.5) / len(codes)
            participations.append(
                {
                    "id": self._participation_id(),
                    "deal_id": deal_id,
                    "sub_fund_id": self.sub_fund_ids[code],
                    "proposed_yuan": _yuan(round(ask_wan * share, -1) or 10),
                }
            )

        notes = None
        if rng.random() < 0.6:
            notes = "".join(rng.sample(NOTE_SENTENCES, rng.randint(1, 3)))
        row = {
            "id": deal_id,
            "deal_ref": f"{DEAL_REF_PREFIX}{year}-{self.refs[year]:06d}",
            "company_id": company_id,
            "round": self.round(),
            "stage": final,
            "stage_entered_at": last,
            "return_stage": back,
            "source": rng.choice(SOURCES.codes),
            "owner_id": owner,
            "ask_yuan": _yuan(ask_wan),
            "pre_money_yuan": _yuan(ask_wan * rng.uniform(3, 12)),
            "proposed_total_yuan": sum(p["proposed_yuan"] for p in participations),
            "next_step": rng.choice(NEXT_STEPS) if active else None,
            "next_step_due": (updated + timedelta(days=rng.randint(3, 45))).date()
            if active
            else None,
            "pass_reason": pass_reason,
            "notes": notes,
            "created_on": created.date(),
            "updated_at": updated,
            "version": len(path),
        }
        team = [{"deal_id": deal_id, "user_id": owner}]
        if rng.random() < 0.3:
            other = rng.choice(self.manager_ids)
            if other != owner:
                team.append({"deal_id": deal_id, "user_id": other})
        return row, participations, team, moves

    def _move_id(self) -> int:
        self.next_move += 1
        return self.next_move - 1

    def _participation_id(self) -> int:
        self.next_participation += 1
        return self.next_participation - 1

    def chunks(self):
        """Rows per table for BATCH deals at a time, companies created along the way."""
        rng = self.rng
        times = self.created_times()
        for start in range(0, len(times), BATCH):
            batch = {
                "companies": [],
                "company_fields": [],
                "deals": [],
                "deal_sub_funds": [],
                "deal_team": [],
                "stage_moves": [],
            }
            for created in times[start : start + BATCH]:
                if not self.company_ids or rng.random() < COMPANIES_PER_DEAL:
                    company, fields = self.company(created)
                    batch["companies"].append(company)
                    batch["company_fields"] += fields
                    company_id = company["id"]
                else:
                    company_id = rng.choice(self.company_ids)
                deal, participations, team, moves = self.deal(created, company_id)
                batch["deals"].append(deal)
                batch["deal_sub_funds"] += participations
                batch["deal_team"] += team
                batch["stage_moves"] += moves
            yield batch


# ---------------------------------------------------------------------------------------------
# Writing


def _insert(connection, name: str, rows: list[dict], counts: Counts) -> None:
    if name in search.TOKENS:
        search.fill_tokens(name, rows)  # as the app's writes keep them
    for start in range(0, len(rows), BATCH):
        part = rows[start : start + BATCH]
        if part:
            connection.execute(sa.insert(table(name)), part)
    counts.add(name, len(rows))


def _fix_sequences(connection) -> None:
    """Explicit ids were given: move PostgreSQL's sequences past them."""
    if connection.dialect.name != "postgresql":
        return
    for name in (
        "users",
        "fund_settings",
        "sub_funds",
        "companies",
        "deals",
        "deal_sub_funds",
        "stage_moves",
    ):
        connection.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 - fixed names
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
            )
        )


def generate(engine: sa.Engine, deals: int, seed: int = 7, now: datetime | None = None) -> Counts:
    """Write `deals` deals and everything around them into an empty, migrated database."""
    builder = Builder(deals, seed, now or datetime.now(UTC))
    counts = Counts()
    with engine.begin() as connection, bulk_cache(connection):
        users, roles = builder.users()
        _insert(connection, "users", users, counts)
        _insert(connection, "user_roles", roles, counts)
        settings, sub_funds = builder.funds()
        _insert(connection, "fund_settings", settings, counts)
        _insert(connection, "sub_funds", sub_funds, counts)
        for batch in builder.chunks():
            for name, rows in batch.items():
                _insert(connection, name, rows, counts)
        _fix_sequences(connection)
        marker_metadata.create_all(connection)
        connection.execute(
            sa.insert(marker_table),
            {"deals": deals, "seed": seed, "generated_at": datetime.now(UTC).isoformat()},
        )
    if engine.dialect.name == "postgresql":
        # What autovacuum would do soon after a bulk load: statistics and the visibility map.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    migrate.refresh_statistics(engine)  # what an import does after its bulk write on SQLite
    return counts


def build(url: str, deals: int, seed: int = 7, reset: bool = False) -> Counts:
    engine = make_engine(url)
    try:
        prepare(engine, reset)
        return generate(engine, deals, seed)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--deals", type=int, required=True, help="how many deals to create")
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of the target database")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--reset", action="store_true", help="drop everything in the database first"
    )
    args = parser.parse_args(argv)
    if args.deals < 1:
        parser.error("--deals must be at least 1")
    started = time.perf_counter()
    try:
        counts = build(args.database, args.deals, args.seed, args.reset)
    except AlreadyPopulated as error:
        print(error, file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    for name, n in counts.rows.items():
        print(f"{name:16} {n:>10,}")
    print(f"{'total':16} {counts.total:>10,} rows in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
