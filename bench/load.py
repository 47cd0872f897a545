"""Signed-in sessions driven against a running server at a fixed arrival rate (open loop).

    python -m bench.load --url http://127.0.0.1:8000 [--sessions 50] [--rate 100] [--seconds 60]
                         [--find-max] [--server-pid PID]

Each session signs in as one of the managers `bench.generate` creates (with its password), then
requests are scheduled at `--rate` per second whatever the latency (a late answer does not delay
the next request: the latency counts from the scheduled time). The mix is fixed: 70% reads (the
deal list, the board, a deal page), 20% searches, 10% writes (an activity logged on a deal of the
session's manager). Every acknowledged write is read back at the end on its deal's page.
"""

import argparse
import http.client
import itertools
import os
import random
import re
import resource
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.generate import PASSWORD

MANAGERS = [f"manager{i}@bench.example.com" for i in range(1, 11)]
COOKIE = "fundcrm_session"
# Search terms of 1 to 8 characters: brands and trades of the generated company names, a
# district, a USCC fragment.
SEARCH_TERMS = ["灵犀", "擎", "具身智能", "重庆灵犀具身智能", "机器人", "渝北", "云帆", "9150"]
MIX = (("list", 30), ("board", 15), ("deal", 25), ("search", 20), ("write", 10))
DEAL_LINK = re.compile(r'href="/deals/(\d+)"')
COMPANY_LINK = re.compile(r'href="/companies/(\d+)"')
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TIMEOUT = 30  # seconds; gunicorn's own worker timeout


class LoadError(RuntimeError):
    """The server could not be prepared for the run (sign-in refused, no deals...)."""


@dataclass
class Reply:
    status: int
    body: str
    location: str | None


