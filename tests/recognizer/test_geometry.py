"""Card localisation and rectification on drawn scenes (no OCR engine)."""

import cv2
import numpy as np
import pytest

from cnic_ocr.recognizer.geometry import (
    CARD_ASPECT,
    CARD_HEIGHT,
    CARD_WIDTH,
    CardQuad,
    find_cards,
    order_corners,
    rectify,
    rectify_matrix,
)


def find_card(image: np.ndarray) -> CardQuad | None:
    """The best candidate, the one the recognizer reads first."""
    return next(iter(find_cards(image)), None)


def assert_finds_corners(image: np.ndarray, true_corners: np.ndarray) -> None:
    """The best candidate's every corner lies near a true corner of the card."""
    found = find_card(image)
    assert found is not None
    expected = order_corners(true_corners)
    for corner in found.corners:
        assert np.min(np.linalg.norm(expected - corner, axis=1)) < 12


def scene_with_card(angle: float, card_width: int = 420) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    scene = rng.integers(40, 110, size=(700, 900, 3), dtype=np.uint8)
    scene = cv2.GaussianBlur(scene, (0, 0), 3)
    card_height = card_width / CARD_ASPECT
    rect = ((450.0, 350.0), (float(card_width), float(card_height)), angle)
    corners = cv2.boxPoints(rect).astype(np.float32)
    cv2.fillConvexPoly(scene, corners.astype(np.int32), (205, 230, 210))
    # a dark mark near the card's top-left corner, to check which way up it comes out
    marker = corners[np.argmin(corners.sum(axis=1))] if angle == 0 else None
    if marker is not None:
        cv2.circle(scene, (int(marker[0] + 30), int(marker[1] + 30)), 12, (20, 20, 20), -1)
    return scene, corners


@pytest.mark.parametrize("angle", [0, 12, -25, 90, 63])
def test_finds_the_card_at_any_angle(angle: float) -> None:
    assert_finds_corners(*scene_with_card(angle))


def test_rectified_card_is_landscape_with_content_in_place() -> None:
    scene, _ = scene_with_card(0)
    found = find_card(scene)
    assert found is not None
    card = rectify(scene, rectify_matrix(found.corners))
    assert card.shape == (CARD_HEIGHT, CARD_WIDTH, 3)
    top_left = card[: CARD_HEIGHT // 4, : CARD_WIDTH // 4].mean()
    bottom_right = card[-CARD_HEIGHT // 4 :, -CARD_WIDTH // 4 :].mean()
    assert top_left < bottom_right  # the dark mark stayed top-left


def test_no_card_in_plain_texture() -> None:
    rng = np.random.default_rng(3)
    texture = cv2.GaussianBlur(rng.integers(0, 255, size=(600, 800, 3), dtype=np.uint8), (0, 0), 2)
    assert find_card(texture) is None


def test_finds_a_card_lying_on_a_white_paper_it_overlaps() -> None:
    """Touching a paper merges the two into one bright region; the card's own edges still show."""
    rng = np.random.default_rng(11)
    scene = cv2.GaussianBlur(rng.integers(60, 120, size=(700, 900, 3), dtype=np.uint8), (0, 0), 3)
    paper = cv2.boxPoints(((600.0, 420.0), (380.0, 520.0), 8.0)).astype(np.int32)
    cv2.fillConvexPoly(scene, paper, (245, 245, 245))
    card = cv2.boxPoints(((380.0, 330.0), (420.0, 420.0 / CARD_ASPECT), -6.0)).astype(np.float32)
    cv2.fillConvexPoly(scene, card.astype(np.int32), (200, 228, 206))
    assert_finds_corners(scene, card)


def test_keeps_a_runner_up_elsewhere_in_the_photo() -> None:
    """Two card-shaped objects: both are offered, the larger first, neither twice."""
    rng = np.random.default_rng(5)
    scene = cv2.GaussianBlur(rng.integers(40, 100, size=(800, 1000, 3), dtype=np.uint8), (0, 0), 3)
    big = cv2.boxPoints(((300.0, 300.0), (380.0, 380.0 / CARD_ASPECT), 0.0)).astype(np.float32)
    small = cv2.boxPoints(((740.0, 600.0), (300.0, 300.0 / CARD_ASPECT), 10.0)).astype(np.float32)
    for quad in (big, small):
        cv2.fillConvexPoly(scene, quad.astype(np.int32), (205, 230, 210))
    found = find_cards(scene)
    assert len(found) == 2
    for quad, expected in zip(found, (big, small), strict=True):
        centre = quad.corners.mean(axis=0)
        assert np.linalg.norm(centre - expected.mean(axis=0)) < 15
