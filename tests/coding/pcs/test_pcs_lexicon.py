"""The packaged procedure lexicon: it loads, and malformed rules are rejected with a message."""

from __future__ import annotations

import pytest

from medcoder.coding.pcs.lexicon import Action, PcsLexicon, load_lexicon, phrase_tokens
from medcoder.errors import DataFileError


def test_packaged_lexicon_loads_with_normalised_terms() -> None:
    lexicon = load_lexicon()
    by_id = {a.id: a for a in lexicon.actions}
    assert by_id["appendectomy"].operation == "T"
    assert by_id["appendectomy"].body == ("Appendix",)
    assert ("x", "ray") in by_id["xray"].terms
    assert by_id["colonoscopy"].scope


def test_phrase_tokens_normalise_like_the_note_matcher() -> None:
    assert phrase_tokens("Drug-eluting Stents") == ("drug", "eluting", "stent")


def test_unknown_key_is_rejected() -> None:
    with pytest.raises(DataFileError, match=r"actions\[x\]: unknown key\(s\) colour"):
        Action.from_dict({"id": "x", "terms": ["x"], "section": "0", "operation": "T", "colour": 1})


def test_action_needs_one_character_values() -> None:
    with pytest.raises(DataFileError, match="expected one PCS character"):
        Action.from_dict({"id": "x", "terms": ["x"], "section": "0", "operation": "TT"})


def test_cue_entry_needs_value_or_labels() -> None:
    with pytest.raises(DataFileError, match=r"approaches\[0\]: needs 'value' or 'labels'"):
        PcsLexicon.from_dict({"actions": [], "approaches": [{"terms": ["open"]}]})
