"""A growing corpus of hostile inputs, run against every entry point by the tests beside it.

Each case is (id, content, needles): what a user (or an attacker) might give, and the words the one-line
refusal must contain. Generated cases are fine: :func:`range_cases` derives one bad value per numeric
profile field from the field's declared range, so a new field is covered by the time it has a range.
"""
from __future__ import annotations

from conftest import TINY_PROFILE

#: Profiles (YAML text or bytes, written as ``bad.yaml`` beside the tiny profile) and what the refusal names.
PROFILES: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    ("duplicate-top-level", TINY_PROFILE + "drift: {rebalance: 0.1}\ndrift: {rebalance: 0.3, urgent: 0.4}\n",
     ("bad.yaml", "duplicate key `drift` at line 10 (first at line 9)")),
    ("duplicate-nested", TINY_PROFILE.replace("cash: 0.10", "cash: 0.10\n  cash: 0.20"),
     ("bad.yaml", "duplicate key `cash` at line 8 (first at line 7)")),
    ("duplicate-in-flow-mapping", TINY_PROFILE.replace("{AAA: 0.40, BBB: 0.30", "{AAA: 0.40, AAA: 0.30"),
     ("bad.yaml", "duplicate key `AAA` at line 6 (first at line 6)")),
    ("impossible-date", TINY_PROFILE + "sample_holdings: {start: 2022-13-45}\n",
     ("bad.yaml", "`sample_holdings.start`", "'2022-13-45'")),
    ("impossible-feb-30", TINY_PROFILE + "lab: {start: 2021-02-30}\n", ("bad.yaml", "`lab.start`", "'2021-02-30'")),
    ("alias-bomb", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\ndescription: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
     ("bad.yaml", "alias bomb")),
    ("recursive-alias", "description: &r [*r]\n", ("bad.yaml", "recursive YAML alias")),
    ("long-unknown-key", TINY_PROFILE + "? " + "k" * 5000 + "\n: 1\n", ("bad.yaml", "unknown key `kkk", "...`")),
    ("long-bad-value", TINY_PROFILE.replace("benchmark: IDX", "benchmark: [" + ", ".join(["IDXIDXIDX"] * 3000) + "]"),
     ("bad.yaml", "`benchmark`: expected a string")),
    ("python-tag", TINY_PROFILE.replace("description: Tiny", "description: !!python/object/apply:os.system ['true']\nx: Tiny"),
     ("bad.yaml", "malformed YAML")),
    ("binary-garbage", b"\xff\xfe\x00garbage", ("bad.yaml", "not UTF-8")),
    ("not-a-mapping", "[1, 2, 3]\n", ("bad.yaml", "expected a mapping")),
    ("unhashable-literal", TINY_PROFILE.replace("method: fixed", "method: [fixed]"), ("bad.yaml", "`target.method`")),
    ("percent-target-vol", "universe: [AAA, BBB, CCC]\nbenchmark: IDX\ntarget: {method: risk4}\nnotebooks: [risk4_picks]\n"
     "risk4: {target_vol: 20, top_n: 3, max_position: 0.5, anchor: 2024-01-02}\n",
     ("bad.yaml", "`risk4.target_vol`", "found 20", "write 0.2 for 20 %")),
    ("percent-drift-alert", TINY_PROFILE + "proposal: {drift_alert: 15}\n",
     ("bad.yaml", "`proposal.drift_alert`", "write 0.15 for 15 %")),
    ("percent-bootstrap-turnover", TINY_PROFILE + "proposal: {recommendation: {max_bootstrap_turnover: 25}}\n",
     ("bad.yaml", "`proposal.recommendation.max_bootstrap_turnover`", "write 0.25 for 25 %")),
    ("percent-stress-override", TINY_PROFILE + "planner: {stress_override: 15}\n",
     ("bad.yaml", "`planner.stress_override`", "write 0.15 for 15 %")),
    ("percent-high-vol-sigma", TINY_PROFILE + "planner: {high_vol_sigma: 30}\n",
     ("bad.yaml", "`planner.high_vol_sigma`", "write 0.3 for 30 %")),
    ("negative-commission", TINY_PROFILE + "planner: {commission_bps: -5}\n",
     ("bad.yaml", "`planner.commission_bps`", "(bps)", "found -5")),
    ("negative-impact", TINY_PROFILE + "planner: {impact_coefficient: -0.6}\n",
     ("bad.yaml", "`planner.impact_coefficient`", "found -0.6")),
    ("negative-beta-limit", TINY_PROFILE + "sensitivity: {beta_limit: -0.5}\n",
     ("bad.yaml", "`sensitivity.beta_limit`", "found -0.5")),
    ("percent-risk-free", TINY_PROFILE.replace("method: fixed", "method: fixed\n  risk_free_rate: 2"),
     ("bad.yaml", "`target.risk_free_rate`", "write 0.02 for 2 %")),
    ("percent-var-level", TINY_PROFILE + "stress: {var_levels: [95, 99]}\n",
     ("bad.yaml", "`stress.var_levels[0]`", "write 0.95 for 95 %")),
    ("negative-min-weight-long-only", "universe: [AAA, BBB, CCC]\nbenchmark: IDX\n"
     "target: {method: min_variance, min_weight: -1}\nnotebooks: [drift_audit]\n",
     ("bad.yaml", "`target.min_weight`", "long-only")),
]


