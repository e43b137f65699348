"""Shared fixtures: a tiny hand-built project (worked by hand in the tests), the sample lakehouse and
an in-process runner of the ``rebal`` command.

Tiers (markers registered in pyproject.toml): every test under ``tests/integration/`` and every test
that uses the sample lakehouse is marked ``integration`` here at collection, so ``make test-fast``
(``-m "not integration and not notebook and not pdf and not dask and not slow"``) never builds it.

The sample lakehouse is built once per *content hash* of what determines it (see
:func:`sample_inputs`) into ``$REBAL_TEST_CACHE`` (default ``.pytest_cache/rebal-sample/``), under a
file lock so that two xdist workers never build it at the same time; each session gets a private
copy, free to write.
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import sys
import textwrap
import time
import warnings
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

import rebal
from rebal.data.lakehouse import Lakehouse

REPO = Path(__file__).resolve().parents[1]

# Tiny market: three stocks and a benchmark on four real NYSE sessions (2024-01-02 .. 2024-01-05).
TINY_PRICES = {
    # date:        AAA   BBB   CCC   IDX
    "2024-01-02": (40.0, 20.0, 40.0, 100.0),
    "2024-01-03": (42.0, 19.0, 41.0, 101.0),
    "2024-01-04": (43.0, 18.5, 44.0, 102.0),
    "2024-01-05": (44.0, 18.0, 46.0, 103.0),
}
# Implemented on 2024-01-02: 100 AAA, 150 BBB, 50 CCC and $1,000 cash = $10,000 at 40/30/20/10 %.
TINY_HOLDINGS = {"AAA": 100.0, "BBB": 150.0, "CCC": 50.0}
TINY_CASH = 1000.0

TINY_PROFILE = """\
description: Tiny hand-worked profile for tests
universe: [AAA, BBB, CCC]
benchmark: IDX
target:
  method: fixed
  weights: {AAA: 0.40, BBB: 0.30, CCC: 0.20}
  cash: 0.10
notebooks: [drift_audit]   # four sessions of data: too short for beta and the factor map
"""


def write_tiny_lakehouse(path: Path, profiles: tuple[str, ...] = ("tiny",)) -> None:
    """Build the tiny lakehouse at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with Lakehouse(path, read_only=False) as lh, lh.transaction() as con:
        for t, sector in (("AAA", "Tech"), ("BBB", "Energy"), ("CCC", "Health")):
            con.execute("INSERT INTO tickers VALUES (?, ?, ?, 'equity', FALSE, 'test')", [t, f"{t} Corp", sector])
        con.execute("INSERT INTO tickers VALUES ('IDX', 'Test index', NULL, 'index', TRUE, 'test')")
        for d, row in TINY_PRICES.items():
            for t, px in zip(("AAA", "BBB", "CCC", "IDX"), row, strict=True):
                con.execute("INSERT INTO prices (date, ticker, close, source) VALUES (?, ?, ?, 'test')",
                            [date.fromisoformat(d), t, px])
        con.execute("INSERT INTO meta VALUES ('built_at', 'test')")
        for prof in profiles:
            for t, n in TINY_HOLDINGS.items():
                con.execute("INSERT INTO holdings VALUES (?, DATE '2024-01-02', ?, ?, 'test')", [prof, t, n])
            con.execute("INSERT INTO cash_balances VALUES (?, DATE '2024-01-02', ?, 'test')", [prof, TINY_CASH])


