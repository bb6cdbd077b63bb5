"""Webhook delivery benchmark: deliveries per second, and whether a dead receiver slows the others.

Starts the embedded broker and one `frontwire worker` process, runs a receiver on 127.0.0.1
(aiohttp, in this process) that checks every signature with the standardwebhooks package, and
publishes alerts straight to the alerts topic.

1. Throughput: K subscriptions (1, 10, 100) to the local receiver, N alerts so that N x K
   deliveries are owed; deliveries/s from the first alert published to the last delivery received.
2. Lag: alerts published at a steady rate to 10 subscriptions, all healthy, then 9 healthy and
   one whose port is closed; per-alert latency (published -> received) at the healthy receivers,
   and the ratio of the two medians.

Every figure is the median of ``--runs`` runs. Lost deliveries (owed but never received) and
unverifiable signatures are counted and printed. Run: ``python -m bench.webhook_bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from kafka import KafkaProducer
from standardwebhooks import Webhook

from agents.broker import EmbeddedBroker, free_port
from agents.settings import Settings

TOKEN = "bench-" + uuid.uuid4().hex


@dataclass
class Receiver:
    """An aiohttp receiver on its own thread and loop; path /hook/<n> verifies with secret n."""

    port: int = field(default_factory=free_port)
    secrets: dict[str, Webhook] = field(default_factory=dict)
    received: dict[tuple[str, str], float] = field(default_factory=dict)  # (path, webhook-id) -> first arrival
    count: int = 0
    unverified: int = 0
    duplicates: int = 0

    def start(self) -> None:
        ready = threading.Event()

        async def handle(request: web.Request) -> web.Response:
            body = await request.read()
            path = request.match_info["n"]
            now = time.perf_counter()
            msg_id = request.headers.get("webhook-id", "")
            try:
                self.secrets[path].verify(body, dict(request.headers))
            except Exception:  # noqa: BLE001 -- every failure counts as unverifiable
                self.unverified += 1
            self.count += 1
            if (path, msg_id) in self.received:
                self.duplicates += 1
            else:
                self.received[(path, msg_id)] = now
            return web.Response(status=200)

        def run() -> None:
            loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_post("/hook/{n}", handle)
            runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port, backlog=1024).start())
            ready.set()
            loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)

    def url(self, n: str) -> str:
        return f"http://127.0.0.1:{self.port}/hook/{n}"


class Bench:
    """A broker, a worker and the API calls the scenarios need."""

    def __init__(self) -> None:
        self.broker = EmbeddedBroker(port=free_port())
        self.broker.start()
        self.data = tempfile.mkdtemp(prefix="frontwire-bench-")
        self.settings = Settings.from_env({}, broker=f"kafka://{self.broker.bootstrap}", web_port=free_port(),
                                          data_dir=self.data, partitions=2, api_token=TOKEN)
        env = {**os.environ, "FRONTWIRE_BROKER": self.settings.broker or "", "FRONTWIRE_WEB_PORT": str(self.settings.web_port),
               "FRONTWIRE_DATA_DIR": self.data, "FRONTWIRE_PARTITIONS": "2", "FRONTWIRE_API_TOKEN": TOKEN,
               "FRONTWIRE_WEBHOOK_ALLOW_PRIVATE": "1", "FRONTWIRE_LOG_LEVEL": "warning", "PYTHONUNBUFFERED": "1"}
        self.worker = subprocess.Popen([sys.executable, "-m", "agents.cli", "worker"], env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
        assert self.worker.stdout is not None
        for line in self.worker.stdout:
            if line.startswith("frontwire ready"):
                break
        else:
            raise RuntimeError("the worker did not start")
        threading.Thread(target=lambda: [None for _ in self.worker.stdout or []], daemon=True).start()
        self.producer = KafkaProducer(bootstrap_servers=self.broker.bootstrap, linger_ms=5)

    def close(self) -> None:
        self.producer.close()
        self.worker.terminate()
        self.worker.wait(30)
        self.broker.stop()

    def api(self, method: str, path: str, body: object = None) -> Any:
        request = urllib.request.Request(f"http://127.0.0.1:{self.settings.web_port}{path}", method=method,
                                         data=None if body is None else orjson.dumps(body),
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return orjson.loads(raw) if raw else None

    def subscribe(self, receiver: Receiver, names: list[str], dead: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
        ids = []
        for name in names:
            url = _closed_port_url() if name in dead else receiver.url(name)
            created = self.api("POST", "/subscriptions", {"url": url})
            receiver.secrets[name] = Webhook(created["secret"])
            ids.append(created["id"])
        return ids

    def unsubscribe_all(self) -> None:
        for item in self.api("GET", "/subscriptions")["subscriptions"]:
            self.api("DELETE", f"/subscriptions/{item['id']}")
        time.sleep(1.0)  # senders of deleted subscriptions stop within the flush interval

    def publish(self, alert: dict[str, Any]) -> None:
        self.producer.send(self.settings.topics.alerts, key=b"geonames:170794", value=orjson.dumps(alert))


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/hook/dead"


def _alert(alert_id: str) -> dict[str, Any]:
    return {
        "alert_id": alert_id, "kind": "new", "event_id": "ev_" + alert_id,
        "place": {"id": "geonames:170794", "name": "Deir ez-Zor", "lat": 35.336, "lon": 40.141, "country": "SY",
                  "admin1": "Deir ez-Zor", "kind": "city", "mentions": 2},
        "gained_by": "sy-saa", "lost_by": "isis", "change": "recapture", "status": "reported", "occurred_on": "2017-11-03",
        "evidence": {"sentence": "Syrian government forces took Deir el-Zour from the Islamic State.", "start": 0, "end": 66},
        "confidence": 0.9, "acled_sub_event_type": "Government regains territory", "previous_controller": "isis",
        "sources": [{"article_id": "a1", "url": "https://example.org/1", "source": "example.org",
                     "published_at": "2017-11-03T10:00:00Z"}],
        "first_reported_at": "2017-11-03T10:00:00Z", "corroboration": 1,
    }


def _wait(done: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def throughput(bench: Bench, subscriptions: int, deliveries: int) -> tuple[float, int, int]:
    """(deliveries/s, lost, unverifiable) for one run."""
    receiver = Receiver()
    receiver.start()
    names = [f"s{i}" for i in range(subscriptions)]
    bench.subscribe(receiver, names)
    time.sleep(1.0)
    alerts = max(1, deliveries // subscriptions)
    owed = alerts * subscriptions
    run = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    for i in range(alerts):
        bench.publish(_alert(f"alrt_{run}_{i}"))
    bench.producer.flush()
    _wait(lambda: len(receiver.received) >= owed, 300)
    last = max(receiver.received.values(), default=started)
    bench.unsubscribe_all()
    return len(receiver.received) / (last - started), owed - len(receiver.received), receiver.unverified


def lag(bench: Bench, *, dead: bool, rate: float, seconds: float, subscriptions: int = 10) -> tuple[float, float, int]:
    """(median latency ms, p95 latency ms, lost) at the healthy receivers, with or without one dead subscription."""
    receiver = Receiver()
    receiver.start()
    names = [f"s{i}" for i in range(subscriptions)]
    dead_names = {names[0]} if dead else set()
    bench.subscribe(receiver, names, dead=dead_names)
    time.sleep(1.0)
    healthy = [n for n in names if n not in dead_names]
    run = uuid.uuid4().hex[:8]
    sent: dict[str, float] = {}
    interval = 1.0 / rate
    start = time.perf_counter()
    i = 0
    while time.perf_counter() - start < seconds:
        alert_id = f"alrt_{run}_{i}"
        sent[alert_id] = time.perf_counter()
        bench.publish(_alert(alert_id))
        bench.producer.flush()
        i += 1
        time.sleep(max(0.0, start + i * interval - time.perf_counter()))
    owed = len(sent) * len(healthy)
    _wait(lambda: sum(1 for (p, _a) in receiver.received if p in healthy) >= owed, 120)
    latencies = sorted((t - sent[a]) * 1000 for (p, a), t in receiver.received.items() if p in healthy and a in sent)
    bench.unsubscribe_all()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    return statistics.median(latencies) if latencies else float("nan"), p95, owed - len(latencies)


def main() -> None:
    """Run both scenarios and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--deliveries", type=int, default=3000, help="Deliveries owed per throughput run.")
    parser.add_argument("--rate", type=float, default=10.0,
                        help="Alerts per second in the lag runs; well under capacity, so lag is latency, not backlog.")
    parser.add_argument("--seconds", type=float, default=8.0, help="Length of each lag run.")
    args = parser.parse_args()
    bench = Bench()
    try:
        print(f"throughput: {args.deliveries} deliveries per run, median of {args.runs} runs")
        for subscriptions in (1, 10, 100):
            results = [throughput(bench, subscriptions, args.deliveries) for _ in range(args.runs)]
            rates = [r[0] for r in results]
            print(f"  {subscriptions:>3} subscriptions: {statistics.median(rates):7.0f} deliveries/s "
                  f"(runs: {', '.join(f'{r:.0f}' for r in rates)}); lost {sum(r[1] for r in results)}, "
                  f"unverifiable {sum(r[2] for r in results)}")
        print(f"lag: {args.rate:g} alerts/s for {args.seconds:g} s to 10 subscriptions, "
              f"latency published -> received at healthy receivers, median of {args.runs} runs")
        figures = {}
        for dead in (False, True):
            runs = [lag(bench, dead=dead, rate=args.rate, seconds=args.seconds) for _ in range(args.runs)]
            median = statistics.median(r[0] for r in runs)
            p95 = statistics.median(r[1] for r in runs)
            figures[dead] = median
            label = "1 of 10 down " if dead else "all healthy  "
            print(f"  {label}: median {median:6.1f} ms, p95 {p95:6.1f} ms, lost {sum(r[2] for r in runs)}")
        print(f"  ratio (one down / all healthy, medians): {figures[True] / figures[False]:.2f}")
    finally:
        bench.close()


if __name__ == "__main__":
    main()