def _bad_value(rng, kind: type) -> float | int:
    """A value just outside the declared range ``rng`` (of type ``kind``)."""
    lo, hi, _lo_in, hi_in = rng.bounds()
    if hi != float("inf"):
        bad = hi + 1 if hi_in or kind is int else hi
    else:
        bad = lo - 1
    return kind(bad)


def range_cases() -> list[tuple[str, str, tuple[str, ...]]]:
    """One profile per numeric field of the profile schema, with a value outside the field's declared range."""
    import yaml

    from rebal.config import Profile
    from rebal.config.loader import field_ranges

    cases = []
    for fr in field_ranges(Profile):
        if fr.range is None:
            continue
        doc = yaml.safe_load(TINY_PROFILE)
        parts = fr.name.split(".")
        node = doc
        for key in parts[:-1]:
            key = key.removesuffix("[]")
            node = node.setdefault(key, {}) if key != "*" else node
        leaf = parts[-1]
        bad = _bad_value(fr.range, fr.type)
        expect = fr.name
        if leaf == "*":  # a mapping value: the parent key was created as a mapping above
            node["AAA"] = bad
            expect = fr.name.replace("*", "AAA")
        elif leaf.endswith("[]"):
            node[leaf[:-2]] = [bad]
            expect = fr.name.replace("[]", "[0]")
        else:
            node[leaf] = bad
        if fr.name.startswith("sample_holdings."):
            doc["sample_holdings"]["start"] = "2024-01-02"
        cases.append((fr.name, yaml.safe_dump(doc), ("bad.yaml", f"`{expect}`", "must be in")))
    return cases


#: Data files for ``rebal data import KIND FILE`` on the tiny lakehouse (tickers AAA BBB CCC IDX, 2024-01-02..05):
#: (id, kind, file name, content: CSV text, or a dict of columns written as Parquet), and what the refusal names.
DATA_FILES: list[tuple[str, str, str, str | dict, tuple[str, ...]]] = [
    ("parquet-int-dates", "prices", "p.parquet", {"date": [20240108], "ticker": ["AAA"], "close": [45.0]},
     ("p.parquet", "`date` is a int64 column, not dates", "write 2024-01-08")),
    ("parquet-float-dates", "prices", "p.parquet", {"date": [20240108.0], "ticker": ["AAA"], "close": [45.0]},
     ("p.parquet", "`date` is a float64 column", "write 2024-01-08")),
    ("parquet-null-date", "prices", "p.parquet", {"date": ["2024-01-08", None], "ticker": ["AAA", "AAA"],
                                                  "close": [45.0, 46.0]},
     ("p.parquet", "row 3", "`date` is not a date (YYYY-MM-DD)")),
    ("csv-compact-date", "prices", "p.csv", "date,ticker,close\n20240108,AAA,45\n",
     ("p.csv", "`date` is not a date (YYYY-MM-DD): '20240108'")),
    ("csv-datetime-text", "prices", "p.csv", "date,ticker,close\n2024-01-08T00:00:00,AAA,45\n",
     ("p.csv", "`date` is not a date")),
    ("future-price", "prices", "p.csv", "date,ticker,close\n2024-01-08,AAA,45\n2099-01-02,AAA,46\n",
     ("p.csv", "row 3", "`date` 2099-01-02 is after today")),
    ("future-holdings", "holdings", "h.csv", "profile,as_of,ticker,shares\ntiny,2099-01-02,AAA,10\n",
     ("h.csv", "`as_of` 2099-01-02 is after today")),
    ("future-alpha", "alpha", "a.csv", "date,ticker,alpha\n2099-01-02,AAA,0.5\n", ("a.csv", "after today")),
    ("case-variant-price", "prices", "p.csv", "date,ticker,close\n2024-01-08,aaa,45\n",
     ("p.csv", "`ticker` 'aaa' differs only in letter case from 'AAA'", "--allow-case-variants")),
    ("case-variant-in-file", "tickers", "t.csv", "ticker,name\nNEW,New\nnew,Also new\n",
     ("t.csv", "row 3", "'new' differs only in letter case from 'NEW'")),
    ("case-variant-holdings", "holdings", "h.csv", "profile,as_of,ticker,shares\ntiny,2024-01-05,aaa,10\n",
     ("h.csv", "`ticker` 'aaa' is unknown", "did you mean 'AAA'?")),
    ("control-char-name", "tickers", "t.csv", 'ticker,name\nNEW,"line one\nline two"\n',
     ("t.csv", "`name` holds U+000A (newline)", "control or invisible character")),
    ("overlong-sector", "tickers", "t.csv", "ticker,sector\nNEW," + "S" * 500 + "\n",
     ("t.csv", "`sector` longer than 200 characters", "...")),
    ("huge-bad-value", "prices", "p.csv", "date,ticker,close\n2024-01-08,AAA," + "9" * 5000 + "x\n",
     ("p.csv", "`close` must be a finite number", "...")),
    ("bad-ticker-symbol", "prices", "p.csv", "date,ticker,close\n2024-01-08,<img src=x>,45\n",
     ("p.csv", "`ticker` is not a valid symbol")),
]