def write_market(path: Path, close: pd.DataFrame, *, benchmark: str | None = None,
                 sectors: dict[str, str] | None = None, high: pd.DataFrame | None = None,
                 low: pd.DataFrame | None = None, volume: pd.DataFrame | None = None,
                 synthetic: tuple[str, ...] = ()) -> Path:
    """Write a lakehouse at ``path`` from wide frames (dates x tickers) built in a test.

    A NaN close is no row (a gap); ``benchmark`` is stored as an index, the other columns as equities
    (sector from ``sectors``, default "Tech"); ``synthetic`` tickers get ``ohlv_synthetic = TRUE``.
    """
    long = close.stack().dropna().rename("close").to_frame()
    for name, frame in (("high", high), ("low", low), ("volume", volume)):
        long[name] = frame.stack().reindex(long.index).to_numpy() if frame is not None else float("nan")
    long.index.names = ["date", "ticker"]
    rows = long.reset_index()
    rows["date"] = pd.to_datetime(rows["date"]).dt.date
    rows["synthetic"] = rows["ticker"].isin(synthetic)
    path.parent.mkdir(parents=True, exist_ok=True)
    with Lakehouse(path, read_only=False) as lh, lh.transaction() as con:
        for t in close.columns:
            if t == benchmark:
                con.execute("INSERT INTO tickers VALUES (?, ?, NULL, 'index', TRUE, 'test')", [t, f"{t} index"])
            else:
                con.execute("INSERT INTO tickers VALUES (?, ?, ?, 'equity', FALSE, 'test')",
                            [t, f"{t} Corp", (sectors or {}).get(t, "Tech")])
        con.register("rows_df", rows)
        con.execute("INSERT INTO prices (date, ticker, high, low, close, volume, ohlv_synthetic, source) "
                    "SELECT date, ticker, high, low, close, volume, synthetic, 'test' FROM rows_df")
        con.execute("INSERT INTO meta VALUES ('built_at', 'test')")
    return path


