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
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.tr import tckimlik

DIGIT_SCRIPTS = {"ar": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"), "fa": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")}
FIRST = ["ahmad", "fatima", "omar", "zahra", "karim", "leila", "hamid", "mariam", "sophie", "lukas", "elif",
         "yusuf", "noor", "farid", "sara", "jean", "anna", "mehmet", "aisha", "wahid", "shabnam", "pierre"]
LAST = ["karimi", "haidari", "al-mansouri", "rahimi", "dubois", "schneider", "yilmaz", "popal", "saleh",
        "noori", "martin", "wolf", "demir", "hashimi", "alami", "stanekzai"]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.fr", "gmx.de", "icloud.com", "mail.ru",
           "kabul-serena.af", "dubai-stay.ae", "riyadh-inn.com.sa", "web.de", "orange.fr", "yandex.com.tr",
           "hotel-bamyan.af", "corp.example.co.uk"]


class Values:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def digits(self, count: int, *, first_nonzero: bool = False) -> str:
        head = str(self.rng.randint(1, 9)) if first_nonzero else str(self.rng.randint(0, 9))
        return head + "".join(str(self.rng.randint(0, 9)) for _ in range(count - 1))

    # --- emails and phones ---------------------------------------------------------------------
    def email(self) -> str:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        local = self.rng.choice([f"{first}.{last}", f"{first}{self.rng.randint(1, 99)}", f"{first[0]}.{last}",
                                 f"{first}_{last}", f"{last}.{first}+booking", f"reservations.{last}"])
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

    def email_mixed_case(self) -> str:
        local, domain = self.email().split("@")
        return f"{local.title()}@{domain.split('.')[0].title()}.{'.'.join(domain.split('.')[1:]).upper()}"

    # --- payment -------------------------------------------------------------------------------
    def card_digits(self, brand: str) -> str:
        prefix, length = {
            "visa": ("4" + self.digits(5), 16), "mc": ("5" + str(self.rng.randint(1, 5)) + self.digits(4), 16),
            "mc2": (str(self.rng.randint(2221, 2720)) + self.digits(2), 16),
            "amex": (self.rng.choice(["34", "37"]) + self.digits(4), 15), "discover": ("6011" + self.digits(2), 16),
            "jcb": (str(self.rng.randint(3528, 3589)) + self.digits(2), 16), "unionpay": ("62" + self.digits(4), 16),
            "troy": ("9792" + self.digits(2), 16),
        }[brand]
        body = prefix + self.digits(length - len(prefix) - 1)
        return body + luhn.calc_check_digit(body)

    def card(self, brand: str, style: str) -> str:
        number = self.card_digits(brand)
        if brand == "amex":
            groups = [number[:4], number[4:10], number[10:]]
        else:
            groups = [number[i:i + 4] for i in range(0, len(number), 4)]
        return {"spaced": " ".join(groups), "dashed": "-".join(groups), "compact": number}[style]

    def luhn_failing(self) -> str:
        valid = self.card_digits(self.rng.choice(["visa", "mc", "discover"]))
        wrong = str((int(valid[-1]) + self.rng.randint(1, 9)) % 10)
        number = valid[:-1] + wrong
        return " ".join(number[i:i + 4] for i in range(0, 16, 4))

    def luhn_passing_non_card(self) -> str:
        body = "1" + self.digits(14)
        return body + luhn.calc_check_digit(body)

    def iban(self, country: str, *, grouped: bool = True, valid: bool = True, lower: bool = False) -> str:
        structure = _IBAN_STRUCTURES[country]
        bban = "".join(self._iban_part(int(count), kind) for count, kind in re.findall(r"(\d+)!([nac])", structure))
        check = stdnum_iban.calc_check_digits(country + "00" + bban)
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
            body = f"{rng.randint(1, 2)}{rng.randint(50, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}" \
                   f"{self.digits(3)}{self.digits(3)}"
            number = body + nir.calc_check_digits(body)
            return f"{number[0]} {number[1:3]} {number[3:5]} {number[5:7]} {number[7:10]} {number[10:13]} {number[13:]}"
        if scheme == "saudi":
            return self.luhn_completed(rng.choice("12"), 10)
        if scheme == "egypt":
            return f"{rng.choice('23')}{rng.randint(60, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" \
                   f"{rng.choice(['01', '02', '12', '21', '88'])}{self.digits(5)}"
        if scheme == "dni":
            body = self.digits(8)
            return body + dni.calc_check_digit(body)
        if scheme == "nie":
            body = rng.choice("XYZ") + self.digits(7)
            return body + nie.calc_check_digit(body)
        if scheme == "cf":
            body = "".join(rng.choice(string.ascii_uppercase) for _ in range(6)) + f"{rng.randint(50, 99)}" \
                   + rng.choice("ABCDEHLMPRST") + f"{rng.randint(1, 28):02d}" + rng.choice("ABDFGHLMZ") + self.digits(3)
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
        raise ValueError(scheme)

    def passport(self, style: str) -> str:
        rng = self.rng
        return {
            "letter8": rng.choice("PRO") + self.digits(8),
            "letter7": rng.choice("ABKNPU") + self.digits(7),
            "digits9": self.digits(9, first_nonzero=True),
            "fr": self.digits(2) + "".join(rng.choice(string.ascii_uppercase) for _ in range(2)) + self.digits(5),
            "de": rng.choice("CFGHJK") + "".join(rng.choice("CFGHJKLMNPRTVWXYZ0123456789") for _ in range(3))
                  + self.digits(5),
            "two_letters": "".join(rng.choice(string.ascii_uppercase) for _ in range(2)) + self.digits(7),
        }[style]


def _until(make, check) -> str:
    while True:
        value = make()
        if check(value):
            return value


_IBAN_STRUCTURES = {
    "AE": "3!n16!n", "SA": "2!n18!c", "QA": "4!a21!c", "KW": "4!a22!c", "BH": "4!a14!c", "JO": "4!a4!n18!c",
    "EG": "4!n4!n17!n", "PK": "4!a16!c", "TR": "5!n1!n16!c", "DE": "8!n10!n", "FR": "5!n5!n11!c2!n",
    "GB": "4!a6!n8!n", "NL": "4!a10!n", "CH": "5!n12!c",
}
