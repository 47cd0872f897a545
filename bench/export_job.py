"""An export as a background job, from the click to the downloaded file, against a running
server and `fundcrm worker`.

    python -m bench.export_job --url http://127.0.0.1:8000 [--kind deals] [--formats csv,xlsx]
                               [--email manager1@bench.example.com]

Signs in as a manager `bench.generate` creates, then for each format: asks for the export (the
page that offers the background job), clicks its button (the POST that queues the job), follows
the job's status as its page does and downloads the file as soon as it is offered. Prints the
time from the click to the last byte, and how it divides: waiting for a worker, the worker
writing the file, and the download.
"""

import argparse
import http.cookiejar
import json
import re
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime

from bench.generate import PASSWORD

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
POLL_SECONDS = 0.2


class Session:
    def __init__(self, base: str):
        self.base = base.rstrip("/")
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(self, path: str):
        return self.opener.open(self.base + path, timeout=120)  # noqa: S310 - the bench's URL

    def post(self, path: str, data: dict):
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")  # noqa: S310
        return self.opener.open(request, timeout=120)  # noqa: S310

    def token(self, path: str) -> str:
        found = CSRF.search(self.get(path).read().decode())
        if not found:
            raise SystemExit(f"no form on {path}: is the export smaller than EXPORT_JOB_ROWS?")
        return found.group(1)


def sign_in(session: Session, email: str) -> None:
    answer = session.post(
        "/login", {"email": email, "password": PASSWORD, "csrf_token": session.token("/login")}
    )
    if "/login" in answer.geturl():
        raise SystemExit(f"sign-in refused for {email}")


def timed_export(session: Session, kind: str, fmt: str) -> dict:
    path = f"/exports/{kind}.{fmt}"
    token = session.token(path)
    clicked = time.perf_counter()
    job_path = urllib.parse.urlparse(session.post(path, {"csrf_token": token}).geturl()).path
    while True:
        status = json.loads(session.get(f"{job_path}/status").read())
        if status["state"] in ("done", "failed"):
            break
        time.sleep(POLL_SECONDS)
    if status["state"] == "failed":
        raise SystemExit(f"{fmt}: the job failed: {status['message']}")
    offered = time.perf_counter()
    size = 0
    with session.get(f"{job_path}/download") as download:
        while chunk := download.read(1 << 20):
            size += len(chunk)
    downloaded = time.perf_counter()
    return {
        "format": fmt,
        "rows": status["total"],
        "mb": size / 2**20,
        "click_to_file": downloaded - clicked,
        "download": downloaded - offered,
        "worker": worker_times(status),
    }


def worker_times(status: dict) -> tuple[float, float]:
    """(seconds queued, seconds writing) from the job's times."""
    created, started, finished = (
        datetime.fromisoformat(status[f"{m}_at"]) for m in ("created", "started", "finished")
    )
    return (started - created).total_seconds(), (finished - started).total_seconds()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.export_job", description=__doc__)
    parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--kind", default="deals", help="deals (default) or companies")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--email", default="manager1@bench.example.com")
    args = parser.parse_args(argv)
    session = Session(args.url)
    sign_in(session, args.email)
    print(f"{'format':6} {'rows':>9} {'MB':>7} {'click→file':>11} {'queued':>7} {'writing':>8}")
    for fmt in args.formats.split(","):
        result = timed_export(session, args.kind, fmt)
        queued, writing = result["worker"]
        print(
            f"{fmt:6} {result['rows']:>9,} {result['mb']:>7.1f} "
            f"{result['click_to_file']:>9.1f} s {queued:>5.1f} s {writing:>6.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
