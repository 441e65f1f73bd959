"""Many users on one server: N concurrent sessions of the app, each changing weights.

Starts `streamlit run app.py` (the shipped sample district) on a free loopback port, then opens N
sessions at once over Streamlit's own websocket protocol (`/_stcore/stream`, the protobuf messages
the browser sends and receives; no browser is drawn, so the figures are the server's). Each session
loads the page, waits until every session is open, then makes `--edits` weight changes, alternating
the English-learner and the poverty weight, each after a pause drawn from `--think` seconds (seeded).

Per change it measures the **update time**: from sending the new widget value to the server's
`script_finished`, every element of the redrawn page received (headline, table, sidebar). Each
update's "Base per weighted pupil" is checked against the engine run here on the same files, so a
session that saw another session's numbers would be counted as wrong. The server's resident memory
(VmRSS of its process, /proc) is sampled every 0.1 s: idle after start, peak, and with all N
sessions open. A fresh server is started for each N.

    python benchmarks/load_sessions.py                       # N = 1, 10, 30
    python benchmarks/load_sessions.py --sessions 1,10,30 --edits 5 --think 1:5 --readme

Bounded: at most 60 sessions and 20 edits per session; each N stops after `--timeout` seconds
(default 240) whatever happens; the server is stopped at the end; everything is on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import connect  # noqa: E402  (a dependency of Streamlit)

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

MOST_SESSIONS, MOST_EDITS = 60, 20
BEGIN, END = "<!-- sessions:begin -->", "<!-- sessions:end -->"
WEIGHTS = ("needs.ell.weight", "needs.poverty.weight")
START = {"needs.ell.weight": 0.40, "needs.poverty.weight": 0.25}  # the sample weights (weights/sample_district.toml)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory in MB from /proc/<pid>/status (VmRSS now, VmHWM the peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (seconds), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sampler(threading.Thread):
    """Samples a process's VmRSS every `every` seconds until stopped; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak, self._halt = pid, every, 0.0, threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except OSError:
                return
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=2)


def start_server(port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_healthy(port: int, proc: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("streamlit did not start")


class Expected:
    """The engine's base per weighted pupil for a pair of weights, on the sample district."""

    def __init__(self) -> None:
        from sbb.district import load_district
        from sbb.scenario import load_scenario

        self.scenario = load_scenario(ROOT / "scenarios" / "baseline.toml")
        sample = ROOT / "sample_data"
        self.district = load_district(sample / "schools.csv", self.scenario.weights, roster=sample / "roster.csv")
        self.memo: dict[tuple, str] = {}

    def base(self, weights: dict[str, float]) -> str:
        from sbb.allocate import allocate
        from sbb.report import dollars
        from sbb.scenario import with_weights
        from sbb.weights import apply_overrides

        key = tuple(sorted(weights.items()))
        if key not in self.memo:
            s = with_weights(self.scenario, apply_overrides(self.scenario.baseline, dict(weights), "load test"))
            self.memo[key] = dollars(allocate(self.district, s).base_per_weighted_pupil, True)
        return self.memo[key]


async def rerun(ws, widgets: dict[str, float], ids: dict[str, str]) -> tuple[float, dict[str, str]]:
    """Send one rerun with the given widget values; wait for `script_finished`. Returns the seconds
    taken and the page's metrics (label -> value); fills `ids` with the weight boxes' widget ids."""
    back = BackMsg()
    back.rerun_script.query_string = ""
    back.rerun_script.page_script_hash = ""
    for key, value in widgets.items():
        back.rerun_script.widget_states.widgets.append(WidgetState(id=ids[key], double_value=value))
    t0 = time.perf_counter()
    await ws.send(back.SerializeToString())
    metrics: dict[str, str] = {}
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await ws.recv())
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            what = el.WhichOneof("type")
            if what == "metric":
                metrics[el.metric.label] = el.metric.body
            elif what == "number_input":
                for key in WEIGHTS:
                    if el.number_input.id.endswith("-ctl:" + key):
                        ids[key] = el.number_input.id
        elif kind == "script_finished":
            return time.perf_counter() - t0, metrics


async def session(i: int, port: int, edits: int, think: tuple[float, float], seed: int, ready: asyncio.Event,
                  opened: list, expected: Expected, out: dict) -> None:
    rng = random.Random(seed * 1000 + i)
    async with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None,
                       open_timeout=60, ping_interval=None) as ws:
        ids: dict[str, str] = {}
        first, metrics = await rerun(ws, {}, ids)
        out["first"].append(first)
        opened.append(i)
        await ready.wait()
        values = dict(START)
        for k in range(edits):
            await asyncio.sleep(rng.uniform(*think))
            key = WEIGHTS[k % 2]
            values[key] = round(START[key] + 0.01 * rng.randint(1, 20), 2)
            seconds, metrics = await rerun(ws, values, ids)
            out["times"].append(seconds)
            if metrics.get("Base per weighted pupil") != expected.base(values):
                out["wrong"] += 1