#: Ticker names and sectors that would be live HTML if a report did not escape them (item 1 of issue 16).
HOSTILE_NAMES = [
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(2)>",
    "<a rel=attachment href=file:///etc/hostname>x</a>",
    "<script>alert(3)</script>",
    '"><iframe src=javascript:alert(4)>',
    "<link rel=attachment href=file:///etc/passwd>",
    "<style>@import url(http://example.invalid/x.css)</style>",
]

#: Command lines (after ``rebal --home HOME``) that must each end in one line on stderr, exit 2, nothing written.
CLI_ARGS: list[tuple[str, list[str], tuple[str, ...]]] = [
    ("traversal-profile", ["run", "--profile", "../../etc/passwd"], ("invalid profile name",)),
    ("absolute-profile", ["drift-monitor", "--profile", "/etc/passwd"], ("invalid profile name",)),
    ("huge-profile-name", ["accept-state", "--profile", "p" * 10_000], ("invalid profile name",)),
    ("nul-profile", ["audit", "--profile", "ti\x01ny"], ("invalid profile name",)),
    ("impossible-as-of", ["accept-state", "--as-of", "2022-13-45"], ("--as-of", "not a date")),
    ("year-zero-as-of", ["drift-monitor", "--as-of", "0000-01-01"], ("--as-of", "not a date")),
    ("far-future-as-of", ["audit", "--as-of", "9999-12-31"], ("--as-of 9999-12-31", "NYSE calendar")),
    ("negative-workers", ["run", "--workers", "-1"], ("--workers", "must be >= 1")),
    ("abbreviated-option", ["run", "--prof", "tiny"], ("unrecognized arguments: --prof",)),
    ("unknown-notebook", ["run", "--notebook", "<script>"], ("--notebook", "unknown notebook")),
    ("unknown-mode", ["propose", "--profile", "tiny", "--mode", "yolo"], ("--mode", "invalid choice")),
    ("hostile-proposal-id", ["approve", "'; DROP TABLE proposals; --"], ("not found",)),
    ("packet-no-week", ["packet", "--as-of", "2024-01-05"], ("run.json", "no weekly run")),
    ("empty-profile-factor-map", ["factor-map", "--profile="], ("--profile: empty profile name",)),
    ("bad-rule", ["backtest", "--profile", "tiny", "--rule", "threshold:" + "9" * 3000], ("rule",)),
    ("missing-import-file", ["data", "import", "prices", "/nonexistent/p.csv"], ("file not found",)),
    ("import-a-directory", ["data", "import", "prices", "/etc"], ("/etc",)),
    ("schedule-far", ["schedule", "--from", "2030-01-01"], ("NYSE calendar",)),
]
