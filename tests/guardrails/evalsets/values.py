"""Realistic PII values and hard negatives for the PII evaluation set, from a seeded generator.

Valid values are made valid by construction (check digits computed here, phone numbers drawn
from each country's mobile ranges); hard negatives are made to fail exactly one rule (a Luhn
digit, an IBAN check digit) so the set tests the rule and not the shape.
"""

from __future__ import annotations

import random
import re
import string

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.iso7064 import mod_97_10
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.tr import tckimlik

DIGIT_SCRIPTS = {"ar": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"), "fa": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")}
_FULLWIDTH = str.maketrans({chr(code): chr(code + 0xFEE0) for code in range(0x21, 0x7F)})


def _between_groups(separator: str):
    """Groups joined by `separator` instead of a space; an ungrouped value gets it every 4 characters."""

    def apply(value: str) -> str:
        if " " in value:
            return value.replace(" ", separator)
        return separator.join(value[i : i + 4] for i in range(0, len(value), 4))

    return apply


# How a value is written (a trailing slot argument, several may follow each other): another digit
# script, full-width forms, or an invisible or unusual separator between its groups (issue 15.2).
TRANSFORMS = {
    "ar": lambda value: value.translate(DIGIT_SCRIPTS["ar"]),
    "fa": lambda value: value.translate(DIGIT_SCRIPTS["fa"]),
    "fw": lambda value: value.translate(_FULLWIDTH),
    "zw": _between_groups("\u200b"),
    "zwj": _between_groups("\u200d"),
    "zwnj": _between_groups("\u200c"),
    "wj": _between_groups("\u2060"),
    "shy": _between_groups("\u00ad"),
    "lrm": _between_groups("\u200e"),
    "nbsp": _between_groups("\u00a0"),
    "thin": _between_groups("\u2009"),
    "nnbsp": _between_groups("\u202f"),
    "dots": _between_groups("."),
}
FIRST = [
    "ahmad",
    "fatima",
    "omar",
    "zahra",
    "karim",
    "leila",
    "hamid",
    "mariam",
    "sophie",
    "lukas",
    "elif",
    "yusuf",
    "noor",
    "farid",
    "sara",
    "jean",
    "anna",
    "mehmet",
    "aisha",
    "wahid",
    "shabnam",
    "pierre",
]
LAST = [
    "karimi",
    "haidari",
    "al-mansouri",
    "rahimi",
    "dubois",
    "schneider",
    "yilmaz",
    "popal",
    "saleh",
    "noori",
    "martin",
    "wolf",
    "demir",
    "hashimi",
    "alami",
    "stanekzai",
]
DOMAINS = [
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.fr",
    "gmx.de",
    "icloud.com",
    "mail.ru",
    "kabul-serena.af",
    "dubai-stay.ae",
    "riyadh-inn.com.sa",
    "web.de",
    "orange.fr",
    "yandex.com.tr",
    "hotel-bamyan.af",
    "corp.example.co.uk",
]


