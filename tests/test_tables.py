"""The reader's tables are built column by column from rows that need not share keys."""

from __future__ import annotations

import math

import pandas as pd

from xlkit.read.tables import SCHEMA, frame


def slow_frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """The plain rule: a value per declared column per row, None where a row lacks it."""
    return frame(table, [{c.name: r.get(c.name) for c in SCHEMA[table]} for r in rows])


def test_rows_lacking_or_adding_keys() -> None:
    rows = [{"path": "a.xlsx", "status": "read", "size": 3},  # no sha256, no errors ...
            {"path": "b.xlsx", "status": "rejected", "size": 4, "sha256": "x", "errors": 1},
            {"status": "skipped"},  # lacks the first row's path and size
            {"path": "d.xlsx", "other": "ignored"}]
    df = frame("files", rows)
    assert list(df.columns) == [c.name for c in SCHEMA["files"]]
    assert df["path"].tolist()[:2] == ["a.xlsx", "b.xlsx"] and df["path"].isna().tolist() == [
        False, False, True, False]
    assert df["sha256"].isna().tolist() == [True, False, True, True]
    assert df["errors"].tolist()[1] == 1
    pd.testing.assert_frame_equal(df, slow_frame("files", rows))


def test_float_columns_with_text_and_odd_values() -> None:
    """Plain numbers go straight to float64; text, booleans and the rest are coerced as before."""
    rows = [{"row": "total", "amount": v} for v in (1, 2.5, None, "3.5", "x", True, -0.0)]
    values = frame("funds", rows)["amount"].tolist()
    assert values[:2] == [1.0, 2.5] and math.isnan(values[2]) and values[3] == 3.5
    assert math.isnan(values[4]) and values[5] == 1.0 and math.copysign(1, values[6]) == -1
    plain = frame("funds", [{"amount": v} for v in (1, 2.5, None, -0.0, float("nan"))])
    assert plain["amount"].dtype == "float64"
    pd.testing.assert_series_equal(plain["amount"], pd.to_numeric(pd.Series(
        [1, 2.5, None, -0.0, float("nan")], dtype=object), errors="coerce").astype("float64"),
        check_names=False)


def test_no_rows() -> None:
    df = frame("indicators", [])
    assert df.empty and list(df.columns) == [c.name for c in SCHEMA["indicators"]]
