"""Turn a df.observe() result into an observation event."""
from __future__ import annotations

import datetime as _dt
import decimal
import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import ObservationClient


def _as_mapping(observation: Any) -> Mapping[str, Any]:
    if isinstance(observation, Mapping):
        return observation
    as_dict = getattr(observation, "asDict", None)  # pyspark.sql.Row
    if callable(as_dict):
        return as_dict(recursive=True)
    # pyspark.sql.Observation: .get is a property that waits for the observed action
    # and returns a dict; looked up by class name so pyspark need not be importable.
    if type(observation).__name__ == "Observation" and hasattr(type(observation), "get"):
        return observation.get
    raise TypeError(
        "observe_dataframe: observation must be a dict, a pyspark Row or a pyspark "
        f"Observation, got {type(observation).__name__}"
    )


def split_fields(values: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, str]]:
    """Numbers (and booleans, as 0/1) go to numeric; everything else to text; None is skipped."""
    numeric: dict[str, float] = {}
    text: dict[str, str] = {}
    for key, value in values.items():
        key = str(key)
        if value is None:
            continue  # an aggregate over no rows: absent, not 0
        if isinstance(value, (bool, int, float, decimal.Decimal)):
            try:
                number = float(value)
            except OverflowError:  # an int beyond a double's range
                number = math.inf
            if math.isinf(number) and not isinstance(value, float):
                text[key] = str(value)  # keep a huge int/Decimal exact rather than as inf
            else:
                numeric[key] = number
        elif isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
            text[key] = value.isoformat()
        elif isinstance(value, str):
            text[key] = value
        elif isinstance(value, (Mapping, list, tuple)):
            text[key] = json.dumps(value, default=str, sort_keys=True)
        else:
            text[key] = str(value)
    return numeric, text


def observe_dataframe(
    client: ObservationClient,
    name: str,
    observation: Any,
    query_id: str | None = None,
    batch_id: int | None = None,
) -> bool:
    """Send a pyspark Observation's result (or its .get dict, or a Row) as one observation.

    >>> obs = Observation("quality")
    >>> df.observe(obs, F.count(F.lit(1)).alias("rows")).write.parquet(path)
    >>> sparkwire.observe_dataframe(client, "quality", obs)
    """
    numeric, text = split_fields(_as_mapping(observation))
    return client.observe(name, numeric=numeric, text=text, query_id=query_id, batch_id=batch_id)