class Values:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def digits(self, count: int, *, first_nonzero: bool = False) -> str:
        head = str(self.rng.randint(1, 9)) if first_nonzero else str(self.rng.randint(0, 9))
        return head + "".join(str(self.rng.randint(0, 9)) for _ in range(count - 1))

    # --- emails and phones ---------------------------------------------------------------------
    def email(self) -> str:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        local = self.rng.choice(
            [
                f"{first}.{last}",
                f"{first}{self.rng.randint(1, 99)}",
                f"{first[0]}.{last}",
                f"{first}_{last}",
                f"{last}.{first}+booking",
                f"reservations.{last}",
            ]
        )
        return f"{local}@{self.rng.choice(DOMAINS)}"

    def phone_number(self, region: str) -> phonenumbers.PhoneNumber:
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        national = str(example.national_number)
        while True:
            candidate = national[:-6] + self.digits(6)
            number = phonenumbers.parse("+" + str(example.country_code) + candidate, None)
            if phonenumbers.is_valid_number(number):
                return number

    def phone(self, region: str, style: str) -> str:
        if style == "local_slash":
            return self._slashed_landline(region)
        number = self.phone_number(region)
        fmt = phonenumbers.PhoneNumberFormat
        international = phonenumbers.format_number(number, fmt.INTERNATIONAL)
        national = phonenumbers.format_number(number, fmt.NATIONAL)
        return {
            "intl": international,
            "e164": phonenumbers.format_number(number, fmt.E164),
            "idd": "00" + international[1:],
            "local": national,
            "local_compact": re.sub(r"\D", "", national),
            "local_dash": re.sub(r"\s+", "-", national),
            "bare": phonenumbers.format_number(number, fmt.E164)[1:],
            "intl_trunk": international.replace(" ", " (0)", 1),
            "intl_dash": re.sub(r"\s+", "-", international),
            "local_dots": re.sub(r"\s+", ".", national),
        }[style]

    def _slashed_landline(self, region: str) -> str:
        """A landline as Germans write it: area code, a slash, the subscriber number (0221/8856627)."""
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
        while True:
            national = str(example.national_number)
            number = phonenumbers.parse("+" + str(example.country_code) + national[:-4] + self.digits(4), None)
            if phonenumbers.is_valid_number(number):
                national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
                area, _, rest = national.partition(" ")
                return area + "/" + re.sub(r"\D", "", rest)

    def email_idn(self) -> str:
        """Non-ASCII local parts and internationalised domains, as guests write them."""
        return self.rng.choice(
            [
                f"müller.{self.rng.choice(['anna', 'jonas'])}@gmx.de",
                f"{self.rng.choice(['jürgen', 'jörg'])}@müller-reisen.de",
                "françois.dupré@orange.fr",
                f"şükrü.{self.rng.choice(['öztürk', 'çelik'])}@şirket.com.tr",
                "josé.garcía@correo.es",
                f"info@{self.rng.choice(['hôtel-côte', 'gîte-école'])}.fr",
                f"{self.rng.choice(['ayşe', 'gülşen'])}{self.rng.randint(1, 99)}@yandex.com.tr",
                "noël.bréhaut@exämple.ch",
                "björn@straße.de",
            ]
        )

    def email_idn_holdout(self) -> str:
        """Internationalised addresses for the holdout: other names and domains than `email_idn`."""
        return self.rng.choice(
            [
                "günther.weiß@t-online.de",
                "zoë.lefèvre@wanadoo.fr",
                "ömer.şahin@türkiye-otel.com.tr",
                "hélène@château-vue.fr",
                f"mükremin{self.rng.randint(1, 9)}@gmail.com",
                "çiğdem.ağaoğlu@hotmail.com",
                "renée.brûlé@sfr.fr",
                "lukáš.dvořák@seznam.cz",
            ]
        )

    def email_written_holdout(self, style: str) -> str:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST).replace("-", "")
        return {
            "braces": f"{first}{{at}}{last}.com",
            "angle": f"{first} <at> {last} <dot> net",
            "co_uk": f"{first}.{last} at btinternet dot co dot uk",
            "at_upper_dot": f"{first}.{last} AT yahoo.fr",
            "dot_brackets": f"{first}[dot]{last}[at]gmail[dot]com",
        }[style]

    def email_written(self, style: str) -> str:
        """An address spelt out to dodge filters or because the guest dictated it."""
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST).replace("-", "")
        provider = self.rng.choice(["gmail", "yahoo", "hotmail", "outlook"])
        return {
            "words": f"{first} dot {last} at {provider} dot com",
            "upper": f"{first.upper()} AT {provider.upper()} DOT COM",
            "brackets": f"{first}.{last}[at]{provider}.com",
            "parens": f"{first} (at) {provider} (dot) com",
            "square_words": f"{first}{self.rng.randint(1, 99)} [at] {provider} [dot] com",
            "webmail": f"{first}.{last} at {provider}.com",
            "spaced_at": f"{first}.{last} @ {provider}.com",
            "arobase": f"{first}.{last} arobase orange point fr",
            "punkt": f"{first}.{last} (at) gmx punkt de",
        }[style]

    def email_mixed_case(self) -> str:
        local, domain = self.email().split("@")
        return f"{local.title()}@{domain.split('.')[0].title()}.{'.'.join(domain.split('.')[1:]).upper()}"

    # --- payment -------------------------------------------------------------------------------
    def card_digits(self, brand: str) -> str:
        prefix, length = {
            "visa": ("4" + self.digits(5), 16),
            "mc": ("5" + str(self.rng.randint(1, 5)) + self.digits(4), 16),
            "mc2": (str(self.rng.randint(2221, 2720)) + self.digits(2), 16),
            "amex": (self.rng.choice(["34", "37"]) + self.digits(4), 15),
            "discover": ("6011" + self.digits(2), 16),
            "jcb": (str(self.rng.randint(3528, 3589)) + self.digits(2), 16),
            "unionpay": ("62" + self.digits(4), 16),
            "troy": ("9792" + self.digits(2), 16),
        }[brand]
        body = prefix + self.digits(length - len(prefix) - 1)
        return body + luhn.calc_check_digit(body)

    def card(self, brand: str, style: str) -> str:
        number = self.shetab_digits() if brand == "shetab" else self.card_digits(brand)
        if brand == "amex":
            groups = [number[:4], number[4:10], number[10:]]
        else:
            groups = [number[i : i + 4] for i in range(0, len(number), 4)]
        return {"spaced": " ".join(groups), "dashed": "-".join(groups), "compact": number}[style]

    def shetab_digits(self) -> str:
        """An Iranian debit card (Shetab network): a member bank's six-digit prefix, 16 digits, Luhn."""
        prefix = self.rng.choice(
            [
                "603799",
                "589210",
                "627648",
                "610433",
                "502229",
                "621986",
                "627353",
                "603769",
                "639346",
                "627412",
                "622106",
                "636214",
                "502938",
                "589463",
            ]
        )
        return self.luhn_completed(prefix, 16)

    def imei(self) -> str:
        """A phone's IMEI: an 8-digit type allocation code, a serial, a Luhn check digit (not personal data
        the guardrails redact, and not a card or a phone number)."""
        return self.luhn_completed(self.rng.choice(["35", "86", "49", "01"]) + self.digits(6), 15)

    def luhn_failing(self) -> str:
        valid = self.card_digits(self.rng.choice(["visa", "mc", "discover"]))
        wrong = str((int(valid[-1]) + self.rng.randint(1, 9)) % 10)
        number = valid[:-1] + wrong
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))

    def luhn_passing_non_card(self) -> str:
        body = "1" + self.digits(14)
        return body + luhn.calc_check_digit(body)

    def iban(self, country: str, *, grouped: bool = True, valid: bool = True, lower: bool = False) -> str:
        """IR is the Iranian Sheba number: an IBAN that python-stdnum's registry does not list."""
        structure = _IBAN_STRUCTURES[country]
        bban = "".join(self._iban_part(int(count), kind) for count, kind in re.findall(r"(\d+)!([nac])", structure))
        check = f"{98 - int(mod_97_10.checksum(bban + country + '00')):02d}"
        if not valid:
            check = f"{(int(check) + self.rng.randint(1, 40)) % 97 + 2:02d}"
        number = country + check + bban
        number = stdnum_iban.format(number) if grouped else number
        return number.lower() if lower else number

    def _iban_part(self, count: int, kind: str) -> str:
        alphabet = {"n": string.digits, "a": string.ascii_uppercase, "c": string.digits + string.ascii_uppercase}[kind]
        return "".join(self.rng.choice(alphabet) for _ in range(count))

    # --- identity documents ---------------------------------------------------------------------
    def luhn_completed(self, prefix: str, length: int) -> str:
        body = prefix + self.digits(length - len(prefix) - 1)
        return body + luhn.calc_check_digit(body)

    def gov_id(self, scheme: str) -> str:
        rng = self.rng
        if scheme == "emirates":
            number = self.luhn_completed("784" + str(rng.randint(1960, 2005)), 15)
            return f"{number[:3]}-{number[3:7]}-{number[7:14]}-{number[14]}"
        if scheme == "be_nn":
            body = f"{rng.randint(50, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{self.digits(3)}"
            check = f"{97 - int(body) % 97:02d}"
            return f"{body[:2]}.{body[2:4]}.{body[4:6]}-{body[6:]}.{check}"
        if scheme == "ausweis":
            return self.passport("de")
        if scheme == "emirates_compact":
            return self.luhn_completed("784" + str(rng.randint(1960, 2005)), 15)
        if scheme == "tckn":
            body = self.digits(9, first_nonzero=True)
            return body + tckimlik.calc_check_digits(body)
        if scheme == "nir":
            body = (
                f"{rng.randint(1, 2)}{rng.randint(50, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}"
                f"{self.digits(3)}{self.digits(3)}"
            )
            number = body + nir.calc_check_digits(body)
            return f"{number[0]} {number[1:3]} {number[3:5]} {number[5:7]} {number[7:10]} {number[10:13]} {number[13:]}"
        if scheme == "saudi":
            return self.luhn_completed(rng.choice("12"), 10)
        if scheme == "egypt":
            return (
                f"{rng.choice('23')}{rng.randint(60, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
                f"{rng.choice(['01', '02', '12', '21', '88'])}{self.digits(5)}"
            )
        if scheme == "dni":
            body = self.digits(8)
            return body + dni.calc_check_digit(body)
        if scheme == "nie":
            body = rng.choice("XYZ") + self.digits(7)
            return body + nie.calc_check_digit(body)
        if scheme == "cf":
            body = (
                "".join(rng.choice(string.ascii_uppercase) for _ in range(6))
                + f"{rng.randint(50, 99)}"
                + rng.choice("ABCDEHLMPRST")
                + f"{rng.randint(1, 28):02d}"
                + rng.choice("ABDFGHLMZ")
                + self.digits(3)
            )
            return body + codicefiscale.calc_check_digit(body)
        if scheme == "cnic":
            return f"{rng.choice('1234567')}{self.digits(4)}-{self.digits(7)}-{rng.randint(1, 9)}"
        if scheme == "cin_ma":
            return rng.choice(["", "B", "J", "K"]) + rng.choice(string.ascii_uppercase) + self.digits(6)
        if scheme == "tazkira":
            return f"{rng.randint(1398, 1403)}-{self.digits(4)}-{self.digits(5)}"
        if scheme == "civil_kw":
            century = rng.choice("23")
            born = f"{rng.randint(60, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            return f"{century}{born}{self.digits(5)}"
        if scheme == "iran":
            body = self.digits(9)
            remainder = sum(int(digit) * (10 - index) for index, digit in enumerate(body)) % 11
            return body + str(remainder if remainder < 2 else 11 - remainder)
        if scheme == "idnr":
            return _until(lambda: self.digits(11, first_nonzero=True), idnr.is_valid)
        if scheme == "bsn":
            return _until(lambda: self.digits(9, first_nonzero=True), bsn.is_valid)
        if scheme == "ausweis_alpha":
            return self.passport("de_alpha")
        if scheme == "iran_dashed":
            code = self.gov_id("iran")
            return f"{code[:3]}-{code[3:9]}-{code[9]}"
        if scheme == "cnic_compact":
            return self.gov_id("cnic").replace("-", "")
        if scheme == "nino":
            first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
            second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
            return f"{first}{second} {self.digits(2)} {self.digits(2)} {self.digits(2)} {rng.choice('ABCD')}"
        if scheme == "nhs":
            return _until(lambda: self._nhs(), lambda value: value is not None)
        if scheme == "cni_fr":
            return self.digits(12, first_nonzero=True)
        raise ValueError(scheme)

    def _nhs(self) -> str | None:
        body = self.digits(9, first_nonzero=True)
        check = 11 - sum(int(digit) * (10 - index) for index, digit in enumerate(body)) % 11
        if check == 10:
            return None
        number = body + ("0" if check == 11 else str(check))
        return f"{number[:3]} {number[3:6]} {number[6:]}"

    def passport(self, style: str) -> str:
        rng = self.rng
        if style == "de_alpha":  # German passports and ID cards since 2017: a 29-character alphabet, few digits
            return (
                rng.choice("CFGHJK")
                + "".join(rng.choice("CFGHJKLMNPRTVWXYZ") for _ in range(4))
                + self.digits(2)
                + rng.choice("CFGHJKLMNPRTVWXYZ")
                + self.digits(1)
            )
        if style in ("tr", "ir"):
            return ("U" if style == "tr" else rng.choice("ABEKLMPUX")) + self.digits(8)
        return {
            "letter8": rng.choice("PRO") + self.digits(8),
            "letter7": rng.choice("ABKNPU") + self.digits(7),
            "digits9": self.digits(9, first_nonzero=True),
            "fr": self.digits(2) + "".join(rng.choice(string.ascii_uppercase) for _ in range(2)) + self.digits(5),
            "de": rng.choice("CFGHJK")
            + "".join(rng.choice("CFGHJKLMNPRTVWXYZ0123456789") for _ in range(3))
            + self.digits(5),
            "two_letters": "".join(rng.choice(string.ascii_uppercase) for _ in range(2)) + self.digits(7),
        }[style]


def _until(make, check) -> str:
    while True:
        value = make()
        if check(value):
            return value


_IBAN_STRUCTURES = {
    "AE": "3!n16!n",
    "SA": "2!n18!c",
    "QA": "4!a21!c",
    "KW": "4!a22!c",
    "BH": "4!a14!c",
    "JO": "4!a4!n18!c",
    "EG": "4!n4!n17!n",
    "PK": "4!a16!c",
    "TR": "5!n1!n16!c",
    "DE": "8!n10!n",
    "FR": "5!n5!n11!c2!n",
    "GB": "4!a6!n8!n",
    "NL": "4!a10!n",
    "CH": "5!n12!c",
    "IR": "22!n",
}
