"""Why gunicorn's sync workers need a buffering proxy: a few clients sending request bodies slowly.

gunicorn (3 sync workers, its default 30 s timeout) serves eventhub directly, with no proxy. Four clients
each start a POST that announces a 100 KB body and then send one byte every half second. Meanwhile one
ordinary visitor asks for the home page. A sync worker reads a body at the client's pace, so the three
workers are held until gunicorn's timeout kills them, and the visitor waits that long.

Prints a last line of JSON: the home page's time alone (`home_ms_alone`, the baseline, measured in the
same run), its time behind the slow bodies (`home_ms_behind_slow_bodies`) and their ratio.

Usage: .venv/bin/python bench/slow_bodies.py
Needs PostgreSQL: BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/eventhub_bench),
a database this script empties.
"""
import json
import os
import secrets
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.registration_rush import (  # noqa: E402  (the path above first)
    DEFAULT_URL,
    ensure_database,
    free_port,
    prepare,
    request,
    start_gunicorn,
)

WORKERS = 3
SLOW_CLIENTS = 4
DRIP_SECONDS = 45  # longer than gunicorn's timeout: the slow clients never finish on their own


def slow_body(port: int, stop: threading.Event) -> None:
    """Start a POST with a big body and send it a byte at a time until told to stop."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"POST /admin/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n")
            deadline = time.monotonic() + DRIP_SECONDS
            while not stop.is_set() and time.monotonic() < deadline:
                conn.sendall(b"a")
                stop.wait(0.5)
    except OSError:
        pass  # the worker holding it was killed: the connection is gone


def home_ms(port: int) -> float:
    start = time.perf_counter()
    status, _, _ = request(port, "GET", "/")
    assert status == 200, status
    return (time.perf_counter() - start) * 1000


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    prepare(url)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "SESSION_COOKIE_SECURE": "0",
           "MAIL_DIR": tempfile.mkdtemp(prefix="eventhub-bench-mail-"), "FLASK_DEBUG": "0"}
    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI"):
        env.pop(name, None)
    port = free_port()
    server = start_gunicorn("app:app", env, port, WORKERS)
    try:
        home_ms(port)  # each worker's first page loads the app's templates
        alone = min(home_ms(port) for _ in range(10))
        stop = threading.Event()
        clients = [threading.Thread(target=slow_body, args=(port, stop)) for _ in range(SLOW_CLIENTS)]
        for client in clients:
            client.start()
        time.sleep(0.5)  # the slow clients have their workers
        behind = home_ms(port)
        stop.set()
        for client in clients:
            client.join()
    finally:
        server.terminate()
        server.wait()
    print(json.dumps({"workers": WORKERS, "slow_clients": SLOW_CLIENTS, "home_ms_alone": round(alone, 1),
                      "home_ms_behind_slow_bodies": round(behind, 1), "ratio": round(behind / alone, 1)}))


if __name__ == "__main__":
    main()
