"""The second round's hostile corpus (issue 25): data that looks valid but is not, files that leave the package,
and faults on the way out. One list per class of the issue; the tests beside it run every case.

The tiny lakehouse (conftest): tickers AAA BBB CCC (equities) and IDX (the index, benchmark), closes on the four
NYSE sessions 2024-01-02..05 (AAA 40 -> 44, BBB 20 -> 18, CCC 40 -> 46, IDX 100 -> 103), profile ``tiny``.
Each data case is (id, kind, file name, content: CSV text or a dict of columns written as Parquet, needles): the
one-line refusal must contain every needle (the file, the row, the field and the reason).
"""
from __future__ import annotations

import pandas as pd

P = "date,ticker,close\n"
H = "profile,as_of,ticker,shares\n"
A = "date,ticker,alpha\n"

#: 1. Prices (and alpha) dated off the NYSE calendar: the date and the calendar's reason.
CALENDAR: list[tuple[str, str, str, str | dict, tuple[str, ...]]] = [
    ("thanksgiving", "prices", "p.csv", P + "2023-11-23,AAA,40\n",
     ("p.csv", "row 2", "`date` 2023-11-23 is not an NYSE session (Thanksgiving)")),
    ("saturday", "prices", "p.csv", P + "2024-01-08,AAA,44\n2024-01-06,AAA,44\n",
     ("p.csv", "row 3", "2024-01-06 is not an NYSE session (a Saturday)")),
    ("sunday", "prices", "p.csv", P + "2024-01-07,BBB,18\n", ("row 2", "(a Sunday)")),
    ("mlk-day", "prices", "p.csv", P + "2024-01-15,CCC,46\n", ("2024-01-15", "Dr. Martin Luther King Jr. Day")),
    ("christmas", "prices", "p.csv", P + "2023-12-25,AAA,40\n", ("2023-12-25", "(Christmas)")),
    ("good-friday", "prices", "p.csv", P + "2024-03-29,AAA,44\n", ("2024-03-29", "(Good Friday)")),
    ("day-of-mourning", "prices", "p.csv", P + "2018-12-05,AAA,40\n", ("2018-12-05", "national day of mourning")),
    ("hurricane-sandy", "prices", "p.csv", P + "2012-10-29,AAA,40\n", ("2012-10-29", "Hurricane Sandy")),
    ("september-11", "prices", "p.csv", P + "2001-09-12,AAA,40\n", ("2001-09-12", "September 11")),
    ("before-1990-holiday", "prices", "p.csv", P + "1985-09-27,AAA,40\n", ("1985-09-27", "Hurricane Gloria")),
    ("before-1990-saturday", "prices", "p.csv", P + "1960-01-02,AAA,40\n", ("1960-01-02", "(a Saturday)")),
    ("parquet-saturday", "prices", "p.parquet",
     {"date": pd.to_datetime(["2024-01-08", "2024-01-13"]), "ticker": ["AAA", "AAA"], "close": [44.0, 44.5]},
     ("p.parquet", "row 3", "2024-01-13 is not an NYSE session (a Saturday)")),
    ("alpha-on-a-holiday", "alpha", "a.csv", A + "2024-01-05,AAA,0.5\n2024-01-01,BBB,0.1\n",
     ("a.csv", "row 3", "`date` 2024-01-01 is not an NYSE session (New Year's Day)")),
]

#: 2. Magnitudes no market produces, and implausible one-day moves.
MAGNITUDES: list[tuple[str, str, str, str | dict, tuple[str, ...]]] = [
    ("close-1e308", "prices", "p.csv", P + "2024-01-08,AAA,1e308\n",
     ("p.csv", "row 2", "`close` 1e+308 is not a plausible value", "between 1e-06 and 1e+09")),
    ("close-1e-300", "prices", "p.csv", P + "2024-01-08,AAA,1e-300\n", ("`close` 1e-300 is not a plausible value",)),
    ("close-inf", "prices", "p.csv", P + "2024-01-08,AAA,inf\n", ("`close` must be a finite number",)),
    ("close-minus-inf", "prices", "p.csv", P + "2024-01-08,AAA,-inf\n", ("`close` must be a finite number",)),
    ("open-1e20", "prices", "p.csv", "date,ticker,close,open,high,low\n2024-01-08,AAA,44,1e20,1e20,40\n",
     ("`open` 1e+20 is not a plausible value",)),
    ("volume-1e20", "prices", "p.csv", "date,ticker,close,volume\n2024-01-08,AAA,44,1e20\n",
     ("`volume` 1e+20 is not a plausible value", "between 0 and 1e+13")),
    ("parquet-1e308", "prices", "p.parquet", {"date": ["2024-01-08"], "ticker": ["AAA"], "close": [1e308]},
     ("p.parquet", "`close` 1e+308")),
    ("jump-1e12", "prices", "p.csv", P + "2024-01-08,AAA,44e12\n",
     ("p.csv", "row 2", "`close` 4.4e+13 is not a plausible value")),
    ("jump-x100", "prices", "p.csv", P + "2024-01-08,AAA,4400\n",
     ("row 2", "the close of 'AAA' moves x100 from 44 on 2024-01-05 to 4400 on 2024-01-08",
      "--confirm-move AAA:2024-01-08")),
    ("fall-to-a-tenth", "prices", "p.csv", P + "2024-01-08,BBB,1.8\n", ("'BBB' moves x1/10", "--max-move FACTOR")),
    ("jump-inside-the-file", "prices", "p.csv", P + "2024-01-08,CCC,46\n2024-01-09,CCC,460\n2024-01-10,CCC,46\n",
     ("row 3", "'CCC' moves x10 from 46 on 2024-01-08 to 460 on 2024-01-09")),
    ("replaced-row-makes-a-jump", "prices", "p.csv", P + "2024-01-04,AAA,420\n",
     ("row 2", "'AAA' moves x10 from 42 on 2024-01-03 to 420 on 2024-01-04")),
    ("alpha-1e300", "alpha", "a.csv", A + "2024-01-05,AAA,1e300\n",
     ("a.csv", "`alpha` 1e+300 is not a plausible value", "at most 1e+06 in absolute value")),
]

