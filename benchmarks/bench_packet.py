"""The committee packet of a built week: its assembly by step, and ``rebal packet --as-of`` from a shell.

Rebuilds the packet of ``reports/<DATE>/`` (a week the weekly job has run, e.g. ``make report``)
``--repeat`` times in this process and prints the median seconds of each step of
:func:`rebal.report.packet.build.write_packet`: reading the appendix (each report PDF's page count and
named destinations), laying the decision document out (how many layouts it took), assembling the PDF
(pages copied, links, outline, stamps) and writing the HTML packet. Then it times ``rebal packet
--as-of DATE`` as a user runs it (a new process: imports included), CPU and wall. Nothing is laid out
again but the decision document; the numbers depend on the machine's load (say so when you quote them).

Run: ``python benchmarks/bench_packet.py [--as-of 2022-12-28] [--repeat 3]``.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--as-of", default="2022-12-28")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from pypdf import PdfReader

    from rebal.data.lakehouse import Lakehouse
    from rebal.paths import get_paths
    from rebal.report import week

    paths = get_paths(ROOT)
    out = paths.reports_dir / args.as_of
    if not (out / week.MANIFEST).is_file():
        print(f"no week at {out}: run `make report` (or `rebal run --as-of {args.as_of}`) first", file=sys.stderr)
        return 2
    with Lakehouse(paths.lakehouse) as lh:
        facts = lh.at(args.as_of).describe()
    steps: dict[str, list[float]] = {}
    totals, layouts = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        with week.week_lock(out):
            built = week.build_packet(out, lakehouse_meta=facts)
        totals.append(time.perf_counter() - t0)
        layouts.append(built.layouts)
        for k, v in (built.seconds or {}).items():
            steps.setdefault(k, []).append(v)
    reports = sum(len(PdfReader(str(p)).pages) for p in out.glob("*/*.pdf"))
    print(f"packet of {args.as_of}: {built.pages} pages = a {built.decision_pages}-page decision document + "
          f"{built.reports} report PDFs ({reports} pages on disk, shared ones once); "
          f"{built.pdf.stat().st_size / 1e6:.1f} MB PDF, {built.html.stat().st_size / 1e3:.0f} kB HTML")
    print(f"in process, median of {args.repeat}: " + ", ".join(f"{k} {statistics.median(v):.2f} s"
                                                                 for k, v in steps.items())
          + f"; total {statistics.median(totals):.2f} s; layouts of the decision document: {layouts}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("rebal")), "--home", str(ROOT), "packet", "--as-of",
                    args.as_of], check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"`rebal packet --as-of {args.as_of}` (a new process, imports included): {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU; load average now {', '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
