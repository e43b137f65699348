"""`rebal data check`: read every table whole, then look for data the importer refuses today."""
from __future__ import annotations

import json
import sys

__all__ = ["check_lakehouse"]


def _drop_off_calendar(paths) -> list[str]:
    """Delete the price and alpha rows dated off the NYSE calendar in one transaction; return what was removed."""
    import pandas as pd

    from rebal.calendar import non_sessions
    from rebal.cli.common import writable_lake

    removed = []
    with writable_lake(paths) as lh, lh.transaction() as con:
        for table in ("prices", "alpha_imported"):
            rows = con.execute(f"SELECT date, count(*) FROM {table} GROUP BY date").fetchall()
            bad = non_sessions([r[0] for r in rows])
            for d, n in rows:
                why = bad.get(pd.Timestamp(d))
                if why is not None:
                    con.execute(f"DELETE FROM {table} WHERE date = ?", [d])
                    removed.append(f"{table}: {n} row(s) of {d} ({why})")
    return sorted(removed)


def check_lakehouse(paths, *, as_json: bool, drop_off_calendar: bool) -> int:
    """Print every table's row count and every finding; raise a one-line error (exit 2) when any is bad."""
    from rebal.config import list_profiles
    from rebal.data.lakehouse import Lakehouse
    from rebal.data.plausible import findings
    from rebal.errors import DataError, LakehouseError

    removed = _drop_off_calendar(paths) if drop_off_calendar else []
    with Lakehouse(paths.lakehouse) as lh:
        rows = lh.check()
        bad = [r for r in rows if r["error"]]
        found = [] if bad else findings(lh.con, profiles=set(list_profiles(paths.params_dir)))
    if as_json:
        print(json.dumps({"path": str(paths.lakehouse), "ok": not bad and not found, "tables": rows,
                          "findings": found, "removed": removed}, indent=2))
    else:
        for line in removed:
            print(f"removed {line}")
        print(f"lakehouse {paths.lakehouse}: every table read whole")
        for r in rows:
            print(f"  {r['table']:<17} " + (f"UNREADABLE: {r['error']}" if r["error"] else f"{r['rows']:>9,} rows ok"))
        if not bad:
            print("data the importer refuses today: " + ("none" if not found else ""))
            for f in found:
                print(f"  {f['check']}: {f['detail']}")
    sys.stdout.flush()
    if bad:
        names = ", ".join(r["table"] for r in bad)
        raise LakehouseError(f"{paths.lakehouse}: {len(bad)} table(s) unreadable ({names}): the file is damaged; "
                             "restore it from a backup or rebuild it (`rebal data build-sample --force`, then import "
                             "your data again)")
    if found:
        fix = ("; `rebal data check --drop-off-calendar` deletes the off-calendar rows"
               if any("off-calendar" in f["check"] for f in found) else "")
        raise DataError(f"{paths.lakehouse}: {len(found)} problem(s) in the data: {found[0]['check']}: "
                        f"{found[0]['detail']}" + (f" (and {len(found) - 1} more, listed above)" if len(found) > 1
                                                   else "") + f"; correct them and import again{fix}")
    return 0
