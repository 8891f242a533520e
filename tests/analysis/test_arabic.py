"""Arabic for renderers that neither shape nor reorder text (WeasyPrint's SVG)."""

from __future__ import annotations

from amparo.analysis import arabic


def test_the_printed_arabic_is_shaped_and_in_visual_order() -> None:
    # "القتل" (killing): alef, lam, qaf, ta, lam, shaped and seen from the left.
    assert arabic.shape("القتل") == "\ufe8d\ufedf\ufed8\ufe98\ufede"
    assert arabic.for_print("القتل") == "\ufede\ufe98\ufed8\ufedf\ufe8d"
    assert arabic.shape("لا") == "\ufefb"  # lam-alef, one ligature
    # Digits and Latin words keep their order inside Arabic; brackets are mirrored.
    assert arabic.for_print("مؤشر 16.10.1 (SDG)").startswith("(SDG) 16.10.1 ")
    assert arabic.for_print("Acts") == "Acts"
    assert arabic.for_print("\u2067Acts\u2069") == "Acts"