async def one_run(n: int, port: int, pid: int, edits: int, think: tuple[float, float], seed: int,
                  timeout: float, expected: Expected) -> dict:
    out: dict = {"first": [], "times": [], "wrong": 0}
    ready, opened = asyncio.Event(), []
    sampler = Sampler(pid)
    sampler.start()
    idle = rss_mb(pid)
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(session(i, port, edits, think, seed, ready, opened, expected, out)) for i in range(n)]

    async def release() -> float:
        while len(opened) < n and not all(t.done() for t in tasks):
            await asyncio.sleep(0.05)
        out["all_open"] = rss_mb(pid)
        out["cpu0"] = cpu_seconds(pid)
        ready.set()
        return time.perf_counter() - t0

    opening = asyncio.create_task(release())
    done, pending = await asyncio.wait([*tasks, opening], timeout=timeout)
    for t in pending:
        t.cancel()
    errors = [repr(t.exception()) for t in done if t is not opening and t.exception() is not None]
    cpu = cpu_seconds(pid) - out.get("cpu0", 0.0)
    sampler.stop()
    times = sorted(out["times"])
    q = statistics.quantiles(times, n=20, method="inclusive") if len(times) >= 2 else times * 19
    return {
        "sessions": n, "edits": len(times), "planned": n * edits, "wrong": out["wrong"], "errors": errors,
        "timed_out": bool(pending), "first_median_s": statistics.median(out["first"]) if out["first"] else None,
        "median_s": statistics.median(times) if times else None, "p95_s": q[18] if times else None,
        "max_s": times[-1] if times else None, "cpu_per_update_s": cpu / len(times) if times else None, "rss_idle_mb": idle, "rss_all_open_mb": out.get("all_open"),
        "rss_peak_mb": max(sampler.peak, rss_mb(pid, "VmRSS")), "wall_s": time.perf_counter() - t0,
    }


def measure(n: int, edits: int, think: tuple[float, float], seed: int, timeout: float, expected: Expected) -> dict:
    port = free_port()
    proc = start_server(port)
    try:
        wait_healthy(port, proc)
        time.sleep(1.0)
        return asyncio.run(one_run(n, port, proc.pid, edits, think, seed, timeout, expected))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.0f} ms"


def table(rows: list[dict], think: tuple[float, float], edits: int) -> str:
    lines = ["| Sessions | Changes timed | Update median | Update p95 | Update max | First page (median) | "
             "Server CPU per update | Server RSS, no session yet | RSS, all sessions open | RSS peak | Wrong numbers |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        done = f"{r['edits']} of {r['planned']}" + (" (stopped at the time limit)" if r["timed_out"] else "")
        lines.append(f"| {r['sessions']} | {done} | {ms(r['median_s'])} | {ms(r['p95_s'])} | {ms(r['max_s'])} | "
                     f"{ms(r['first_median_s'])} | {ms(r['cpu_per_update_s'])} | {r['rss_idle_mb']:.0f} MB | {r['rss_all_open_mb'] or 0:.0f} MB | "
                     f"{r['rss_peak_mb']:.0f} MB | {r['wrong']} |")
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    lines.append("")
    lines.append(f"Each session made {edits} changes, one every {think[0]:g}-{think[1]:g} s (uniform, seeded); "
                 f"load average after the run {load}; {os.cpu_count()} cores; Python "
                 f"{sys.version.split()[0]}; a fresh server per row.")
    return "\n".join(lines)


def write_readme(text: str) -> None:
    readme = HERE / "README.md"
    doc = readme.read_text()
    start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    readme.write_text(doc[:start] + "\n" + text + "\n" + doc[end:])
    print(f"table written to {readme}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", default="1,10,30", help="comma-separated session counts (each at most 60)")
    ap.add_argument("--edits", type=int, default=5, help="weight changes per session (at most 20)")
    ap.add_argument("--think", default="1:5", help="pause before each change, seconds LOW:HIGH")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds per session count, at most")
    ap.add_argument("--readme", action="store_true", help="write the table into benchmarks/README.md")
    ap.add_argument("--json", help="also write the raw results to this file")
    args = ap.parse_args()
    counts = [int(x) for x in args.sessions.split(",") if x.strip()]
    if any(not 1 <= n <= MOST_SESSIONS for n in counts) or not 1 <= args.edits <= MOST_EDITS:
        ap.error(f"sessions must be 1..{MOST_SESSIONS} and edits 1..{MOST_EDITS}")
    lo, hi = (float(x) for x in args.think.split(":"))
    expected = Expected()
    rows = []
    for n in counts:
        row = measure(n, args.edits, (lo, hi), args.seed, min(args.timeout, 600.0), expected)
        rows.append(row)
        print(json.dumps(row), flush=True)
    text = table(rows, (lo, hi), args.edits)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    if args.readme:
        write_readme(text)


if __name__ == "__main__":
    main()
