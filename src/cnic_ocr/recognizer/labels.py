"""The words a CNIC front prints: its field labels and its fixed phrases (not values)."""

from __future__ import annotations

import re
from enum import StrEnum


class Label(StrEnum):
    NAME = "name"
    FATHER_NAME = "father_name"
    HUSBAND_NAME = "husband_name"
    GENDER = "gender"
    COUNTRY = "country"
    IDENTITY_NUMBER = "identity_number"
    BIRTH = "birth"
    ISSUE = "issue"
    EXPIRY = "expiry"


#: Each label's letters, as printed on the issues seen ("Father's Name" on 2010-2014 cards).
LABEL_TEXTS: dict[Label, tuple[str, ...]] = {
    Label.NAME: ("name",),
    Label.FATHER_NAME: ("fathername", "fathersname"),
    Label.HUSBAND_NAME: ("husbandname", "husbandsname"),
    Label.GENDER: ("gender",),
    Label.COUNTRY: ("countryofstay",),
    Label.IDENTITY_NUMBER: ("identitynumber",),
    Label.BIRTH: ("dateofbirth",),
    Label.ISSUE: ("dateofissue",),
    Label.EXPIRY: ("dateofexpiry",),
}

#: Labels no other common document prints (licences and passports print names and dates too).
CNIC_ONLY_LABELS = frozenset({Label.IDENTITY_NUMBER, Label.COUNTRY})

#: Fixed phrases of the front that look like title-case values but are not.
PRINTED_PHRASES = (
    "nationalidentitycard",
    "islamicrepublicofpakistan",
    "holderssignature",
    "registrargeneralofpakistan",
    "governmentofpakistan",
)
#: The front's title: the strongest sign of a CNIC front, printed in large type.
TITLE = "nationalidentitycard"
#: Titles of other documents: a photo that names itself one of these is not a CNIC front.
OTHER_DOCUMENT_TITLES = ("passport", "drivinglicence", "drivinglicense", "licence", "license")


def squash(text: str) -> str:
    """Letters only, in lower case: how labels and phrases are compared."""
    return re.sub(r"[^a-z]", "", text.lower())


#: Countries of stay, as cards print them (a country's short English name; cnic-facts.md).
#: A country read one or two letters away from one of these, and not one itself, is a misread.
COUNTRIES = frozenset(
    """Afghanistan|Albania|Algeria|Angola|Argentina|Armenia|Australia|Austria|Azerbaijan|Bahrain|
    Bangladesh|Belarus|Belgium|Bhutan|Bolivia|Bosnia and Herzegovina|Botswana|Brazil|Brunei|
    Bulgaria|Cambodia|Cameroon|Canada|Chile|China|China, Mainland|Colombia|Croatia|Cuba|Cyprus|
    Czech Republic|Denmark|Djibouti|Ecuador|Egypt|Eritrea|Estonia|Ethiopia|Fiji|Finland|France|
    Georgia|Germany|Ghana|Greece|Hong Kong|Hungary|Iceland|India|Indonesia|Iran|Iraq|Ireland|
    Italy|Japan|Jordan|Kazakhstan|Kenya|Korea|Kuwait|Kyrgyzstan|Latvia|Lebanon|Libya|Lithuania|
    Luxembourg|Malaysia|Maldives|Mali|Malta|Mauritius|Mexico|Mongolia|Morocco|Mozambique|Myanmar|
    Nepal|Netherlands|New Zealand|Nigeria|Norway|Oman|Pak|Pakistan|Palestine|Panama|Peru|
    Philippines|Poland|Portugal|Qatar|Romania|Russia|Saudi Arabia|Senegal|Serbia|Singapore|
    Slovakia|Slovenia|Somalia|South Africa|South Korea|Spain|Sri Lanka|Sudan|Sweden|Switzerland|
    Syria|Taiwan|Tajikistan|Tanzania|Thailand|Tunisia|Turkey|Turkmenistan|Uganda|Ukraine|
    United Arab Emirates|United Kingdom|United States|Uzbekistan|Venezuela|Vietnam|Yemen|
    Zambia|Zimbabwe""".replace("\n", "")
    .replace("    ", "")
    .split("|")
)
