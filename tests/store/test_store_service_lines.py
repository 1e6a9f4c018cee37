"""Service-line pointers follow the coder's final diagnoses, not the engine's positions."""

from __future__ import annotations

from medcoder.store.service_lines import line_fields, resolve_pointers

FINAL = [("E11.65", "E11.9"), ("I10", None), ("Z23", None)]  # E11.9 changed to E11.65


def test_pointers_are_positions_of_the_codes_in_the_final_list() -> None:
    assert resolve_pointers(["I10", "Z23"], FINAL) == [2, 3]
    assert resolve_pointers(["Z23", "I10"], FINAL) == [3, 2]  # the line's order is kept


def test_a_pointer_follows_a_changed_diagnosis() -> None:
    assert resolve_pointers(["E119"], FINAL) == [1]


def test_codes_no_longer_billed_are_dropped_and_four_at_most() -> None:
    assert resolve_pointers(["R05.9", "I10"], FINAL) == [2]
    five = [(f"R{n:02d}", None) for n in range(5)]
    assert resolve_pointers([c for c, _ in five], five) == [1, 2, 3, 4]


def test_line_fields_read_modifiers_units_and_pointers() -> None:
    detail = {
        "modifiers": ["25"],
        "units": 2,
        "diagnosis_codes": ["I10"],
        "diagnosis_pointers": [9],
    }
    assert line_fields("99214", detail, FINAL) == {
        "code": "99214",
        "modifiers": ["25"],
        "units": 2,
        "diagnosis_pointers": [2],
    }


def test_rows_with_positions_only_keep_the_valid_ones() -> None:
    assert line_fields("36415", {"diagnosis_pointers": [1, 7]}, FINAL)["diagnosis_pointers"] == [1]
    assert line_fields("36415", {}, FINAL) == {
        "code": "36415",
        "modifiers": [],
        "units": 1,
        "diagnosis_pointers": [],
    }