@dataclass
class Client:
    """One signed-in session: its cookie and the deals it works on."""

    host: str
    port: int
    email: str
    cookie: str = ""
    csrf: str = ""
    deals: list[int] = field(default_factory=list)
    target: tuple[int, int] | None = None  # (deal, company) its activities are logged on
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, method: str, path: str, form: dict | None = None) -> Reply:
        """One request on a fresh connection (as a browser's would be to a pre-fork server)."""
        headers = {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                if name.strip() == COOKIE:
                    with self.lock:
                        self.cookie = rest.split(";", 1)[0]
            return Reply(response.status, text, response.headers.get("Location"))
        finally:
            connection.close()

    def sign_in(self, password: str) -> None:
        page = self.request("GET", "/login")
        token = CSRF.search(page.body)
        if not token:
            raise LoadError(f"/login: no sign-in form (HTTP {page.status})")
        form = {"email": self.email, "password": password, "csrf_token": unescape(token[1])}
        reply = self.request("POST", "/login", form)
        if reply.status != 302:
            raise LoadError(f"{self.email} could not sign in (HTTP {reply.status})")

    def prepare(self) -> None:
        """Find the session's deals and the form token its writes send."""
        mine = self.request("GET", "/deals/mine")
        self.deals = [int(d) for d in dict.fromkeys(DEAL_LINK.findall(mine.body))]
        if not self.deals:
            raise LoadError(f"{self.email} has no deals (is this a bench.generate database?)")
        deal = self.deals[0]
        page = self.request("GET", f"/deals/{deal}")
        company = COMPANY_LINK.search(page.body)
        if not company:
            raise LoadError(f"/deals/{deal} shows no company")
        self.target = (deal, int(company[1]))
        form = self.request("GET", f"/companies/{company[1]}/activities/new?deal={deal}")
        token = CSRF.search(form.body)
        if not token:
            raise LoadError(f"no activity form for {self.email} (HTTP {form.status})")
        self.csrf = unescape(token[1])


@dataclass
class Result:
    kind: str
    scheduled: float
    latency_ms: float
    status: int  # 0: no answer (connection refused, timeout)


@dataclass
class Run:
    """What one phase at one rate measured."""

    rate: float
    seconds: float
    results: list[Result]
    wall: float
    cpu: float  # the load generator's own CPU seconds
    server_cpu: list[float]  # CPU seconds of each --server-pid tree
    grace: float
    pids: list[int]

    @property
    def latencies(self) -> list[float]:
        return sorted(r.latency_ms for r in self.results)

    def percentile(self, p: float, kind: str | None = None) -> float:
        values = self.latencies
        if kind:
            values = sorted(r.latency_ms for r in self.results if r.kind == kind)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

    @property
    def errors(self) -> int:
        return sum(1 for r in self.results if not 200 <= r.status < 400)

    def count(self, low: int, high: int) -> int:
        """Requests whose status is in [low, high) (0: no answer)."""
        return sum(1 for r in self.results if low <= r.status < high)

    @property
    def server_errors(self) -> int:
        return sum(1 for r in self.results if r.status >= 500 or r.status == 0)

    @property
    def achieved(self) -> float:
        answered = sum(1 for r in self.results if r.status)
        return answered / self.wall if self.wall else 0.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (a gunicorn master and its workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            # utime, stime, and those of its children already ended (PostgreSQL's parallel
            # workers, a closed connection's backend): cutime, cstime
            total += sum(int(value) for value in fields[11:15]) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


class Load:
    """The signed-in sessions and what they wrote."""

    def __init__(self, url: str, sessions: int, password: str, seed: int):
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise LoadError(f"--url must be http://host:port, not {url}")
        self.rng = random.Random(seed)
        self.clients = [
            Client(parts.hostname, parts.port or 80, MANAGERS[i % len(MANAGERS)])
            for i in range(sessions)
        ]
        with ThreadPoolExecutor(max_workers=min(8, sessions)) as pool:
            list(pool.map(lambda c: (c.sign_in(password), c.prepare()), self.clients))
        self.written: list[tuple[Client, int, str]] = []  # acknowledged: (client, deal, marker)
        self.written_lock = threading.Lock()
        kinds, weights = zip(*MIX, strict=True)
        self.kinds, self.weights = kinds, weights

    def one(self, client: Client, kind: str, scheduled: float, rng: random.Random) -> Result:
        try:
            if kind == "write":
                reply, marker = self.write(client, rng)
            else:
                reply = client.request("GET", self.path(client, kind, rng))
            status = reply.status
        except (OSError, http.client.HTTPException):
            status = 0
        latency = (time.perf_counter() - scheduled) * 1000
        if kind == "write" and status == 302 and reply.location and "/deals/" in reply.location:
            with self.written_lock:
                self.written.append((client, client.target[0], marker))
        return Result(kind, scheduled, latency, status)

    def path(self, client: Client, kind: str, rng: random.Random) -> str:
        if kind == "list":
            return rng.choice(["/deals", "/deals?page=2", "/deals/mine"])
        if kind == "board":
            return "/deals/board"
        if kind == "deal":
            return f"/deals/{rng.choice(client.deals)}"
        return "/deals?" + urlencode({"q": rng.choice(SEARCH_TERMS)})

    def write(self, client: Client, rng: random.Random) -> tuple[Reply, str]:
        deal, company = client.target
        marker = f"负载测试 {uuid.uuid4().hex}"
        form = {
            "csrf_token": client.csrf,
            "kind": rng.choice(["call", "meeting", "email"]),
            "occurred_on": date.today().isoformat(),
            "deal_id": str(deal),
            "summary": marker,
        }
        return client.request("POST", f"/companies/{company}/activities/new", form), marker

    def run(self, rate: float, seconds: float, server_pids=(), grace: float = 10) -> Run:
        """Schedule rate × seconds requests at fixed intervals; wait for the last answer."""
        total = int(rate * seconds)
        rng = random.Random(self.rng.random())
        plan = [
            (self.clients[i % len(self.clients)], rng.choices(self.kinds, self.weights)[0])
            for i in range(total)
        ]
        results: list[Result] = []
        # Enough threads that a slow server never holds back the schedule.
        pool = ThreadPoolExecutor(max_workers=max(32, int(rate * 2)))
        cpu0, server0 = cpu_seconds(), [process_tree_cpu(pid) for pid in server_pids or ()]
        start = time.perf_counter()
        futures = []
        for i, (client, kind) in enumerate(plan):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(self.one, client, kind, scheduled, random.Random(i)))
        # Bounded: what has not answered `grace` seconds after the schedule counts as no answer.
        deadline = time.perf_counter() + grace
        results = []
        for i, ((_client, kind), future) in enumerate(zip(plan, futures, strict=True)):
            try:
                results.append(future.result(timeout=max(0.0, deadline - time.perf_counter())))
            except TimeoutError:
                late = (deadline - (start + i / rate)) * 1000
                results.append(Result(kind, start + i / rate, late, 0))
        wall = min(time.perf_counter(), deadline) - start
        pool.shutdown(wait=False, cancel_futures=True)
        pids = list(server_pids or ())
        server_cpu = [process_tree_cpu(p) - c for p, c in zip(pids, server0, strict=True)]
        return Run(rate, seconds, results, wall, cpu_seconds() - cpu0, server_cpu, grace, pids)

    def lost_writes(self) -> tuple[int, int]:
        """(acknowledged writes, writes missing from their deal's page when read back)."""
        lost = 0
        by_page: dict[tuple[int, int], list[str]] = {}
        for client, deal, marker in self.written:
            by_page.setdefault((id(client), deal), []).append(marker)
        clients = {id(c): c for c, _d, _m in self.written}
        for (client_id, deal), markers in by_page.items():
            page = clients[client_id].request("GET", f"/deals/{deal}")
            lost += sum(1 for m in markers if m not in page.body)
        return len(self.written), lost


def describe(run: Run) -> list[str]:
    kinds = ", ".join(f"{kind} {sum(1 for r in run.results if r.kind == kind)}" for kind, _w in MIX)
    lines = [
        f"offered {run.rate:g} requests/s for {run.seconds:g} s: {len(run.results)} requests "
        f"({kinds})",
        f"achieved {run.achieved:.1f} requests/s over {run.wall:.1f} s",
        f"latency p50 {run.percentile(50):.0f} ms, p95 {run.percentile(95):.0f} ms, "
        f"p99 {run.percentile(99):.0f} ms, max {run.latencies[-1]:.0f} ms"
        if run.results
        else "no requests",
        f"errors (not 2xx/3xx) {run.errors}: 5xx {run.count(500, 600)}, 4xx "
        f"{run.count(400, 500)}, no answer within {run.grace:g} s of the schedule's end "
        f"{run.count(0, 1)}",
        "latency p50 / p95 by kind: "
        + ", ".join(
            f"{kind} {run.percentile(50, kind):.0f} / {run.percentile(95, kind):.0f} ms"
            for kind, _w in MIX
        ),
        f"load generator CPU {run.cpu:.1f} s = {100 * run.cpu / run.wall:.0f}% of one core "
        f"({100 * run.cpu / run.wall / (os.cpu_count() or 1):.0f}% of the machine's "
        f"{os.cpu_count()} cores)",
    ]
    answered = len(run.results) - run.count(0, 1)
    for pid, cpu in zip(run.pids, run.server_cpu, strict=True):
        per_request = f" = {1000 * cpu / answered:.1f} ms per answered request" if answered else ""
        lines.append(
            f"process tree {pid}: CPU {cpu:.1f} s{per_request} ({100 * cpu / run.wall:.0f}% of "
            "one core)"
        )
    return lines


def sustained(run: Run, target_ms: float) -> bool:
    """The server kept up: p95 under the target, no 5xx, the schedule achieved."""
    return (
        run.percentile(95) < target_ms
        and run.server_errors == 0
        and run.achieved >= 0.95 * run.rate
    )


def find_max(load: Load, args) -> float | None:
    """Step the rate up until a step misses the target; the last rate that met it."""
    best = None
    for rate in itertools.count(args.start_rate, args.step):
        if rate > args.max_rate:
            break
        run = load.run(rate, args.step_seconds, args.server_pid, args.grace)
        ok = sustained(run, args.p95_ms)
        print(
            f"  {rate:>5g} req/s offered: achieved {run.achieved:6.1f}, p50 "
            f"{run.percentile(50):5.0f} ms, p95 {run.percentile(95):6.0f} ms, errors "
            f"{run.errors}, generator CPU {100 * run.cpu / run.wall:.0f}% of a core"
            f"{'' if ok else '  <- missed'}",
            flush=True,
        )
        if not ok:
            break
        best = rate
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--sessions", type=int, default=50, help="signed-in sessions")
    parser.add_argument("--rate", type=float, default=100, help="requests per second offered")
    parser.add_argument("--seconds", type=float, default=60, help="length of the run")
    parser.add_argument("--password", default=PASSWORD, help="the managers' password")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--p95-ms", type=float, default=300, help="latency target of --find-max")
    parser.add_argument("--find-max", action="store_true", help="step the rate instead")
    parser.add_argument("--start-rate", type=float, default=25)
    parser.add_argument("--step", type=float, default=25)
    parser.add_argument("--max-rate", type=float, default=400)
    parser.add_argument("--step-seconds", type=float, default=20)
    parser.add_argument(
        "--grace", type=float, default=10, help="seconds to wait for answers after the schedule"
    )
    parser.add_argument(
        "--server-pid",
        type=int,
        action="append",
        help="report the CPU of this process tree (repeat: gunicorn's master, PostgreSQL's)",
    )
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("--sessions, --rate and --seconds must be positive")
    try:
        load = Load(args.url, args.sessions, args.password, args.seed)
    except (LoadError, OSError) as error:
        print(f"cannot start: {error}", file=sys.stderr)
        return 2
    print(f"{args.sessions} sessions signed in at {args.url}", flush=True)
    failed = False
    if args.find_max:
        print(f"stepping the rate (p95 under {args.p95_ms:g} ms, no 5xx, schedule kept):")
        best = find_max(load, args)
        verdict = f"{best:g} requests/s" if best else f"none from {args.start_rate:g}"
        print(f"highest rate sustained with p95 under {args.p95_ms:g} ms: {verdict}")
    else:
        run = load.run(args.rate, args.seconds, args.server_pid, args.grace)
        print("\n".join(describe(run)))
        failed = run.server_errors > 0
    written, lost = load.lost_writes()
    print(f"writes acknowledged {written}, lost {lost} (each read back on its deal's page)")
    return 1 if failed or lost else 0


if __name__ == "__main__":
    sys.exit(main())
