"""Time from changing a weight to the new numbers showing, in a real browser.

Starts `streamlit run app.py` on a loopback port, opens it in headless Chromium (Playwright), and
changes the English-learner weight several times. Each change is timed in the page itself: from
the Enter keydown that commits the new weight to the moment the headline "Base per weighted pupil"
shows the value the engine computes for that weight (MutationObserver, performance.now()), to the
last frame in which the per-school table's canvas changed (the new figures drawn), and to the moment
the table's accessibility rows show the first school's new allocation (about 200 ms later).

    python benchmarks/browser_timing.py                        # sample district (roster)
    python benchmarks/browser_timing.py --data benchmarks/data/s1000000_k1600 --roster roster.parquet
    python benchmarks/browser_timing.py --present               # presentation mode (cards + charts)

Prints one line per change and the medians; see BROWSER.md for recorded results.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sbb.allocate import allocate  # noqa: E402
from sbb.district import load_district  # noqa: E402
from sbb.report import dollars  # noqa: E402
from sbb.scenario import load_scenario, with_weights  # noqa: E402
from sbb.weights import apply_overrides  # noqa: E402

OBSERVER = """
([firstId]) => {
  window.__sbb = {t0: 0, metric: 0, row: 0, want: null, wantRow: null, canvasFirst: 0, canvasLast: 0, prev: null};
  document.addEventListener('keydown', e => { if (e.key === 'Enter') window.__sbb.t0 = performance.now(); }, true);
  const check = () => {
    const s = window.__sbb;
    if (!s.t0) return;
    if (!s.metric && s.want) {
      for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
        if (m.innerText.includes('Base per weighted pupil') &&
            m.querySelector('[data-testid="stMetricValue"]').innerText.trim() === s.want) s.metric = performance.now();
      }
      for (const m of document.querySelectorAll('.sbb-sub')) {
        if (m.innerText.includes('base ' + s.want)) s.metric = performance.now();
      }
    }
    if (!s.row && s.wantRow) {
      for (const r of document.querySelectorAll('[data-testid="stDataFrame"] [role="row"]')) {
        if (r.innerText.includes(firstId) && r.innerText.includes(s.wantRow)) s.row = performance.now();
      }
    }
  };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, characterData: true});
  // What people see of the table is a canvas: hash a strip of it (header and first rows) every frame and
  // keep the first and the last frame, after the change, in which it differs from the frame before.
  const strip = () => {
    const c = document.querySelector('.st-key-school_table canvas') ||
              document.querySelector('[data-testid="stDataFrame"] canvas');
    if (!c || !c.width) return null;
    const d = c.getContext('2d').getImageData(0, 0, c.width, Math.min(c.height, 160)).data;
    let h = 0;
    for (let i = 0; i < d.length; i += 12) h = (h * 31 + d[i]) | 0;
    return h;
  };
  const frame = () => {
    const s = window.__sbb;
    if (s.t0) {
      const h = strip();
      if (h !== null && h !== s.prev) { if (!s.canvasFirst) s.canvasFirst = performance.now(); s.canvasLast = performance.now(); }
      s.prev = h;
    } else { s.prev = strip(); }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "sample_data"), help="folder with schools.csv and the roster/counts")
    ap.add_argument("--roster", default="roster.csv", help="roster file name in --data ('' to use --counts)")
    ap.add_argument("--counts", default="", help="counts file name in --data instead of a roster")
    ap.add_argument("--changes", type=int, default=7)
    ap.add_argument("--present", action="store_true", help="time presentation mode")
    args = ap.parse_args()
    data = Path(args.data)
    schools = data / "schools.csv"
    source = ["--roster", str(data / args.roster)] if not args.counts else ["--counts", str(data / args.counts)]

    scenario = load_scenario(ROOT / "scenarios" / "baseline.toml")
    t = time.perf_counter()
    district = load_district(schools, scenario.weights, **({"roster": data / args.roster} if not args.counts
                                                          else {"counts": data / args.counts}))
    print(f"district: {len(district.schools):,} schools, {int(district.counts.filter(like='grade_').sum().sum()):,} "
          f"pupils; engine load {time.perf_counter() - t:.2f} s")

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--", "--schools", str(schools), *source],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from playwright.sync_api import sync_playwright

    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            t = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector('[data-testid="stMetric"]', timeout=180_000)
            print(f"first page with numbers (includes reading the files): {time.perf_counter() - t:.2f} s")
            if args.present:
                page.get_by_text("Presentation mode").click()
                page.wait_for_selector(".sbb-card", timeout=60_000)
                # presentation mode folds the sidebar away; the presenter opens it to change a weight
                page.wait_for_timeout(500)
                page.locator('[data-testid="stExpandSidebarButton"]').click()
            page.wait_for_timeout(1500)
            first_id = str(district.schools["school_id"].iloc[0])
            page.evaluate(OBSERVER, [first_id])
            box = page.get_by_label("English learners", exact=True)
            metric_ms, row_ms, drawn_ms = [], [], []
            for i in range(args.changes):
                weight = round(0.41 + 0.01 * i, 2)
                a = allocate(district, with_weights(scenario, apply_overrides(
                    scenario.baseline, {"needs.ell.weight": weight}, "bench")))
                want = dollars(a.base_per_weighted_pupil, True)
                want_row = "" if args.present else f"{a.table['allocation'].iloc[0]:.0f}"
                page.evaluate("([w, r]) => Object.assign(window.__sbb, {t0: 0, metric: 0, row: 0, want: w, wantRow: r, "
                              "canvasFirst: 0, canvasLast: 0})",
                              [want, want_row or None])
                box.fill(f"{weight:.2f}")
                box.press("Enter")
                page.wait_for_function("() => window.__sbb.metric > 0 && (window.__sbb.row > 0 || !window.__sbb.wantRow)",
                                       timeout=60_000)
                page.wait_for_timeout(1000)  # let the table's canvas settle before reading its last change
                s = page.evaluate("() => window.__sbb")
                metric_ms.append(s["metric"] - s["t0"])
                if want_row:
                    row_ms.append(s["row"] - s["t0"])
                    drawn_ms.append(s["canvasLast"] - s["t0"] if s["canvasLast"] else float("nan"))
                print(f"  ELL weight {weight:.2f}: headline {metric_ms[-1]:6.0f} ms"
                      + (f", table drawn {drawn_ms[-1]:6.0f} ms (first change {s['canvasFirst'] - s['t0']:.0f} ms)"
                         f", accessible rows {row_ms[-1]:6.0f} ms" if want_row else ""))
            assert page.locator('[data-testid="stException"]').count() == 0
            print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            print(f"median over {len(metric_ms)} changes: headline {statistics.median(metric_ms):.0f} ms"
                  + (f", table drawn {statistics.median(drawn_ms):.0f} ms, accessible rows "
                     f"{statistics.median(row_ms):.0f} ms" if row_ms else ""))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