#: 3. Holdings no consumer can value (refused at import), naming the row.
HOLDINGS: list[tuple[str, str, str, str | dict, tuple[str, ...]]] = [
    ("zero-cash-only", "holdings", "h.csv", H + "tiny,2024-01-05,CASH,0\n",
     ("h.csv", "row 2", "the snapshot (tiny, 2024-01-05) holds nothing")),
    ("all-zero-positions", "holdings", "h.csv", H + "tiny,2024-01-05,AAA,0\ntiny,2024-01-05,BBB,0\n",
     ("row 2", "holds nothing", "a book worth $0 has no weights")),
    ("one-empty-snapshot-of-two", "holdings", "h.csv",
     H + "tiny,2024-01-04,AAA,10\ntiny,2024-01-05,CASH,0\n", ("row 3", "(tiny, 2024-01-05) holds nothing")),
    ("shares-1e300", "holdings", "h.csv", H + "tiny,2024-01-05,AAA,1e300\n",
     ("row 2", "`shares` 1e+300 is not a plausible value", "at most 1e+12 in absolute value")),
    ("short-1e300", "holdings", "h.csv", H + "tiny,2024-01-05,AAA,-1e300\n", ("`shares` -1e+300",)),
    ("cash-1e300", "holdings", "h.csv", H + "tiny,2024-01-05,CASH,1e300\n",
     ("cash (`shares` of CASH) 1e+300 is not a plausible value",)),
    ("unknown-profile", "holdings", "h.csv", H + "nobody,2024-01-05,AAA,10\n",
     ("row 2", "`profile` 'nobody' is not a profile of this project (tiny)")),
    ("trailing-newline-profile", "holdings", "h.csv", H + '"tiny\n",2024-01-05,AAA,10\n',
     ("row 2", "`profile`: invalid profile name 'tiny\\n'")),
    ("benchmark-held", "holdings", "h.csv", H + "tiny,2024-01-05,IDX,10\n",
     ("row 2", "`ticker` 'IDX' is an index (a benchmark), which cannot be bought")),
    ("fullwidth-date", "holdings", "h.csv", H + "tiny,２０２４-01-05,AAA,10\n",
     ("`as_of` is not a date (YYYY-MM-DD, ASCII digits 0-9)",)),
]

#: 4. Text from data that would be live in a spreadsheet, forge a terminal line or hide itself.
TEXT: list[tuple[str, str, str, str | dict, tuple[str, ...]]] = [
    ("rtl-override-sector", "tickers", "t.csv", "ticker,sector\nNEW,Tech\u202eabc\n",
     ("t.csv", "row 2", "`sector` holds U+202E (RIGHT-TO-LEFT OVERRIDE)")),
    ("zero-width-name", "tickers", "t.csv", "ticker,name\nNEW,Apple\u200bInc\n", ("`name` holds U+200B (ZERO WIDTH SPACE)",)),
    ("zero-width-joiner-name", "tickers", "t.csv", "ticker,name\nNEW,A\u200dB\n", ("U+200D (ZERO WIDTH JOINER)",)),
    ("bom-in-sector", "tickers", "t.csv", "ticker,sector\nNEW,\ufeffTech\n", ("U+FEFF",)),
    ("escape-in-name", "tickers", "t.csv", "ticker,name\nNEW,\x1b[2JClear\n", ("`name` holds U+001B (escape)",)),
    ("c1-control-in-name", "tickers", "t.csv", "ticker,name\nNEW,A\x85B\n", ("`name` holds U+0085",)),
    ("isolate-in-sector", "tickers", "t.csv", "ticker,sector\nNEW,\u2067Energy\u2069\n", ("U+2067",)),
    ("parquet-rtl-name", "tickers", "t.parquet", {"ticker": ["NEW"], "name": ["abc\u202edef"]},
     ("t.parquet", "`name` holds U+202E")),
]

