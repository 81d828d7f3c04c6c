"""National identifiers and payment numbers, country by country: what each looks like and how it is
checked. The countries we serve first (AF, IR, AE, SA, TR, PK, DE, FR, GB), then the neighbours our
guests come from. `pii_ids` and `pii_detect` read these tables; nothing here scans text.

- AF: tazkira, paper or e-tazkira 4-4-5 (no checksum: context); passport letter + 7-8 digits; no IBAN.
- IR: national code, 10 digits (mod 11), also written 3-6-1; passport letter + 8 digits; Sheba numbers
  (the IR IBAN, mod 97, not in python-stdnum's registry) and Shetab cards (member-bank prefix + Luhn).
- AE: Emirates ID 784-YYYY-NNNNNNN-C (Luhn); IBAN.
- SA: national ID and Iqama, 10 digits from 1 or 2 (Luhn); IBAN.
- TR: T.C. kimlik no, 11 digits (two check digits); passport U + 8 digits; IBAN; Troy cards.
- PK: CNIC 5-7-1 (province and gender digits; with dashes it stands alone); passport 2 letters + 7
  digits; IBAN.
- DE: Steuer-IdNr, 11 digits (ISO 7064 mod 11,10); ID card and passport numbers, nine characters of a
  29-character alphabet; IBAN.
- FR: NIR, 15 digits (key mod 97); CNI, 12 digits or 9 characters (no checksum: context); passport
  2 digits, 2 letters, 5 digits; IBAN.
- GB: National Insurance number (prefix rules, stands alone); NHS number, 10 digits (mod 11);
  passport 9 digits; IBAN.

Passports are found after a passport context word only (`pii_ids.contextual_ids`).
A number of the `DIGIT_SCHEMES` is an ID in its own country or after an ID context word; a
`SHAPED_SCHEMES` value is distinctive enough (a fixed shape and a checksum) to be one anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from stdnum import luhn
from stdnum.be import nn
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.pk import cnic
from stdnum.tr import tckimlik

_EG_GOVERNORATES = frozenset(
    "01 02 03 04 11 12 13 14 15 16 17 18 19 21 22 23 24 25 26 27 28 29 31 32 33 34 35 88".split()
)


def saudi_id(digits: str) -> bool:
    return len(digits) == 10 and digits[0] in "12" and luhn.is_valid(digits)


def egyptian_id(digits: str) -> bool:
    if len(digits) != 14 or digits[0] not in "23":
        return False
    month, day = int(digits[3:5]), int(digits[5:7])
    return 1 <= month <= 12 and 1 <= day <= 31 and digits[7:9] in _EG_GOVERNORATES


def iranian_code(digits: str) -> bool:
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    remainder = sum(int(digit) * (10 - index) for index, digit in enumerate(digits[:9])) % 11
    check = int(digits[9])
    return check == remainder if remainder < 2 else check == 11 - remainder


def emirates_id(digits: str) -> bool:
    return len(digits) == 15 and digits.startswith("784") and luhn.is_valid(digits)


def nhs_number(digits: str) -> bool:
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    check = 11 - sum(int(digit) * (10 - index) for index, digit in enumerate(digits[:9])) % 11
    return check != 10 and int(digits[9]) == (0 if check == 11 else check)


_NINO_INVALID_PREFIXES = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})


def national_insurance(key: str) -> bool:
    """UK National Insurance number: two letters (D, F, I, Q, U, V never; O never second; a few
    pairs never issued), six digits, a suffix A-D."""
    return (
        len(key) == 9
        and key[0] not in "DFIQUV"
        and key[1] not in "DFIQUVO"
        and key[:2] not in _NINO_INVALID_PREFIXES
        and key[2:8].isdigit()
        and key[8] in "ABCD"
    )


@dataclass(frozen=True)
class Scheme:
    country: str
    length: int
    check: Callable[[str], bool]


# Plain-digit IDs with a checksum: an ID in the tenant's country or after an ID context word.
DIGIT_SCHEMES = (
    Scheme("TR", 11, tckimlik.is_valid),
    Scheme("FR", 15, nir.is_valid),
    Scheme("SA", 10, saudi_id),
    Scheme("EG", 14, egyptian_id),
    Scheme("DE", 11, idnr.is_valid),
    Scheme("NL", 9, bsn.is_valid),
    Scheme("IR", 10, iranian_code),
    Scheme("AE", 15, emirates_id),
    Scheme("BE", 11, nn.is_valid),
    Scheme("PK", 13, cnic.is_valid),
    Scheme("GB", 10, nhs_number),
)

# Shapes distinctive enough, with their checksum, to stand without context: (pattern, check of the
# value without separators).
# Each pattern starts with its first character and asserts what precedes it afterwards (the same
# as a leading `(?<![\w\-])`): a pattern that starts with a literal or a class lets the regex engine
# skip to the places it can start, instead of trying the assertion at every character.
SHAPED_SCHEMES: tuple[tuple[re.Pattern[str], Callable[[str], bool]], ...] = (
    (re.compile(r"784(?<![\w\-]784)[ \-]?\d{4}[ \-]?\d{7}[ \-]?\d(?![\w\-])"), emirates_id),
    (re.compile(r"\d(?<![\w\-]\d)\d{7}[ \-]?[A-Z](?!\w)"), dni.is_valid),
    (re.compile(r"[XYZ](?<![\w\-][XYZ])[ \-]?\d{7}[ \-]?[A-Z](?!\w)"), nie.is_valid),
    (re.compile(r"[A-Z](?<![\w\-][A-Z])[A-Z]{5}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z](?!\w)"), codicefiscale.is_valid),
    (re.compile(r"\d(?<![\w\-]\d)\d{4}-\d{7}-\d(?![\w\-])"), cnic.is_valid),
    (re.compile(r"\d(?<![\w\-]\d)\d{2}-\d{6}-\d(?![\w\-])"), iranian_code),
    (re.compile(r"[A-Z](?<![\w\-][A-Z])[A-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w\-])"), national_insurance),
)

# German passports and ID cards (since 2010/2017): nine characters of this alphabet (no vowels, no
# B, D, Q, S), often only two or three of them digits, and a check digit that is printed only in the
# machine-readable zone. Found after a passport or ID context word, as other passports are.
GERMAN_DOCUMENT = re.compile(r"(?<![\w\-])[CFGHJK][CFGHJKLMNPRTVWXYZ0-9]{8}(?![\w\-])", re.IGNORECASE)

# --- payment -----------------------------------------------------------------------------------------
# (lowest prefix, highest prefix, card lengths) per brand: Visa, Mastercard, Amex, Discover, JCB,
# Diners, UnionPay, Maestro, Mir, Troy, RuPay.
CARD_BRANDS: tuple[tuple[str, str, frozenset[int]], ...] = (
    ("4", "4", frozenset({13, 16, 19})),
    ("51", "55", frozenset({16})),
    ("2221", "2720", frozenset({16})),
    ("34", "34", frozenset({15})),
    ("37", "37", frozenset({15})),
    ("6011", "6011", frozenset(range(16, 20))),
    ("644", "649", frozenset(range(16, 20))),
    ("65", "65", frozenset(range(16, 20))),
    ("3528", "3589", frozenset(range(16, 20))),
    ("300", "305", frozenset(range(14, 20))),
    ("36", "36", frozenset(range(14, 20))),
    ("38", "39", frozenset(range(14, 20))),
    ("62", "62", frozenset(range(16, 20))),
    ("5018", "5018", frozenset(range(12, 20))),
    ("5020", "5020", frozenset(range(12, 20))),
    ("5038", "5038", frozenset(range(12, 20))),
    ("5893", "5893", frozenset(range(12, 20))),
    ("6304", "6304", frozenset(range(12, 20))),
    ("6759", "6759", frozenset(range(12, 20))),
    ("6761", "6763", frozenset(range(12, 20))),
    ("2200", "2204", frozenset(range(16, 20))),
    ("9792", "9792", frozenset({16})),
    ("60", "60", frozenset({16})),
    ("508", "508", frozenset({16})),
)
# Shetab, Iran's domestic debit network: 16-digit Luhn cards under the member banks' six-digit
# prefixes (as the banks publish them; a bank missing here costs recall, never precision, since
# Luhn is still required).
SHETAB_PREFIXES = frozenset(
    (
        "603799",
        "589210",
        "627648",
        "627961",
        "603770",
        "628023",
        "627760",
        "502908",
        "627412",
        "622106",
        "502229",
        "627488",
        "621986",
        "639346",
        "639607",
        "636214",
        "502806",
        "502938",
        "603769",
        "610433",
        "627353",
        "585983",
        "589463",
        "627381",
        "639370",
        "639599",
        "504172",
        "606373",
        "505785",
        "636949",
        "505416",
        "606256",
        "628157",
        "507677",
        "639217",
        "991975",
        "585947",
        "636795",
        "639194",
        "627884",
        "639347",
        "502910",
        "505801",
        "504706",
        "606737",
    )
)


def is_card_number(digits: str) -> bool:
    if not 12 <= len(digits) <= 19 or not luhn.is_valid(digits):
        return False
    if len(digits) == 16 and digits[:6] in SHETAB_PREFIXES:
        return True
    return any(low <= digits[: len(low)] <= high and len(digits) in lengths for low, high, lengths in CARD_BRANDS)


# IBANs of countries python-stdnum's registry does not list: total length and BBAN character
# class. Iran's Sheba number is IR, two check digits, 22 digits (ISO 13616 mod 97 like any IBAN).
EXTRA_IBAN_LENGTHS = {"IR": 26}
EXTRA_IBAN_BBAN = {"IR": re.compile(r"\d{22}")}

# Where our guests' phones come from: a number named as a phone ("my number is ...") or written in
# a country's own national format is read as each of these countries' numbers in turn when the
# tenant's country does not fit.
GUEST_REGIONS = ("AF", "IR", "PK", "AE", "SA", "QA", "KW", "BH", "OM", "EG", "JO", "IQ", "TR", "FR", "DE", "GB")
