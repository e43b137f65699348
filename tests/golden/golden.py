"""Golden record of the sample week: every scrap of the weekly run and the JSON of the main CLI commands.

A refactor that changes no behaviour must leave this record unchanged (to floating-point noise).

Usage (from the project root, with the project's virtual environment)::

    python tests/golden/golden.py record OUT.json [--code DIR] [--as-of 2022-12-28] [--reports DIR]
    python tests/golden/golden.py compare A.json B.json [--rtol 1e-9]
    python tests/golden/golden.py check BASE_COMMIT     # record BASE_COMMIT and the working tree, compare

``record`` copies the params, notebooks and sample lakehouse into a scratch home (nothing in the
project is written), runs ``rebal run`` there (or reads the executed notebooks of ``--reports``), then
the CLI commands with ``--json``. ``--code DIR`` runs another checkout's package (a git worktree of
an earlier commit) with its own notebooks and params; ``check`` does that for a commit and compares.
Volatile fields (times, durations, scratch paths) are dropped before comparing.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VOLATILE = {"generated", "generated_at", "accepted_at", "created_at", "approved_at", "executed_at", "started",
            "finished_at", "seconds", "built_at", "report_generated", "git_commit", "python", "run_started",
            "path", "file", "lakehouse", "snapshot"}
CLI = [
    ("profiles", ["profiles", "--json"]),
    ("data_info_rows", ["data", "info", "--json"]),
    ("audit", ["audit", "--json"]),
    ("drift_monitor_first", ["drift-monitor", "--json"]),
    ("drift_monitor", ["drift-monitor", "--json"]),
    ("schedule", ["schedule", "--from", "2022-12-20", "--json"]),
    ("risk4_check", ["risk4", "check", "--date", "2022-12-27", "--json"]),
    ("backtest_min_variance_grid", ["backtest", "--profile", "min_variance", "--grid", "--workers", "1", "--json",
                                    "--out", "{home}/bt"]),
]
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")
PROPOSE_PROFILES = ["bl_tilts", "hrp_balanced", "max_sharpe", "min_variance", "risk4_us", "strategy_sleeves"]


def _scraps(nb_path: Path) -> dict:
    import scrapbook as sb

    out = {}
    for k, v in sb.read_notebook(str(nb_path)).scraps.items():
        data = v.data
        if hasattr(data, "to_dict"):
            data = json.loads(data.to_json(orient="split", double_precision=15, date_format="iso"))
        out[k] = data
    return out


def _normalise(obj, home: str):
    if isinstance(obj, dict):
        return {k: _normalise(v, home) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [_normalise(v, home) for v in obj]
    if isinstance(obj, str):
        return _STAMP.sub("<TIME>", obj.replace(home, "<HOME>"))
    return obj


def _home(code: Path, lakehouse: Path) -> Path:
    home = Path(tempfile.mkdtemp(prefix="rebal-golden-"))
    shutil.copytree(code / "params", home / "params")
    shutil.copytree(code / "notebooks", home / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (home / "data" / "lakehouse").mkdir(parents=True)
    shutil.copy(lakehouse, home / "data" / "lakehouse" / "rebal.duckdb")
    return home


def _env(code: Path, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REBAL_")}
    env["PYTHONPATH"] = str(code) + os.pathsep + env.get("PYTHONPATH", "")
    env["REBAL_HOME"] = str(home)
    return env


def _rebal(code: Path, home: Path, args: list[str]) -> subprocess.CompletedProcess:
    args = [a.replace("{home}", str(home)) for a in args]
    return subprocess.run([sys.executable, "-c", "import sys; from rebal.cli import main; sys.exit(main())", *args],
                          env=_env(code, home), cwd=home, capture_output=True, text=True)


def record(out: Path, *, code: Path = REPO, as_of: str = "2022-12-28", reports: Path | None = None,
           lakehouse: Path | None = None) -> dict:
    """Run the sample week with the package in ``code`` and write the normalised record to ``out``."""
    lakehouse = lakehouse or REPO / "data" / "lakehouse" / "rebal.duckdb"
    if not lakehouse.is_file():
        raise SystemExit(f"{lakehouse}: build the sample lakehouse first (make lakehouse)")
    home = _home(code, lakehouse)
    try:
        rec: dict = {"as_of": as_of, "scraps": {}, "cli": {}}
        if reports is None:
            r = _rebal(code, home, ["run", "--as-of", as_of, "--quiet"])
            if r.returncode != 0:
                raise SystemExit(f"rebal run failed ({r.returncode}): {r.stderr[-2000:]}")
            reports = home / "reports"
        for nb in sorted((reports / as_of).glob("*/*.ipynb")):
            if nb.name.endswith(".failed.ipynb"):
                continue
            rec["scraps"][f"{nb.parent.name}/{nb.stem}"] = _scraps(nb)
        for name, args in CLI:
            r = _rebal(code, home, args)
            rec["cli"][name] = {"exit": r.returncode, "json": json.loads(r.stdout) if r.stdout.strip() else None}
        for p in PROPOSE_PROFILES:
            r = _rebal(code, home, ["propose", "--profile", p, "--as-of", as_of, "--json"])
            rec["cli"][f"propose_{p}"] = {"exit": r.returncode, "json": json.loads(r.stdout) if r.stdout.strip() else None}
        rec = _normalise(rec, str(home))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rec, indent=1, sort_keys=True, default=str))
    return rec


def differences(a, b, *, rtol: float = 1e-9, atol: float = 1e-12, where: str = "") -> list[str]:
    """Every place where ``a`` and ``b`` differ beyond floating-point noise."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{where}.{k}: only in the first" for k in sorted(set(a) - set(b))]
        out += [f"{where}.{k}: only in the second" for k in sorted(set(b) - set(a))]
        for k in sorted(set(a) & set(b)):
            out += differences(a[k], b[k], rtol=rtol, atol=atol, where=f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: length {len(a)} vs {len(b)}"]
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += differences(x, y, rtol=rtol, atol=atol, where=f"{where}[{i}]")
        return out
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if math.isnan(a) and math.isnan(b):
            return []
        if math.isclose(a, b, rel_tol=rtol, abs_tol=atol):
            return []
        return [f"{where}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{where}: {str(a)[:120]!r} vs {str(b)[:120]!r}"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("out", type=Path)
    r.add_argument("--code", type=Path, default=REPO)
    r.add_argument("--as-of", default="2022-12-28")
    r.add_argument("--reports", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    c.add_argument("--rtol", type=float, default=1e-9)
    k = sub.add_parser("check")
    k.add_argument("base")
    k.add_argument("--rtol", type=float, default=1e-9)
    args = ap.parse_args(argv)
    if args.cmd == "record":
        rec = record(args.out, code=args.code.resolve(), as_of=args.as_of, reports=args.reports)
        print(f"recorded {len(rec['scraps'])} reports and {len(rec['cli'])} CLI outputs in {args.out}")
        return 0
    if args.cmd == "compare":
        a, b = (_normalise(json.loads(f.read_text()), "<HOME>") for f in (args.a, args.b))
    else:
        work = Path(tempfile.mkdtemp(prefix="rebal-golden-base-"))
        subprocess.run(["git", "worktree", "add", "--detach", str(work / "base"), args.base], cwd=REPO, check=True,
                       capture_output=True)
        try:
            a = record(work / "base.json", code=work / "base")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(work / "base")], cwd=REPO, capture_output=True)
        b = record(work / "head.json", code=REPO)
        print(f"records in {work}")
    diff = differences(a, b, rtol=args.rtol)
    n = sum(len(v) for v in a["scraps"].values())
    if diff:
        print(f"{len(diff)} difference(s):")
        print("\n".join(diff[:200]))
        return 1
    print(f"identical: {len(a['scraps'])} reports ({n} scraps) and {len(a['cli'])} CLI outputs (rtol {args.rtol:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
