"""Unified Social Credit Code (统一社会信用代码) validation, GB 32100-2015.

Pure functions: no Flask, no database.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # I O S V Z are excluded; index = value
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


class USCCProblem(str, enum.Enum):
    length = "length"
    alphabet = "alphabet"
    checksum = "checksum"


@dataclass(frozen=True)
class USCCCheck:
    code: str
    problem: USCCProblem | None
    #: What the message needs: the length; the characters not allowed; the check characters found and expected.
    detail: tuple = ()

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def message(self) -> str:
        """The problem in the reader's language (English outside a request)."""
        from flask_babel import gettext as _

        if self.problem is USCCProblem.length:
            return _("must be 18 characters, not %(length)d", length=self.detail[0])
        if self.problem is USCCProblem.alphabet:
            return _("contains characters not allowed in a USCC: %(chars)s (I, O, S, V, Z are never used)",
                     chars=" ".join(self.detail))
        if self.problem is USCCProblem.checksum:
            return _("check character is %(found)s, expected %(expected)s",
                     found=self.detail[0], expected=self.detail[1])
        return ""


def normalise(code: str) -> str:
    """Upper-case and strip spaces: codes are often typed in lower case or grouped."""
    return "".join(code.split()).upper()


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (which must be from the alphabet)."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    value = 31 - total % 31
    return ALPHABET[0 if value == 31 else value]


def check(code: str) -> USCCCheck:
    """Validate a (normalised) code; the result names the first problem found."""
    if len(code) != 18:
        return USCCCheck(code, USCCProblem.length, (len(code),))
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        return USCCCheck(code, USCCProblem.alphabet, tuple(bad))
    expected = check_character(code[:17])
    if code[17] != expected:
        return USCCCheck(code, USCCProblem.checksum, (code[17], expected))
    return USCCCheck(code, None)


def make(first17: str) -> str:
    """A full valid code from its first 17 characters (used by demo data and tests)."""
    return first17 + check_character(first17)
