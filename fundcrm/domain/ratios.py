"""Exact ratios for IC quorum and thresholds: '2/3' or '66.67%' (which is not 2/3)."""

import re
from fractions import Fraction

_FRACTION = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def parse_ratio(text: str) -> Fraction:
    """Parse a ratio between 0 and 1; raises ValueError for anything else."""
    text = (text or "").strip()
    if match := _FRACTION.match(text):
        numerator, denominator = int(match[1]), int(match[2])
        if denominator == 0:
            raise ValueError(text)
        value = Fraction(numerator, denominator)
    elif match := _PERCENT.match(text):
        value = Fraction(match[1]) / 100
    else:
        raise ValueError(text)
    if not 0 < value <= 1:
        raise ValueError(text)
    return value


def is_ratio(text: str) -> bool:
    try:
        parse_ratio(text)
    except ValueError:
        return False
    return True
