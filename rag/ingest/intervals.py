"""Intervals as people write them, "15m", "90s", "1h30m": read (`parse_interval`, for `--every`) and written back
(`describe_interval`, for the messages of `rag watch`, `rag serve --watch` and a server's Retry-After), in one
place so that what is printed reads back as the same interval.

>>> parse_interval(describe_interval(5400)) == 5400
True
"""

from __future__ import annotations

import re

from rag.errors import InvalidRequestError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> float:
    """Seconds in an interval such as "15m", "90s", "1h30m" or "2h"; a bare number is seconds.

    >>> parse_interval("15m"), parse_interval("1h30m"), parse_interval("45"), parse_interval("0.5s")
    (900.0, 5400.0, 45.0, 0.5)
    """
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        parts = re.findall(r"(\d+(?:\.\d+)?)\s*([smhd])", value)
        if not parts or re.sub(r"(\d+(?:\.\d+)?)\s*([smhd])|\s", "", value):
            raise InvalidRequestError(
                f"cannot read the interval {text!r}: give it like 15m, 90s, 1h or 1h30m"
            ) from None
        seconds = sum(float(number) * _UNITS[unit] for number, unit in parts)
    if seconds <= 0:
        raise InvalidRequestError(f"the interval must be more than 0, got {text!r}")
    return seconds


def describe_interval(seconds: float) -> str:
    """An interval the way it is given on the command line (`rag watch --every`).

    >>> describe_interval(900), describe_interval(5400), describe_interval(1.5)
    ('15m', '1h30m', '1.5s')
    """
    if seconds < 60 or seconds != int(seconds):
        return f"{seconds:g}s"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return "".join(f"{value}{unit}" for value, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if value)
