"""What users type is parsed once (pipelines/config/params.py) for the command line and the API,
and a bad value is a ParameterError naming the parameter in both."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pipelines.config import ConfigError, ParameterError
from pipelines.config.params import (
    parse_date,
    parse_duration,
    parse_interval,
    parse_moment,
    parse_tickers,
)

NY = "America/New_York"


def test_a_date_is_a_whole_day_at_the_exchange() -> None:
    start = parse_moment("start", "2005-02-28", NY)
    end = parse_moment("end", "2005-02-28", NY, end_of_day=True)
    assert start == datetime(2005, 2, 28, tzinfo=ZoneInfo(NY))
    assert start.astimezone(UTC) == datetime(2005, 2, 28, 5, tzinfo=UTC)  # EST: UTC-5
    assert end - start == timedelta(days=1, microseconds=-1)


def test_timestamps_without_an_offset_are_read_at_the_exchange() -> None:
    assert parse_moment("at", "2024-07-01T10:00", NY).astimezone(UTC).hour == 14  # EDT
    assert parse_moment("at", "2024-07-01T10:00Z", NY).astimezone(UTC).hour == 10
    assert parse_moment("at", None, NY) is None


@pytest.mark.parametrize(
    ("call", "parameter", "message"),
    [
        (
            lambda: parse_moment("as_of", "yesterday", NY),
            "as_of",
            "'yesterday' is not an ISO date or timestamp",
        ),
        (lambda: parse_date("since", "2005-13-01"), "since", "'2005-13-01' is not an ISO date"),
        (lambda: parse_tickers("tickers", " , "), "tickers", "name at least one ticker"),
        (lambda: parse_interval("interval", "5m"), "interval", "'5m' is not 1d or 1m"),
        (lambda: parse_duration("closed_within", "6x"), "closed_within", "is not a duration"),
    ],
)
def test_a_bad_value_names_its_parameter(call, parameter: str, message: str) -> None:
    with pytest.raises(ParameterError) as error:
        call()
    assert error.value.parameter == parameter and message in error.value.message
    assert isinstance(error.value, ConfigError)  # the command line's exit 2
    assert str(error.value).startswith(f"--{parameter.replace('_', '-')}: ")  # the flag


def test_good_values() -> None:
    assert parse_date("d", "2024-02-29") == date(2024, 2, 29)
    assert parse_tickers("t", "aapl, msft,") == ["AAPL", "MSFT"]
    assert parse_duration("g", "90m") == timedelta(minutes=90)
    assert parse_interval("i", None) is None