#: The same text in a CSV or parquet is fine when it is only unusual: these are imported (and neutralised on output).
FORMULA_SECTORS = ["=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)", "\tTab start", "=HYPERLINK(\"x\")"]

#: Command lines (after ``rebal --home HOME``) whose free text would forge output: refused in one line, exit 2.
CLI_TEXT: list[tuple[str, list[str], tuple[str, ...]]] = [
    ("by-newline-urgent", ["accept-state", "--by", "me\n🚨 tiny: URGENT"], ("--by", "U+000A (newline)")),
    ("note-clear-screen", ["accept-state", "--note", "\x1b[2J\x1b[H"], ("--note", "U+001B (escape)")),
    ("note-carriage-return", ["accept-state", "--note", "ok\rURGENT"], ("--note", "U+000D (carriage return)")),
    ("by-rtl-override", ["accept-state", "--by", "evil\u202eputsch"], ("--by", "U+202E")),
    ("note-zero-width", ["accept-state", "--note", "a\u200bb"], ("--note", "U+200B")),
    ("note-too-long", ["accept-state", "--note", "x" * 600], ("--note", "longer than 500 characters")),
    ("approve-note-bell", ["approve", "some-id", "--note", "ding\x07"], ("--note", "U+0007")),
    ("approve-by-escape", ["approve", "some-id", "--by", "\x1b]0;title\x07"], ("--by", "U+001B")),
    ("propose-by-newline", ["propose", "--profile", "tiny", "--by", "a\nb"], ("--by", "U+000A")),
    ("stray-argument-escape", ["drift-monitor", "\x1b[31mred"], ("unrecognized arguments", "\\x1b[31mred")),
]

#: 6. Numbers and dates written with non-ASCII digits, and dates outside the data: refused with the reason.
DIGITS: list[tuple[str, list[str], tuple[str, ...]]] = [
    ("rule-fullwidth-fraction", ["backtest", "--profile", "tiny", "--rule", "threshold:０.05"],
     ("rule 'threshold:０.05'", "non-ASCII digit U+FF10 (FULLWIDTH DIGIT ZERO)")),
    ("rule-arabic-indic-band", ["backtest", "--profile", "tiny", "--rule", "bands:5/٢٥"], ("U+0662",)),
    ("rule-fullwidth-delay", ["backtest", "--profile", "tiny", "--rule", "delay:0.05,１０"],
     ("sessions '１０' is not a whole number", "U+FF11")),
    ("workers-fullwidth", ["run", "--workers", "２"], ("--workers", "non-ASCII digit U+FF12")),
    ("clusters-devanagari", ["factor-map", "--clusters", "३"], ("--clusters", "U+0969")),
    ("as-of-fullwidth", ["drift-monitor", "--as-of", "２０２４-01-05"], ("--as-of", "ASCII digits")),
    ("max-move-fullwidth", ["data", "import", "prices", "p.csv", "--max-move", "４"], ("--max-move", "U+FF14")),
    ("max-move-not-above-1", ["data", "import", "prices", "p.csv", "--max-move", "0.5"],
     ("--max-move", "must be a factor above 1")),
    ("confirm-move-malformed", ["data", "import", "prices", "p.csv", "--confirm-move", "AAA"],
     ("--confirm-move", "expected TICKER:YYYY-MM-DD")),
    ("seed-fullwidth", ["data", "build-sample", "--force", "--seed", "４２"], ("--seed", "U+FF14")),
]

#: 6. Profile values after today, outside the data or not plain text: (id, text replaced in the tiny profile ("" appends),
#: its replacement, needles).
PROFILE_DATES: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("sample-start-2030", "", "sample_holdings: {start: 2030-01-02}\n",
     ("`sample_holdings.start`", "2030-01-02 is after today")),
    ("lab-start-2099", "", "lab: {start: 2099-01-02}\n", ("`lab.start`", "after today")),
    ("fullwidth-sample-start", "", "sample_holdings: {start: '２０２０-01-02'}\n",
     ("`sample_holdings.start`", "ASCII digits")),
    ("rtl-description", "description: Tiny hand-worked profile for tests", 'description: "Tiny \\u202E reversed"',
     ("`description` holds U+202E",)),
    ("rule-fullwidth-in-profile", "", "lab: {rules: ['threshold:０.05']}\n", ("U+FF10",)),
]
