"""Procedure statements: the lexicon's words found in one sentence, with their offsets.

A sentence such as "Laparoscopic appendectomy was performed" yields one :class:`Statement`
per procedure word (``appendectomy``) with the words around it that document its other axes
(``laparoscopic``), ready to become a :class:`medcoder.coding.pcs.builder.Plan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from medcoder.coding.pcs.builder import BodyWord, Cue, Plan
from medcoder.coding.pcs.lexicon import Action, CueEntry, PcsLexicon
from medcoder.coding.text import Token, tokenize

__all__ = ["Match", "PhraseMatcher", "Statement", "StatementFinder"]

T = TypeVar("T")

_SIDE_WORDS = {
    "right": "right",
    "left": "left",
    "bilateral": "bilateral",
    "both": "bilateral",
    # Ophthalmology: oculus dexter / sinister / uterque (OI: "ojo izquierdo" in translations).
    "od": "right",
    "re": "right",
    "os": "left",
    "oi": "left",
    "le": "left",
    "ou": "bilateral",
    "oa": "bilateral",
    # US shorthand: "R TKA", "lt knee".
    "r": "right",
    "rt": "right",
    "l": "left",
    "lt": "left",
}
_PARTIAL = frozenset({"partial", "subtotal", "segmental", "wedge", "hemi", "sleeve"})
_GUIDANCE = frozenset({"guided", "guidance", "control"})
_BODY_WINDOW = 8  # anatomical words further than this from the procedure word are not its own
_SIDE_BEFORE = 3
_DURATION_REACH = 6  # "ventilation for 5 days": the duration follows the procedure word
_SIDE_AFTER = 2


@dataclass(frozen=True, slots=True)
class Match(Generic[T]):
    """A lexicon phrase found at tokens ``[first, last]`` of a sentence."""

    first: int
    last: int
    start: int
    end: int
    entry: T


class PhraseMatcher(Generic[T]):
    """Longest-match lookup of token phrases (each phrase -> its lexicon entry)."""

    def __init__(self, phrases: Sequence[tuple[tuple[str, ...], T]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], T]]] = {}
        for tokens, entry in phrases:
            if tokens:
                self._by_first.setdefault(tokens[0], []).append((tokens, entry))
        for options in self._by_first.values():
            options.sort(key=lambda o: -len(o[0]))

    def find(self, tokens: Sequence[Token]) -> list[Match[T]]:
        found: list[Match[T]] = []
        i = 0
        while i < len(tokens):
            hit = None
            for phrase, entry in self._by_first.get(tokens[i].norm, ()):
                n = len(phrase)
                if tuple(t.norm for t in tokens[i : i + n]) == phrase:
                    hit = Match(i, i + n - 1, tokens[i].start, tokens[i + n - 1].end, entry)
                    break
            if hit is None:
                i += 1
                continue
            found.append(hit)
            i = hit.last + 1
        return found


def _cue_phrases(entries: Sequence[CueEntry]) -> list[tuple[tuple[str, ...], CueEntry]]:
    return [(terms, e) for e in entries for terms in e.terms]


@dataclass(frozen=True, slots=True)
class Statement:
    """One procedure word of a sentence and the plan built from its neighbours."""

    action: Action
    cue: Cue
    plan: Plan
    side: str | None
    why: str = ""


class StatementFinder:
    """Finds procedure statements in sentences with a :class:`PcsLexicon`."""

    def __init__(self, lexicon: PcsLexicon) -> None:
        self._actions = PhraseMatcher([(terms, a) for a in lexicon.actions for terms in a.terms])
        self._anatomy = PhraseMatcher(_cue_phrases(lexicon.anatomy))
        self._approaches = PhraseMatcher(_cue_phrases(lexicon.approaches))
        self._devices = PhraseMatcher(_cue_phrases(lexicon.devices))
        self._qualifiers = PhraseMatcher(_cue_phrases(lexicon.qualifiers))
        self._contrast = PhraseMatcher(_cue_phrases(lexicon.contrast))

    def find(self, text: str, start: int, end: int) -> list[Statement]:
        """The procedure statements of the sentence ``text[start:end]``."""
        tokens = tokenize(text[start:end], start)
        actions = [
            m
            for m in self._actions.find(tokens)
            # "ultrasound-guided biopsy": the guidance is not a procedure of its own here.
            if not (m.entry.section == "B" and _norm_at(tokens, m.last + 1) in _GUIDANCE)
        ]
        if not actions:
            return []
        action_tokens = {i for m in actions for i in range(m.first, m.last + 1)}
        anatomy = [
            m
            for m in self._anatomy.find(tokens)
            if not any(i in action_tokens for i in range(m.first, m.last + 1))
        ]
        approaches = self._approaches.find(tokens)
        devices = self._devices.find(tokens)
        qualifiers = self._qualifiers.find(tokens)
        contrast = self._contrast.find(tokens)

        def cue(m: Match[Any]) -> Cue:
            return Cue(text[m.start : m.end], m.start, m.end)

        definitive = [m for m in actions if not m.entry.scope and m.entry.section == "0"]
        previous_body: tuple[Match[Action], list[BodyWord]] | None = None
        scopes = [m for m in actions if m.entry.scope]
        statements = []
        for m in actions:
            action = m.entry
            if action.scope and definitive:
                continue  # an inspection done with a definitive procedure is not coded apart
            if any(_has_phrase(tokens, phrase) for phrase in action.integral_with):
                continue  # e.g. intubation for general anesthesia: part of the anesthesia
            operation = action.operation
            why = action.why
            if operation == "T" and _any_before(tokens, m.first, _PARTIAL, 3):
                operation, why = "B", "Excision: partial removal, a portion of the body part"
            if operation == "Q" and any("Synthetic Substitute" in d.entry.labels for d in devices):
                # A repair that puts in mesh is a Supplement, not a Repair.
                operation = "U"
                why = "Supplement: putting in a device (mesh) that reinforces the body part"
            fixed = {p: (v, action.id) for p, v in action.extra}
            if action.id == "ventilation":
                hours = _hours(tokens[m.last + 1 : m.last + 1 + _DURATION_REACH])
                if hours is not None:
                    fixed[5] = (
                        "3" if hours < 24 else "4" if hours <= 96 else "5",
                        f"{hours} hours",
                    )
            if action.approach:
                fixed[5] = (action.approach, action.id)
            if action.device:
                fixed[6] = (action.device, action.id)
            if action.qualifier:
                fixed[7] = (action.qualifier, action.id)
            # After a procedure word only the next word ("thoracentesis, right"): two words
            # on, it is already the finding's side ("urography showed right hydronephrosis").
            side, side_cue = _side_near(text, tokens, m.first, m.last, after=1)
            groups: list[list[BodyWord]] = [[]]
            near = sorted(
                (a for a in anatomy if _distance(m, a) <= _BODY_WINDOW),
                key=lambda a: (_distance(m, a), a.first < m.first),
            )
            if not near and action.section == "B" and not action.body:
                # "Ultrasound showed a solid mass in the upper pole of the left kidney": the
                # study's region is the organ its finding is written in.
                near = [a for a in anatomy if a.first > m.last][:1]

            def word(a: Match[CueEntry]) -> BodyWord:
                a_side, a_side_cue = _side_near(text, tokens, a.first, a.last)
                return BodyWord(a.entry.labels, cue(a), a_side, a_side_cue, a.entry.parts)

            if action.body:
                if side is None:
                    # "fundoscopy of the left eye": the side is written by the organ.
                    sided = next(
                        (
                            w
                            for w in map(word, near)
                            if w.side is not None and set(w.labels) & set(action.body)
                        ),
                        None,
                    )
                    if sided is not None:
                        side, side_cue = sided.side, sided.side_cue
                # "sigmoid colectomy": the organ written right before the procedure word
                # names a more precise body part than the word implies (Large Intestine).
                groups[0].extend(
                    replace(word(a), refines=True) for a in near if a.last == m.first - 1
                )
                groups[0].append(BodyWord(action.body, cue(m), side, side_cue))
            else:
                groups[0].extend(word(a) for a in near)
                if (
                    action.section == "B"
                    and previous_body is not None
                    and _joined(tokens, previous_body[0], m)
                ):
                    # "cerebral CT and MRI": the region written for the first is the second's.
                    groups[0][:0] = previous_body[1]
                if action.section == "B" and near:
                    # "chest and abdominal X-rays": one imaging code per coordinated region.
                    groups += [[word(a)] for a in _coordinated(tokens, near[0], anatomy)]
            scope_approach: list[tuple[str, Cue]] = []
            if definitive and not action.scope:
                for s in scopes:
                    if s.entry.approach:
                        scope_approach.append((s.entry.approach, cue(s)))
                    if s.entry.body and not action.body:
                        groups[0].append(BodyWord(s.entry.body, cue(s), None, None))
            plan = Plan(
                section=action.section,
                operation=operation,
                systems=action.systems,
                body=tuple(groups[0]),
                fixed=fixed,
                approach=tuple(
                    [(str(a.entry.value), cue(a)) for a in approaches if a.entry.value]
                    + scope_approach
                ),
                contrast=next(((str(c.entry.value), cue(c)) for c in contrast), None),
                device_labels=tuple((label, cue(d)) for d in devices for label in d.entry.labels),
                qualifier_labels=tuple(
                    (label, cue(q))
                    for q in qualifiers
                    for label in (q.entry.labels or (str(q.entry.value),))
                ),
            )
            if action.section == "B":
                previous_body = (m, groups[0])
            for group in groups:
                statements.append(
                    Statement(action, cue(m), replace(plan, body=tuple(group)), side, why)
                )
        return statements


_CONNECTORS = frozenset({"and", "or", "the", "simple", "plain", "of"})


def _coordinated(
    tokens: Sequence[Token], first: Match[CueEntry], anatomy: Sequence[Match[CueEntry]]
) -> list[Match[CueEntry]]:
    """Anatomy mentions joined to ``first`` by "and", "or" or commas only (not ``first``)."""
    chain = [first]
    ordered = sorted(anatomy, key=lambda a: a.first)
    for direction in (1, -1):
        edge = first
        candidates = ordered if direction == 1 else ordered[::-1]
        for a in candidates:
            if (direction == 1 and a.first <= edge.last) or (
                direction == -1 and a.last >= edge.first
            ):
                continue
            lo, hi = (edge.last + 1, a.first) if direction == 1 else (a.last + 1, edge.first)
            gap = [t.norm for t in tokens[lo:hi]]
            if len(gap) > 3 or not all(g in _CONNECTORS for g in gap):
                break
            chain.append(a)
            edge = a
    return [a for a in chain[1:] if a.entry.labels != first.entry.labels]


_HOURS = {"hour": 1, "hours": 1, "hr": 1, "hrs": 1, "h": 1, "day": 24, "days": 24}


_ACTION_JOINERS = frozenset({"and", "or", "the", "a", "an", "ct", "mri", "scan"})


def _joined(tokens: Sequence[Token], first: Match[Action], second: Match[Action]) -> bool:
    """Two procedure words joined by "and"/"or" only ("CT (CT) and MRI")."""
    gap = [t.norm for t in tokens[first.last + 1 : second.first]]
    return len(gap) <= 4 and all(g in _ACTION_JOINERS for g in gap)


def _hours(tokens: Sequence[Token]) -> int | None:
    """The duration written as "<n> hours" or "<n> days" in ``tokens``, in hours."""
    for number, unit in zip(tokens, tokens[1:], strict=False):
        if number.norm.isdigit() and unit.norm in _HOURS:
            return int(number.norm) * _HOURS[unit.norm]
    return None


def _has_phrase(tokens: Sequence[Token], phrase: tuple[str, ...]) -> bool:
    norms = [t.norm for t in tokens]
    n = len(phrase)
    return any(tuple(norms[i : i + n]) == phrase for i in range(len(norms) - n + 1))


def _norm_at(tokens: Sequence[Token], i: int) -> str:
    return tokens[i].norm if 0 <= i < len(tokens) else ""


def _any_before(tokens: Sequence[Token], first: int, words: frozenset[str], reach: int) -> bool:
    return any(_norm_at(tokens, i) in words for i in range(max(first - reach, 0), first))


def _distance(a: Match[Any], b: Match[Any]) -> int:
    if b.first > a.last:
        return b.first - a.last
    if a.first > b.last:
        return a.first - b.last
    return 0


def _side_near(
    text: str, tokens: Sequence[Token], first: int, last: int, after: int = _SIDE_AFTER
) -> tuple[str | None, Cue | None]:
    """The side written next to tokens ``[first, last]`` ("left kidney", "kidney, right")."""
    for i in [*range(first - 1, max(first - _SIDE_BEFORE, 0) - 1, -1)] + [
        *range(first, min(last + after, len(tokens) - 1) + 1)
    ]:
        side = _SIDE_WORDS.get(tokens[i].norm)
        if side is not None:
            return side, Cue(text[tokens[i].start : tokens[i].end], tokens[i].start, tokens[i].end)
    word = text[tokens[last].start : tokens[last].end].lower()
    if word.endswith(("eys", "ngs", "yes", "tes", "sts")):  # kidneys, lungs, eyes, testes
        return "bilateral", None
    return None, None
