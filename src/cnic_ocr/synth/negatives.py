"""Images that are not a CNIC front: the recognizer must answer ``not identity card``.

Some are deliberately hard: a driving licence and a passport page print a name, a father's
name, dates and a 13-digit citizen number; the back of the CNIC prints the identity number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Final, Literal

import numpy as np
from PIL import Image, ImageDraw

from cnic_ocr.synth.background import tinted_card_background
from cnic_ocr.synth.card import DEFAULT_CARD_WIDTH, TextPainter, card_height, render_back, render_blank
from cnic_ocr.synth.degrade import PHONE, Photo, photograph
from cnic_ocr.synth.identities import Identity, random_identity, varied_identity
from cnic_ocr.synth.portrait import portrait, signature
from cnic_ocr.synth.randomness import chance, pick, pick_weighted, stream
from cnic_ocr.synth.snic import render_snic_back

NegativeKind = Literal["back", "blank_card", "driving_licence", "passport", "document", "scene", "shapes"]
NEGATIVE_KINDS: Final[tuple[NegativeKind, ...]] = (
    "back", "blank_card", "driving_licence", "passport", "document", "scene", "shapes",
)  # fmt: skip

PASSPORT_ASPECT = 125 / 88
A4_ASPECT = 210 / 297
DOCUMENT = replace(PHONE, card_px=(560, 1000), card_fraction=(0.45, 0.85), portrait_share=0.8, tilt_deg=15.0)
PASSPORT = replace(PHONE, card_px=(700, 1250))
SHAPES = replace(PHONE, backdrop="shapes", glare=0.2)
ROTATIONS: tuple[tuple[int, float], ...] = ((0, 0.55), (90, 0.15), (180, 0.15), (270, 0.15))

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
CITIES = ("LAHORE", "KARACHI", "FAISALABAD", "RAWALPINDI", "MULTAN", "PESHAWAR", "QUETTA", "SIALKOT")
BODY_WORDS = (
    "the", "of", "and", "to", "payment", "account", "please", "find", "attached", "request", "office",
    "service", "for", "your", "we", "regarding", "application", "month", "amount", "received", "will",
    "be", "processed", "within", "working", "days", "contact", "us", "thank", "you", "branch", "details",
    "customer", "as", "per", "agreement", "delivery", "order", "reference", "kindly", "confirm", "the",
)  # fmt: skip
ITEMS = ("Rice 5kg", "Cooking oil", "Tea 900g", "Sugar 2kg", "Flour 10kg", "Soap", "Milk pack", "Lentils")


def negative_photo(
    seed: int, kind: NegativeKind, rng: np.random.Generator, *, realistic_back: bool = False
) -> Photo:
    """A photo (or scan) of something that is not a CNIC front.

    ``realistic_back``: draw the back as real cards show it (``snic.render_snic_back``) rather
    than the classic drawing's back.
    """
    rotation = pick_weighted(rng, ROTATIONS)
    identity = random_identity(seed)
    if kind == "back" and realistic_back:
        back = render_snic_back(varied_identity(seed), seed, DEFAULT_CARD_WIDTH)
        return photograph(back.image, rng, PHONE, rotation=rotation)
    if kind == "back":
        return photograph(render_back(identity, seed).image, rng, PHONE, rotation=rotation)
    if kind == "blank_card":
        return photograph(render_blank(seed).image, rng, PHONE, rotation=rotation)
    if kind == "driving_licence":
        return photograph(_driving_licence(identity, seed), rng, PHONE, rotation=rotation)
    if kind == "passport":
        return photograph(_passport_page(identity, seed), rng, PASSPORT, rotation=rotation)
    if kind == "document":
        return photograph(_document(identity, seed), rng, DOCUMENT, rotation=rotation)
    if kind == "scene":
        return photograph(None, rng, PHONE, rotation=rotation)
    return photograph(None, rng, SHAPES, rotation=rotation)


def _driving_licence(identity: Identity, seed: int) -> Image.Image:
    """A provincial driving licence: card-sized, with name, father name, CNIC number and dates."""
    rng = stream(seed, "licence-look")
    width = 1000
    height = card_height(width)
    back = tinted_card_background(width, height, rng)
    image = Image.fromarray(np.ascontiguousarray(back[:, :, [0, 2, 1]]), "RGB")  # lavender, not green
    painter = TextPainter(image, rng)
    ink = (20, 30, 60)
    navy = (10, 40, 110)
    province = pick(rng, ("PUNJAB", "SINDH", "KHYBER PAKHTUNKHWA", "ISLAMABAD CAPITAL TERRITORY"))
    painter.text(0.5, 0.04, "DRIVING LICENCE", size=0.075, name="sans-bold", fill=navy, anchor="ma")
    painter.text(0.5, 0.13, f"GOVERNMENT OF {province}", size=0.035, name="sans-bold", fill=navy, anchor="ma")
    image.paste(portrait(int(0.22 * width), int(0.5 * height), rng, female=identity.gender == "F"), (40, 150))
    issue = identity.issue - dt.timedelta(days=int(rng.integers(0, 900)))
    rows = (
        ("Name", identity.name),
        ("Father / Husband Name", identity.father_name),
        ("CNIC No.", identity.id_number),
        (
            "Licence No.",
            f"{pick(rng, ('LHR', 'KHI', 'ISB', 'PSH', 'RWP'))}-{int(rng.integers(10000, 99999))}",
        ),
        ("Category", pick(rng, ("M/CYCLE", "M/CAR", "M/CYCLE, M/CAR", "LTV", "HTV"))),
        ("Issue Date", issue.strftime("%d-%m-%Y")),
        ("Valid Till", (issue + dt.timedelta(days=365 * 5)).strftime("%d-%m-%Y")),
    )
    y = 0.22
    for label, value in rows:
        painter.text(0.3, y, label, size=0.028, name="sans", fill=(80, 80, 90), right=0.97)
        painter.text(0.3, y + 0.04, value, size=0.04, name="sans-bold", fill=ink, right=0.97)
        y += 0.105
    sig = signature(int(0.2 * width), int(0.07 * height), rng, (20, 30, 90))
    image.paste(sig, (60, int(0.82 * height)), sig)
    return image


def _passport_page(identity: Identity, seed: int) -> Image.Image:
    """A passport data page with its machine-readable zone and citizenship number."""
    rng = stream(seed, "passport-look")
    width = 1100
    height = round(width / PASSPORT_ASPECT)
    back = tinted_card_background(width, height, rng)
    image = Image.fromarray(
        np.clip(back.astype(np.float32) * [1.02, 0.97, 0.92], 0, 255).astype(np.uint8), "RGB"
    )
    painter = TextPainter(image, rng)
    ink = (30, 30, 35)
    grey = (90, 90, 95)
    painter.text(
        0.5, 0.03, "ISLAMIC REPUBLIC OF PAKISTAN", size=0.045, name="sans-bold", fill=(0, 80, 40), anchor="ma"
    )
    painter.text(0.5, 0.09, "PASSPORT", size=0.04, name="sans-bold", fill=(0, 80, 40), anchor="ma")
    words = identity.name.upper().split()
    surname, given = words[-1], " ".join(words[:-1]) or words[-1]
    number = f"{pick(rng, ('AB', 'AC', 'BK', 'CF', 'DG'))}{int(rng.integers(1_000_000, 9_999_999))}"
    image.paste(
        portrait(int(0.26 * width), int(0.48 * height), rng, female=identity.gender == "F"), (40, 140)
    )
    birth, issue = _passport_date(identity.birth), _passport_date(identity.issue)
    expiry = _passport_date(identity.issue.replace(year=identity.issue.year + 5))
    fields = (
        (0.32, 0.17, "Type", "P"), (0.45, 0.17, "Country Code", "PAK"),
        (0.65, 0.17, "Passport Number", number),
        (0.32, 0.27, "Surname", surname), (0.32, 0.37, "Given Names", given),
        (0.32, 0.47, "Nationality", "PAKISTANI"), (0.65, 0.47, "Date of Birth", birth),
        (0.32, 0.57, "Sex", identity.gender), (0.45, 0.57, "Place of Birth", f"{pick(rng, CITIES)}, PAK"),
        (0.32, 0.67, "Father Name", identity.father_name.upper()),
        (0.32, 0.77, "Date of Issue", issue),
        (0.65, 0.77, "Date of Expiry", expiry),
        (0.04, 0.7, "Citizenship Number", identity.id_number),
    )  # fmt: skip
    for x, y, label, value in fields:
        painter.text(x, y, label, size=0.026, name="sans", fill=grey, right=0.98)
        painter.text(x, y + 0.035, value, size=0.036, name="sans-bold", fill=ink, right=0.98)
    mrz_name = f"{surname}<<{given.replace(' ', '<')}".replace("-", "<")
    line1 = f"P<PAK{mrz_name}".ljust(44, "<")[:44]
    line2 = f"{number}<0PAK{identity.birth:%y%m%d}0{identity.gender}".ljust(
        28, "<"
    ) + identity.id_number.replace("-", "")
    line2 = line2.ljust(44, "<")[:44]
    painter.text(0.04, 0.86, line1, size=0.045, name="mono", fill=ink, right=0.99)
    painter.text(0.04, 0.93, line2, size=0.045, name="mono", fill=ink, right=0.99)
    return image


def _passport_date(day: dt.date) -> str:
    return f"{day.day:02d} {MONTHS[day.month - 1]} {day.year}"


def _document(identity: Identity, seed: int) -> Image.Image:
    """A page: an invoice with a table of items, or a letter that quotes a CNIC number."""
    rng = stream(seed, "document-look")
    width = 1000
    height = round(width / A4_ASPECT)
    shade = int(rng.integers(232, 252))
    image = Image.new("RGB", (width, height), (shade, shade, shade - int(rng.integers(0, 8))))
    painter = TextPainter(image, rng)
    ink = (25, 25, 30)
    aspect = width / height
    day = identity.issue + dt.timedelta(days=int(rng.integers(0, 800)))
    company = pick(rng, ("Al-Noor Traders", "City Electronics", "Green Valley Stores", "Crescent Textiles"))
    if chance(rng, 0.5):
        painter.text(0.08, 0.05, company, size=0.03 * aspect * 1.4, name="sans-bold", fill=ink, right=0.95)
        painter.text(0.08, 0.1, "INVOICE", size=0.025, name="sans-bold", fill=(120, 20, 20), right=0.95)
        painter.text(0.6, 0.1, f"Date: {day:%d/%m/%Y}", size=0.016, name="sans", fill=ink, right=0.98)
        painter.text(0.08, 0.15, f"Bill to: {identity.name}", size=0.016, name="sans", fill=ink, right=0.95)
        draw = ImageDraw.Draw(image)
        draw.line([(0.08 * width, 0.2 * height), (0.92 * width, 0.2 * height)], fill=ink, width=2)
        total = 0
        y = 0.22
        for _ in range(int(rng.integers(3, 9))):
            qty, price = int(rng.integers(1, 6)), int(rng.integers(80, 4000))
            total += qty * price
            painter.text(0.08, y, pick(rng, ITEMS), size=0.016, name="sans", fill=ink, right=0.5)
            painter.text(0.55, y, str(qty), size=0.016, name="sans", fill=ink, right=0.65)
            painter.text(0.75, y, f"{qty * price:,}.00", size=0.016, name="sans", fill=ink, right=0.95)
            y += 0.035
        painter.text(
            0.55, y + 0.03, f"Total Rs. {total:,}.00", size=0.02, name="sans-bold", fill=ink, right=0.97
        )
    else:
        painter.text(0.08, 0.06, f"Date: {day:%d.%m.%Y}", size=0.016, name="sans", fill=ink, right=0.95)
        painter.text(0.08, 0.1, f"The Manager, {company}", size=0.016, name="sans", fill=ink, right=0.95)
        painter.text(
            0.08, 0.16, "Subject: Request for account statement", size=0.017, name="sans-bold", fill=ink
        )
        y = 0.22
        for _ in range(int(rng.integers(8, 16))):
            line = " ".join(pick(rng, BODY_WORDS) for _ in range(int(rng.integers(8, 13))))
            painter.text(0.08, y, line.capitalize(), size=0.016, name="sans", fill=ink, right=0.93)
            y += 0.03
        painter.text(0.08, y + 0.03, "Yours sincerely,", size=0.016, name="sans", fill=ink, right=0.95)
        painter.text(0.08, y + 0.07, identity.name, size=0.016, name="sans", fill=ink, right=0.95)
        painter.text(
            0.08, y + 0.1, f"CNIC No: {identity.id_number}", size=0.016, name="sans", fill=ink, right=0.95
        )
    return image
