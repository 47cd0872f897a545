"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015): normalise and check.

Also the loose company-name key used to find likely duplicates (DOMAIN.md section 5).
"""

import re
import unicodedata
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]
SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def normalise(code: str) -> str:
    """Trim, upper-case, fold full-width characters and drop inner spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", code or "")).upper()


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    c = 31 - total % 31
    return ALPHABET[0 if c == 31 else c]


@dataclass(frozen=True)
class UsccCheck:
    code: str  # normalised
    shape_ok: bool
    expected: str | None  # the check character position 18 should hold, when the shape is right

    @property
    def valid(self) -> bool:
        return self.shape_ok and self.code[17] == self.expected

    @property
    def checksum_only(self) -> bool:
        """Right shape, wrong check character: maybe an early pilot-era code."""
        return self.shape_ok and not self.valid


def check(code: str) -> UsccCheck:
    code = normalise(code)
    if not SHAPE.match(code):
        return UsccCheck(code, False, None)
    return UsccCheck(code, True, check_character(code[:17]))


def complete(first17: str) -> str:
    """A valid code from its first 17 characters (for demo and test data)."""
    return first17 + check_character(first17)


_PLACE = re.compile(r"重庆市|重庆")
_FORM = re.compile(r"(股份有限公司|有限责任公司|有限公司)$")
_NOISE = re.compile(r"[\s\u3000()（）\[\]【】]+")


NAME_KEY_LENGTH = 200  # the stored key's column; lower-casing can lengthen text ("İ")


def name_key(name: str) -> str:
    """Names equal under this key are likely the same company."""
    key = _PLACE.sub("", _NOISE.sub("", name or ""))
    return _FORM.sub("", key).lower()[:NAME_KEY_LENGTH]
