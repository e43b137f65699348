"""Shared fixtures: a tiny hand-built project (worked by hand in the tests) and the sample lakehouse."""
from __future__ import annotations

import json
import shutil
import textwrap
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

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
            for t, px in zip(("AAA", "BBB", "CCC", "IDX"), row):
                con.execute("INSERT INTO prices (date, ticker, close, source) VALUES (?, ?, ?, 'test')",
                            [date.fromisoformat(d), t, px])
        con.execute("INSERT INTO meta VALUES ('built_at', 'test')")
        for prof in profiles:
            for t, n in TINY_HOLDINGS.items():
                con.execute("INSERT INTO holdings VALUES (?, DATE '2024-01-02', ?, ?, 'test')", [prof, t, n])
            con.execute("INSERT INTO cash_balances VALUES (?, DATE '2024-01-02', ?, 'test')", [prof, TINY_CASH])


def make_tiny_home(home: Path) -> Path:
    """Create a project root with one profile, the template notebooks and the tiny lakehouse."""
    (home / "params" / "profiles").mkdir(parents=True)
    (home / "params" / "profiles" / "tiny.yaml").write_text(TINY_PROFILE)
    shutil.copytree(REPO / "notebooks", home / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    write_tiny_lakehouse(home / "data" / "lakehouse" / "rebal.duckdb")
    return home


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


@pytest.fixture(scope="session")
def sample_lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real sample lakehouse (built once per session, with the shipped profiles' holdings)."""
    from rebal.config import load_profiles
    from rebal.data.sample import build_sample_lakehouse
    from rebal.monitor.sample_holdings import seed_sample_holdings

    path = tmp_path_factory.mktemp("sample") / "rebal.duckdb"
    params = REPO / "params" / "profiles"

    def post(lh):
        return seed_sample_holdings(lh, load_profiles(None, params, known_tickers=lh.known_tickers()))

    build_sample_lakehouse(path, post_build=post)
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


__all__ = ["REPO", "TINY_PRICES", "make_tiny_home", "write_tiny_lakehouse", "add_failing_profile", "file_digest", "csv", "pd"]
