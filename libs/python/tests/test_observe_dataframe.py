from __future__ import annotations

import datetime as dt
import decimal

import pytest
from pyspark.sql import Row

import sparkwire
from sparkwire.observe import split_fields


class Recorder:
    def __init__(self):
        self.calls = []

    def observe(self, name, numeric=None, text=None, query_id=None, batch_id=None):
        self.calls.append((name, numeric, text, query_id, batch_id))
        return True


def test_split_fields_types():
    numeric, text = split_fields(
        {
            "rows": 10,
            "ratio": 0.25,
            "ok": True,
            "amount": decimal.Decimal("12.50"),
            "huge": 10**400,
            "missing": None,
            "day": dt.date(2024, 1, 2),
            "label": "x",
            "arr": [1, 2],
        }
    )
    assert numeric == {"rows": 10.0, "ratio": 0.25, "ok": 1.0, "amount": 12.5}
    assert text == {"huge": str(10**400), "day": "2024-01-02", "label": "x", "arr": "[1, 2]"}


def test_dict_row_and_observation():
    rec = Recorder()
    sparkwire.observe_dataframe(rec, "q", {"rows": 3, "max_ts": "2024"})
    sparkwire.observe_dataframe(rec, "q", Row(rows=4, nulls=None), query_id="id", batch_id=7)

    class Observation:  # shaped like pyspark.sql.Observation: .get is a property
        @property
        def get(self):
            return {"rows": 5}

    sparkwire.observe_dataframe(rec, "q", Observation())
    assert rec.calls == [
        ("q", {"rows": 3.0}, {"max_ts": "2024"}, None, None),
        ("q", {"rows": 4.0}, {}, "id", 7),
        ("q", {"rows": 5.0}, {}, None, None),
    ]


def test_rejects_other_types():
    with pytest.raises(TypeError, match="observation must be"):
        sparkwire.observe_dataframe(Recorder(), "q", 42)