def make_tiny_home(home: Path) -> Path:
    """Create a project root with one profile, the template notebooks and the tiny lakehouse."""
    (home / "params" / "profiles").mkdir(parents=True)
    (home / "params" / "profiles" / "tiny.yaml").write_text(TINY_PROFILE)
    shutil.copytree(REPO / "notebooks", home / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    write_tiny_lakehouse(home / "data" / "lakehouse" / "rebal.duckdb")
    return home


@pytest.fixture(autouse=True)
def _empty_memo() -> None:
    """Every test starts with an empty in-process memo (:mod:`rebal.cache`): no result carried between tests."""
    from rebal import cache

    cache.clear()


_ENV = ("REBAL_HOME", "REBAL_PARAMS_DIR", "REBAL_LAKEHOUSE", "REBAL_REPORTS_DIR", "REBAL_NOTEBOOKS_DIR")


@pytest.fixture
def tiny_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh tiny project root (see :func:`make_tiny_home`)."""
    for var in _ENV:
        monkeypatch.delenv(var, raising=False)
    return make_tiny_home(tmp_path / "proj")


def add_failing_profile(home: Path) -> None:
    """Add profile ``tiny_fail`` whose drift audit raises in a cell after the parameters."""
    (home / "params" / "profiles" / "tiny_fail.yaml").write_text(TINY_PROFILE)
    lh_path = home / "data" / "lakehouse" / "rebal.duckdb"
    with Lakehouse(lh_path, read_only=False) as lh, lh.transaction() as con:
        for t, n in TINY_HOLDINGS.items():
            con.execute("INSERT INTO holdings VALUES ('tiny_fail', DATE '2024-01-02', ?, ?, 'test')", [t, n])
        con.execute("INSERT INTO cash_balances VALUES ('tiny_fail', DATE '2024-01-02', ?, 'test')", [TINY_CASH])
    nb_path = home / "notebooks" / "drift_audit.ipynb"
    nb = json.loads(nb_path.read_text())
    idx = next(i for i, c in enumerate(nb["cells"]) if "parameters" in c["metadata"].get("tags", []))
    nb["cells"].insert(idx + 2, {
        "cell_type": "code", "id": "injected-failure", "metadata": {}, "execution_count": None, "outputs": [],
        "source": ["if profile == 'tiny_fail':\n", "    raise RuntimeError('injected failure for the test')"],
    })
    nb_path.write_text(json.dumps(nb))


# -- the sample lakehouse, cached by content hash -----------------------------------------------

#: Distributions whose data or numerics shape the sample lakehouse (skfolio and arch ship its series;
#: the others compute the synthetic layer, the features and the sample holdings' targets).
SAMPLE_PACKAGES = ("skfolio", "arch", "numpy", "pandas", "scipy", "scikit-learn", "statsmodels", "duckdb",
                   "exchange_calendars", "clarabel", "pyarrow")
#: Cache entries (one per content hash) kept after a build; older ones are deleted.
SAMPLE_CACHE_KEEP = 3


def sample_inputs() -> tuple[str, dict[str, object]]:
    """Content hash of everything that determines the sample lakehouse, and what went into it.

    Inputs: every ``.py`` file of the imported ``rebal`` package (the build runs the data layer, but the
    sample holdings are fitted by the allocation methods and Risk4, and the profiles are composed from
    every domain's spec through lazy imports, so a narrower list would serve a stale lakehouse after
    an allocator change), every file under ``params/`` (profiles and the Black-Litterman views), the
    seed, the versions of :data:`SAMPLE_PACKAGES` and of Python.
    """
    from rebal.data.sample import SAMPLE_SEED

    pkg = Path(rebal.__file__).resolve().parent
    files = [(f"rebal/{p.relative_to(pkg).as_posix()}", p) for p in sorted([*pkg.rglob("*.py"), *pkg.rglob("*.csv")])]
    files += [(p.relative_to(REPO).as_posix(), p) for p in sorted((REPO / "params").rglob("*")) if p.is_file()]
    h = hashlib.sha256()
    for name, path in files:
        data = path.read_bytes()
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    versions = {}
    for dist in SAMPLE_PACKAGES:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    facts = {"seed": SAMPLE_SEED, "python": platform.python_version(), "versions": versions}
    h.update(json.dumps(facts, sort_keys=True).encode())
    return h.hexdigest()[:20], {**facts, "files": len(files)}


def sample_cache_dir() -> Path:
    """``$REBAL_TEST_CACHE`` or ``<repo>/.pytest_cache/rebal-sample``."""
    env = os.environ.get("REBAL_TEST_CACHE")
    return Path(env).expanduser().resolve() if env else REPO / ".pytest_cache" / "rebal-sample"


def build_sample(path: Path) -> dict[str, object]:
    """Build the sample lakehouse at ``path`` with the shipped profiles' holdings and the offline LLM calls'
    track record (as ``make lakehouse``)."""
    from rebal.config import load_profiles
    from rebal.data.sample import build_sample_lakehouse
    from rebal.llm.batch import backfill_sample
    from rebal.monitor.sample_holdings import seed_sample_holdings

    params = REPO / "params" / "profiles"

    def post(lh):
        profiles = load_profiles(None, params, known_tickers=lh.known_tickers())
        return seed_sample_holdings(lh, profiles) | backfill_sample(lh, profiles)

    return build_sample_lakehouse(path, post_build=post)


def cached_sample_lakehouse() -> Path:
    """The sample lakehouse of the current inputs, built at most once per content hash (read-only file).

    An exclusive ``fcntl.flock`` on ``<cache>/<hash>.lock`` serialises the builders: the first worker
    builds (atomically: :func:`rebal.data.sample.build_sample_lakehouse` moves the file into place when
    complete), the others wait and then find it. A crashed builder releases the lock with its process.
    """
    key, facts = sample_inputs()
    root = sample_cache_dir()
    entry = root / key
    path = entry / "rebal.duckdb"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not path.is_file():
                entry.mkdir(exist_ok=True)
                t0 = time.perf_counter()
                summary = build_sample(path)
                os.chmod(path, 0o444)  # tests get copies; the cached file is never written
                (entry / "inputs.json").write_text(json.dumps(
                    {"key": key, **facts, "build_seconds": round(time.perf_counter() - t0, 1),
                     "built_by_pid": os.getpid(), "rows": summary["rows"]}, indent=2))
                _prune_sample_cache(root, keep=entry)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    os.utime(entry)  # most recently used
    return path


def _prune_sample_cache(root: Path, keep: Path) -> None:
    entries = sorted((d for d in root.iterdir() if d.is_dir() and d != keep), key=lambda d: d.stat().st_mtime)
    for old in entries[:max(len(entries) - (SAMPLE_CACHE_KEEP - 1), 0)]:
        shutil.rmtree(old, ignore_errors=True)
        (root / f"{old.name}.lock").unlink(missing_ok=True)


@pytest.fixture(scope="session")
def sample_lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the real sample lakehouse with the shipped profiles' holdings (see
    :func:`cached_sample_lakehouse`); free to write, shared by the tests of this session (worker)."""
    path = tmp_path_factory.mktemp("sample") / "rebal.duckdb"
    shutil.copyfile(cached_sample_lakehouse(), path)
    return path


@pytest.fixture
def sample_home(tmp_path: Path, sample_lakehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root with the shipped params and a copy of the sample lakehouse (free to write)."""
    for var in _ENV:
        monkeypatch.delenv(var, raising=False)
    h = tmp_path / "proj"
    shutil.copytree(REPO / "params", h / "params")
    (h / "data" / "lakehouse").mkdir(parents=True)
    shutil.copy(sample_lakehouse, h / "data" / "lakehouse" / "rebal.duckdb")
    return h


def file_digest(path: Path) -> dict[str, object]:
    """Content of every lakehouse table (to check that a failed write changed nothing)."""
    with Lakehouse(path) as lh:
        return {t: lh.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("prices", "tickers", "holdings", "cash_balances", "meta")}


def csv(tmp_path: Path, name: str, text: str) -> Path:
    """Write a CSV file from dedented text."""
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip())
    return p


# -- the rebal command, in this process ------------------------------------------------------------

@dataclass(frozen=True)
class CliResult:
    """Exit code and output of one ``rebal`` command (the fields of ``subprocess.CompletedProcess``)."""

    returncode: int
    stdout: str
    stderr: str


#: Python's own warning filters (``python -W`` unset): what ``python -m rebal`` would print.
_PYTHON_WARNING_FILTERS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def run_cli(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, home: Path | None, *args: str,
            cwd: Path | None = None, **env: str) -> CliResult:
    """Run ``rebal [--home HOME] ARGS`` through :func:`rebal.cli.main` in this process.

    As the console script would: no ``REBAL_*`` variable but ``env``, the exit code of ``main`` or of
    its ``SystemExit`` (argparse errors, ``--help``), stdout and stderr captured at the file-descriptor
    level, and any warning that Python's default filters would print appended to stderr (so "one line
    on stderr" means what it means for a user). The environment and ``cwd`` are restored afterwards.
    """
    from rebal.cli import main

    argv = [*(["--home", str(home)] if home is not None else []), *args]
    capfd.readouterr()  # drop what the test printed before
    with monkeypatch.context() as mp, warnings.catch_warnings(record=True) as caught:
        for var in [v for v in os.environ if v.startswith("REBAL_")]:
            mp.delenv(var)
        for var, value in env.items():
            mp.setenv(var, value)
        if cwd is not None:
            mp.chdir(cwd)
        warnings.resetwarnings()
        warnings.simplefilter("default")
        for category in _PYTHON_WARNING_FILTERS:
            warnings.simplefilter("ignore", category)
        try:
            code = main(argv)
        except SystemExit as exc:
            if isinstance(exc.code, str):
                sys.stderr.write(exc.code + "\n")
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
    out, err = capfd.readouterr()
    err += "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line) for w in caught)
    return CliResult(int(code), out, err)


@pytest.fixture
def cli(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """``cli(home, *args, cwd=None, **env)``: run the ``rebal`` command in this process (see :func:`run_cli`)."""
    return lambda home, *args, cwd=None, **env: run_cli(capfd, monkeypatch, home, *args, cwd=cwd, **env)


def assert_one_line_error(res: CliResult, *needles: str) -> None:
    """Exit code 2, exactly one line on stderr, no traceback, every needle in that line."""
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    for n in needles:
        assert n in lines[0], lines[0]


# -- tiers --------------------------------------------------------------------------------------------

_INTEGRATION_DIR = Path(__file__).resolve().parent / "integration"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``integration`` every test under tests/integration/ and every test using the sample lakehouse."""
    for item in items:
        if item.get_closest_marker("integration"):
            continue
        if _INTEGRATION_DIR in item.path.resolve().parents or \
                "sample_lakehouse" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)


__all__ = ["REPO", "TINY_PRICES", "make_tiny_home", "write_tiny_lakehouse", "write_market", "add_failing_profile", "file_digest", "csv",
           "pd", "CliResult", "run_cli", "assert_one_line_error", "sample_inputs", "cached_sample_lakehouse"]
