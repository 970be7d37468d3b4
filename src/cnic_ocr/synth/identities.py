"""Seeded synthetic Pakistani identities that obey the CNIC's rules.

Nobody real: names are drawn word by word from common given and family names, the identity
number's district code and family number are random within the card's format, and dates
are drawn so that birth < issue < expiry (see ``docs/cnic-facts.md``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cnic_ocr.synth.randomness import chance, pick, pick_weighted, stream, uniform

Gender = Literal["M", "F", "X"]
FatherLabel = Literal["Father Name", "Husband Name", "Father's Name"]
BINARY_GENDERS: tuple[Gender, ...] = ("M", "F")

#: Word (or compound) → its Urdu spelling. Approximate transliterations, enough for a render.
MALE_GIVEN: tuple[tuple[str, str], ...] = (
    ("Ahmed", "احمد"), ("Ali", "علی"), ("Hassan", "حسن"), ("Hussain", "حسین"),
    ("Usman", "عثمان"), ("Umar", "عمر"), ("Bilal", "بلال"), ("Imran", "عمران"),
    ("Kamran", "کامران"), ("Asad", "اسد"), ("Faisal", "فیصل"), ("Tariq", "طارق"),
    ("Zubair", "زبیر"), ("Waqas", "وقاص"), ("Naveed", "نوید"), ("Shahid", "شاہد"),
    ("Sajid", "ساجد"), ("Khalid", "خالد"), ("Rashid", "راشد"), ("Adnan", "عدنان"),
    ("Irfan", "عرفان"), ("Javed", "جاوید"), ("Saeed", "سعید"), ("Aslam", "اسلم"),
    ("Akram", "اکرم"), ("Anwar", "انور"), ("Nadeem", "ندیم"), ("Zahid", "زاہد"),
    ("Fahad", "فہد"), ("Hamza", "حمزہ"), ("Haris", "حارث"), ("Danish", "دانش"),
    ("Arslan", "ارسلان"), ("Shoaib", "شعیب"), ("Junaid", "جنید"), ("Iqbal", "اقبال"),
    ("Saleem", "سلیم"), ("Yasir", "یاسر"), ("Waseem", "وسیم"), ("Kashif", "کاشف"),
    ("Tahir", "طاہر"), ("Amir", "عامر"), ("Babar", "بابر"), ("Abbas", "عباس"),
    ("Mustafa", "مصطفی"), ("Noman", "نعمان"), ("Anjum", "انجم"), ("Kamal", "کمال"),
    ("Rafiq", "رفیق"), ("Shafiq", "شفیق"), ("Zafar", "ظفر"), ("Asif", "آصف"),
    ("Sohail", "سہیل"), ("Nasir", "ناصر"), ("Ghulam Abbas", "غلام عباس"),
    ("Ghulam Rasool", "غلام رسول"), ("Abdul Rehman", "عبدالرحمان"),
    ("Abdul Qadir", "عبدالقادر"), ("Abdul Ghaffar", "عبدالغفار"),
    ("Abdul Majeed", "عبدالمجید"), ("Abdul Hameed", "عبدالحمید"), ("Ejaz", "اعجاز"),
    ("Mushtaq", "مشتاق"), ("Ishfaq", "اشفاق"), ("Gulzar", "گلزار"), ("Sarfraz", "سرفراز"),
)  # fmt: skip

FEMALE_GIVEN: tuple[tuple[str, str], ...] = (
    ("Fatima", "فاطمہ"), ("Ayesha", "عائشہ"), ("Zainab", "زینب"), ("Maryam", "مریم"),
    ("Sana", "ثناء"), ("Hina", "حنا"), ("Sadia", "سعدیہ"), ("Nadia", "نادیہ"),
    ("Rabia", "رابعہ"), ("Amna", "آمنہ"), ("Asma", "اسماء"), ("Saima", "صائمہ"),
    ("Shazia", "شازیہ"), ("Bushra", "بشری"), ("Kiran", "کرن"), ("Iqra", "اقراء"),
    ("Mehwish", "مہوش"), ("Nida", "ندا"), ("Farah", "فرح"), ("Uzma", "عظمی"),
    ("Samina", "ثمینہ"), ("Nasreen", "نسرین"), ("Parveen", "پروین"), ("Rubina", "روبینہ"),
    ("Shabana", "شبانہ"), ("Khadija", "خدیجہ"), ("Janat", "جنت"), ("Sidra", "سدرہ"),
    ("Hira", "حرا"), ("Aqsa", "اقصی"), ("Mahnoor", "ماہ نور"), ("Saba", "صبا"),
    ("Tahira", "طاہرہ"), ("Rukhsana", "رخسانہ"), ("Naila", "نائلہ"), ("Anum", "انعم"),
    ("Samreen", "ثمرین"), ("Razia", "رضیہ"), ("Kulsoom", "کلثوم"), ("Noreen", "نورین"),
)  # fmt: skip

FEMALE_SECOND: tuple[tuple[str, str], ...] = (
    ("Bibi", "بی بی"),
    ("Bano", "بانو"),
    ("Begum", "بیگم"),
    ("Noor", "نور"),
    ("Akhtar", "اختر"),
)

COMMON_FAMILY: tuple[tuple[str, str], ...] = (
    ("Khan", "خان"), ("Ahmed", "احمد"), ("Ali", "علی"), ("Hussain", "حسین"),
    ("Qureshi", "قریشی"), ("Siddiqui", "صدیقی"), ("Shah", "شاہ"), ("Raza", "رضا"),
    ("Iqbal", "اقبال"), ("Akhtar", "اختر"), ("Mirza", "مرزا"), ("Baig", "بیگ"),
    ("Abbasi", "عباسی"), ("Hashmi", "ہاشمی"), ("Bukhari", "بخاری"), ("Gilani", "گیلانی"),
    ("Ansari", "انصاری"), ("Sheikh", "شیخ"), ("Kamal", "کمال"), ("Anjum", "انجم"),
    ("Javed", "جاوید"), ("Aslam", "اسلم"),
)  # fmt: skip

#: Family names more frequent in one province (keyed by the identity number's first digit).
REGIONAL_FAMILY: dict[int, tuple[tuple[str, str], ...]] = {
    1: (("Khan", "خان"), ("Afridi", "آفریدی"), ("Yousafzai", "یوسفزئی"), ("Khattak", "خٹک"),
        ("Durrani", "درانی"), ("Marwat", "مروت")),
    2: (("Afridi", "آفریدی"), ("Wazir", "وزیر"), ("Mohmand", "مہمند"), ("Khan", "خان")),
    3: (("Butt", "بٹ"), ("Chaudhry", "چوہدری"), ("Malik", "ملک"), ("Cheema", "چیمہ"),
        ("Gondal", "گوندل"), ("Warraich", "وڑائچ"), ("Bhatti", "بھٹی"), ("Rajput", "راجپوت"),
        ("Awan", "اعوان"), ("Gill", "گل"), ("Rana", "رانا")),
    4: (("Memon", "میمن"), ("Soomro", "سومرو"), ("Jatoi", "جتوئی"), ("Shaikh", "شیخ"),
        ("Lashari", "لاشاری"), ("Jamali", "جمالی"), ("Baloch", "بلوچ")),
    5: (("Baloch", "بلوچ"), ("Bugti", "بگٹی"), ("Mengal", "مینگل"), ("Jamali", "جمالی"),
        ("Kakar", "کاکڑ")),
    6: (("Abbasi", "عباسی"), ("Awan", "اعوان"), ("Malik", "ملک"), ("Raja", "راجہ")),
    7: (("Baig", "بیگ"), ("Shah", "شاہ"), ("Hunzai", "ہنزائی"), ("Khan", "خان")),
}  # fmt: skip

MUHAMMAD = ("Muhammad", "محمد")
SYED = ("Syed", "سید")
SYED_FAMILY: tuple[tuple[str, str], ...] = (
    ("Shah", "شاہ"),
    ("Bukhari", "بخاری"),
    ("Gilani", "گیلانی"),
    ("Hashmi", "ہاشمی"),
    ("Naqvi", "نقوی"),
)

#: Province digit → share of the population (approximate census shares).
PROVINCE_WEIGHTS: tuple[tuple[int, float], ...] = (
    (1, 0.15), (2, 0.03), (3, 0.50), (4, 0.22), (5, 0.05), (6, 0.03), (7, 0.02),
)  # fmt: skip

#: Real-looking first five digits per province (district/tehsil codes of large cities).
DISTRICT_CODES: dict[int, tuple[str, ...]] = {
    1: ("17301", "17201", "16101", "15602", "13503", "11101", "14301"),
    2: ("21104", "21203", "22401"),
    3: ("35202", "35201", "33100", "33102", "37405", "36302", "34101", "38403", "31202", "32203"),
    4: ("42101", "42201", "42301", "42401", "42501", "41303", "45504", "43203"),
    5: ("54400", "56302", "53202", "51403"),
    6: ("61101",),
    7: ("71503", "71101", "71402"),
}

FOREIGN_COUNTRIES: tuple[str, ...] = (
    "Saudi Arabia", "United Kingdom", "United States", "Canada", "Qatar", "Oman", "Kuwait",
    "Bahrain", "Germany", "Italy", "Spain", "Norway", "Malaysia", "Australia", "France", "Greece",
)  # fmt: skip

CITIES_URDU: dict[int, tuple[str, ...]] = {
    1: ("پشاور", "مردان", "سوات", "ایبٹ آباد", "بنوں"),
    2: ("خیبر", "باجوڑ", "وزیرستان"),
    3: ("لاہور", "فیصل آباد", "راولپنڈی", "ملتان", "گوجرانوالہ", "سرگودھا", "بہاولپور", "سیالکوٹ"),
    4: ("کراچی", "حیدرآباد", "سکھر", "لاڑکانہ"),
    5: ("کوئٹہ", "تربت", "خضدار"),
    6: ("اسلام آباد",),
    7: ("گلگت", "سکردو", "ہنزہ"),
}
LOCALITIES_URDU: tuple[str, ...] = (
    "محلہ اسلام پورہ", "محلہ غریب آباد", "گلشن اقبال", "ماڈل ٹاؤن", "سیٹلائٹ ٹاؤن",
    "محلہ قاضی آباد", "نیو کالونی", "گلبرگ", "محلہ رحمان پورہ", "شاہ فیصل کالونی",
)  # fmt: skip

#: The newest issue date drawn; fixed (not today's date) so that output never changes.
LATEST_ISSUE = dt.date(2025, 12, 31)
#: The smart card (SNIC) has been issued since 2012.
EARLIEST_ISSUE = dt.date(2012, 1, 2)
LIFETIME_SHARE = 0.03
SEVEN_YEAR_SHARE = 0.10
HUSBAND_NAME_SHARE = 0.25
X_GENDER_SHARE = 0.01
FOREIGN_SHARE = 0.05

Word = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Identity:
    """What the front (and back) of one synthetic card prints."""

    name: str
    name_urdu: str
    father_label: FatherLabel
    father_name: str
    father_name_urdu: str
    gender: Gender
    country: str
    id_number: str
    birth: dt.date
    issue: dt.date
    expiry: dt.date | None  # None: a lifetime card
    present_address_urdu: str
    permanent_address_urdu: str
    #: A minor's card prints "Under 18 until" this day (the 18th birthday).
    minor_until: dt.date | None = None
    #: Some older holders' cards print the birth date as a year only ("1958").
    birth_year_only: bool = False

    @property
    def printed_birth(self) -> str:
        return f"{self.birth:%Y}" if self.birth_year_only else printed_date(self.birth)

    @property
    def printed_expiry(self) -> str:
        return "Lifetime" if self.expiry is None else printed_date(self.expiry)

    def truth(self) -> dict[str, str]:
        """The recognizer's expected ``message``, in the contract's formats."""
        return {
            "idNumber": self.id_number,
            "name": self.name,
            "fatherName": self.father_name,
            "gender": self.gender,
            "country": self.country,
            "birthDay": self.birth.strftime("%Y" if self.birth_year_only else "%Y%m%d"),
            "issueDay": self.issue.strftime("%Y%m%d"),
            "expiryDay": "LIFETIME" if self.expiry is None else self.expiry.strftime("%Y%m%d"),
        }


def printed_date(day: dt.date) -> str:
    """How the card prints a date: ``DD.MM.YYYY``."""
    return day.strftime("%d.%m.%Y")


def random_identity(seed: int) -> Identity:
    """The identity of a seed; independent of the condition the card is later rendered in."""
    rng = stream(seed, "identity")
    province = pick_weighted(rng, PROVINCE_WEIGHTS)
    gender: Gender = "X" if chance(rng, X_GENDER_SHARE) else pick(rng, BINARY_GENDERS)
    female = gender == "F" or (gender == "X" and chance(rng, 0.5))
    family = _family_name(rng, province)
    words = _female_name(rng, family) if female else _male_name(rng, family)
    father_label: FatherLabel = (
        "Husband Name" if female and chance(rng, HUSBAND_NAME_SHARE) else "Father Name"
    )
    if father_label == "Husband Name":
        # A married woman usually carries her husband's family name.
        relative_family = words[-1] if chance(rng, 0.7) else _family_name(rng, province)
    else:
        relative_family = family if chance(rng, 0.75) else _family_name(rng, province)
    father_words = _male_name(rng, relative_family, with_family=True)
    birth, issue, expiry = _dates(rng)
    city = pick(rng, CITIES_URDU[province])
    present = _address(rng, city)
    permanent = present if chance(rng, 0.6) else _address(rng, pick(rng, CITIES_URDU[province]))
    return Identity(
        name=_english(words),
        name_urdu=_urdu(words),
        father_label=father_label,
        father_name=_english(father_words),
        father_name_urdu=_urdu(father_words),
        gender=gender,
        country="Pakistan" if not chance(rng, FOREIGN_SHARE) else pick(rng, FOREIGN_COUNTRIES),
        id_number=_id_number(rng, province, gender),
        birth=birth,
        issue=issue,
        expiry=expiry,
        present_address_urdu=present,
        permanent_address_urdu=permanent,
    )


def _english(words: list[Word]) -> str:
    return " ".join(english for english, _ in words)


def _urdu(words: list[Word]) -> str:
    return " ".join(urdu for _, urdu in words)


def _word_count(words: list[Word]) -> int:
    return sum(len(english.split()) for english, _ in words)


def _family_name(rng: np.random.Generator, province: int) -> Word:
    return pick(rng, REGIONAL_FAMILY[province]) if chance(rng, 0.6) else pick(rng, COMMON_FAMILY)


def _male_name(rng: np.random.Generator, family: Word, *, with_family: bool = False) -> list[Word]:
    """2-4 English words: optional Muhammad/Syed, one or two given names, usually a family name."""
    words: list[Word] = []
    prefix = rng.random()
    if prefix < 0.30:
        words.append(MUHAMMAD)
    elif prefix < 0.35:
        words.append(SYED)
        family = pick(rng, SYED_FAMILY)
    words.append(pick(rng, MALE_GIVEN))
    if chance(rng, 0.15):
        second = pick(rng, MALE_GIVEN)
        if second not in words:
            words.append(second)
    if (with_family or chance(rng, 0.8) or _word_count(words) < 2) and family not in words:
        words.append(family)
    if _word_count(words) < 2:
        words.insert(0, MUHAMMAD)
    while _word_count(words) > 4:
        del words[1]
    return words


def _female_name(rng: np.random.Generator, family: Word) -> list[Word]:
    words: list[Word] = [pick(rng, FEMALE_GIVEN)]
    if chance(rng, 0.15):
        words.append(pick(rng, FEMALE_SECOND))
    if chance(rng, 0.8) or _word_count(words) < 2:
        words.append(family)
    while _word_count(words) > 4:
        del words[1]
    return words


def _id_number(rng: np.random.Generator, province: int, gender: Gender) -> str:
    if chance(rng, 0.6):
        area = pick(rng, DISTRICT_CODES[province])
    else:
        area = f"{province}{int(rng.integers(0, 10_000)):04d}"
    family_number = f"{int(rng.integers(0, 10_000_000)):07d}"
    parity = {"M": 1, "F": 0}.get(gender, int(rng.integers(0, 2)))
    last = 2 * int(rng.integers(0, 5)) + parity
    return f"{area}-{family_number}-{last}"


def _dates(rng: np.random.Generator) -> tuple[dt.date, dt.date, dt.date | None]:
    """Birth < issue < expiry; 10-year validity usually, sometimes 7, lifetime for the elderly."""
    span = (LATEST_ISSUE - EARLIEST_ISSUE).days
    issue = EARLIEST_ISSUE + dt.timedelta(days=int(rng.integers(0, span + 1)))
    if issue.month == 2 and issue.day == 29:
        issue = issue.replace(day=28)  # issue + N years must exist
    lifetime = chance(rng, LIFETIME_SHARE)
    if lifetime:
        age = uniform(rng, 60.5, 85.0)
    elif chance(rng, 0.72):
        age = uniform(rng, 18.2, 40.0)
    else:
        age = uniform(rng, 40.0, 60.0)
    birth = issue - dt.timedelta(days=int(age * 365.2425))
    if lifetime:
        return birth, issue, None
    years = 7 if chance(rng, SEVEN_YEAR_SHARE) else 10
    return birth, issue, issue.replace(year=issue.year + years)


def _address(rng: np.random.Generator, city: str) -> str:
    house = int(rng.integers(1, 900))
    street = int(rng.integers(1, 40))
    locality = pick(rng, LOCALITIES_URDU)
    return f"مکان نمبر {house}، گلی نمبر {street}، {locality}، ڈاکخانہ خاص، تحصیل و ضلع {city}"


#: The wider population of ``varied_identity``: real cards also begin with 8 (Azad Kashmir)
#: and 9 (seen on an overseas holder's card); shares are guesses, not census figures.
VARIED_PROVINCE_WEIGHTS: tuple[tuple[int, float], ...] = (*PROVINCE_WEIGHTS, (8, 0.03), (9, 0.02))
VARIED_DISTRICT_CODES: dict[int, tuple[str, ...]] = {
    **DISTRICT_CODES,
    8: ("81102", "82203", "82101"),
    9: ("91504", "90402"),
}
VARIED_REGIONAL_FAMILY: dict[int, tuple[tuple[str, str], ...]] = {
    **REGIONAL_FAMILY,
    8: (("Rathore", "راٹھور"), ("Sudhan", "سدھن"), ("Mughal", "مغل"), ("Abbasi", "عباسی")),
    9: COMMON_FAMILY,
}
VARIED_CITIES_URDU: dict[int, tuple[str, ...]] = {
    **CITIES_URDU,
    8: ("مظفرآباد", "میرپور", "راولاکوٹ"),
    9: CITIES_URDU[3],
}
#: Countries of stay as cards print them (cnic-facts.md), Pakistan aside.
PRINTED_COUNTRIES: tuple[str, ...] = (
    "United Arab Emirates", "Saudi Arabia", "United Kingdom", "United States", "China, Mainland",
    "Qatar", "Oman", "Kuwait", "Canada", "Germany", "Italy", "Malaysia", "Australia",
)  # fmt: skip
#: Validity in years and its share among non-lifetime cards (10 most often, also 7 and 5).
VALIDITIES: tuple[tuple[int, float], ...] = ((10, 0.75), (7, 0.13), (5, 0.12))
VARIED_LIFETIME_SHARE = 0.05
MINOR_SHARE = 0.03
FATHERS_NAME_SHARE = 0.5  # of Father-labelled cards issued before 2015
#: Holders born before this year whose card prints the birth date as a year only, and their share.
BIRTH_YEAR_ONLY_BEFORE = 1975
BIRTH_YEAR_ONLY_SHARE = 0.1


def varied_identity(seed: int) -> Identity:
    """The identity of a seed for the realistic drawings: every validity, first digit and label.

    A separate random stream from :func:`random_identity`, so the classic drawing keeps its
    identities. Adds 5-year validity, first digits 8 and 9, minors (issued at 16-18, with an
    "Under 18 until" date), `Father's Name` on 2012-2014 issues and printed country names.
    """
    rng = stream(seed, "identity-varied")
    province = pick_weighted(rng, VARIED_PROVINCE_WEIGHTS)
    gender: Gender = "X" if chance(rng, X_GENDER_SHARE) else pick(rng, BINARY_GENDERS)
    female = gender == "F" or (gender == "X" and chance(rng, 0.5))
    family = pick(rng, VARIED_REGIONAL_FAMILY[province]) if chance(rng, 0.6) else pick(rng, COMMON_FAMILY)
    words = _female_name(rng, family) if female else _male_name(rng, family)
    husband = female and chance(rng, 0.3)
    relative_family = words[-1] if husband and chance(rng, 0.7) else family
    father_words = _male_name(rng, relative_family, with_family=True)
    birth, issue, expiry, minor_until = _varied_dates(rng)
    father_label: FatherLabel = "Husband Name" if husband else "Father Name"
    if not husband and issue.year <= 2014 and chance(rng, FATHERS_NAME_SHARE):
        father_label = "Father's Name"
    city = pick(rng, VARIED_CITIES_URDU[province])
    present = _address(rng, city)
    area = pick(rng, VARIED_DISTRICT_CODES[province]) if chance(rng, 0.6) else None
    return Identity(
        name=_english(words),
        name_urdu=_urdu(words),
        father_label=father_label,
        father_name=_english(father_words),
        father_name_urdu=_urdu(father_words),
        gender=gender,
        country="Pakistan" if not chance(rng, 0.08) else pick(rng, PRINTED_COUNTRIES),
        id_number=_varied_id_number(rng, province, gender, area),
        birth=birth,
        issue=issue,
        expiry=expiry,
        present_address_urdu=present,
        permanent_address_urdu=present if chance(rng, 0.6) else _address(rng, city),
        minor_until=minor_until,
        # A stream of its own, so that every other draw of the seed stays as it was.
        birth_year_only=birth.year < BIRTH_YEAR_ONLY_BEFORE
        and chance(stream(seed, "birth-year-only"), BIRTH_YEAR_ONLY_SHARE),
    )


def _varied_id_number(rng: np.random.Generator, province: int, gender: Gender, area: str | None) -> str:
    digits = area or f"{province}{int(rng.integers(0, 10_000)):04d}"
    parity = {"M": 1, "F": 0}.get(gender, int(rng.integers(0, 2)))
    return f"{digits}-{int(rng.integers(0, 10_000_000)):07d}-{2 * int(rng.integers(0, 5)) + parity}"


def _varied_dates(rng: np.random.Generator) -> tuple[dt.date, dt.date, dt.date | None, dt.date | None]:
    """Birth < issue < expiry with 10, 7 or 5 years' validity, lifetime for 60+, minors at 16-18."""
    span = (LATEST_ISSUE - EARLIEST_ISSUE).days
    issue = EARLIEST_ISSUE + dt.timedelta(days=int(rng.integers(0, span + 1)))
    if issue.month == 2 and issue.day == 29:
        issue = issue.replace(day=28)
    draw = rng.random()
    lifetime = draw < VARIED_LIFETIME_SHARE
    minor = not lifetime and draw < VARIED_LIFETIME_SHARE + MINOR_SHARE
    if lifetime:
        age = uniform(rng, 60.5, 88.0)
    elif minor:
        age = uniform(rng, 16.2, 17.9)
    else:
        age = uniform(rng, 18.2, 40.0) if chance(rng, 0.7) else uniform(rng, 40.0, 60.0)
    birth = issue - dt.timedelta(days=int(age * 365.2425))
    if birth.month == 2 and birth.day == 29:
        birth = birth.replace(day=28)
    minor_until = birth.replace(year=birth.year + 18) if minor else None
    if lifetime:
        return birth, issue, None, None
    years = pick_weighted(rng, VALIDITIES)
    return birth, issue, issue.replace(year=issue.year + years), minor_until
