"""Find Alphabetic Index entries in a span of note text, the way a coder reads it.

For every main term whose head words occur in the span, walk down the subterms whose words
occur *near* the words matched so far (subterm order in the note does not matter: "acute on
chronic diastolic heart failure" walks Failure -> heart -> diastolic -> acute -> and (on)
chronic). Connector subterms ("with", "due to", "in") need no words of their own. The deepest
entry that carries a code wins; its path is the rationale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from medcoder.coding.index_lexicon import IndexLexicon, IndexNode
from medcoder.coding.text import STOPWORDS, Token

__all__ = ["IndexMatch", "IndexMatcher"]

#: How far (in tokens) a subterm's word may be from the words already matched.
WINDOW = 6
#: Nodes with more children than this look their children up by word instead of scanning.
_SCAN_CHILDREN = 24
#: Cross-references followed within one walk (guards against see-loops).
_MAX_SEE_HOPS = 12
#: How far apart the words of one entry may be ("acute on chronic" -> acute ... chronic).
_WITHIN_ENTRY = 3


@dataclass(frozen=True, slots=True)
class IndexMatch:
    """A walk from a main term to the deepest supported entry."""

    path: tuple[IndexNode, ...]
    code: str | None  # from the deepest entry on the path that has one (may end in "-")
    see: str | None  # a cross-reference on the deepest entry, when it has no code
    token_indexes: tuple[int, ...]  # positions in the span's token list
    words: int  # how many required words matched (support)
    title: str = ""  # set when the match is a Tabular title / inclusion term, not an Index walk

    @property
    def rationale(self) -> str:
        if self.title:
            return f"Tabular title: {self.title}"
        return "Index: " + ", ".join(n.term for n in self.path)


class IndexMatcher:
    """Matches a lexicon against token lists."""

    def __init__(self, lexicon: IndexLexicon, window: int = WINDOW) -> None:
        self.lexicon = lexicon
        self.window = window
        self._child_index: dict[int, dict[str, list[int]]] = {}

    @staticmethod
    def positions(tokens: Sequence[Token]) -> dict[str, list[int]]:
        """Where each content word of ``tokens`` occurs."""
        found: dict[str, list[int]] = {}
        for i, token in enumerate(tokens):
            if token.norm not in STOPWORDS:
                found.setdefault(token.norm, []).append(i)
        return found

    def match(self, tokens: Sequence[Token]) -> list[IndexMatch]:
        """All main-term walks supported by ``tokens`` (one span: a sentence or list item)."""
        positions = self.positions(tokens)
        matches: list[IndexMatch] = []
        seen: set[tuple[int, int]] = set()
        for i, token in enumerate(tokens):
            for node_id, head in self.lexicon.heads.get(token.norm, ()):
                used = self._place(head, positions, [i])
                if used is None or (node_id, min(used)) in seen:
                    continue
                seen.add((node_id, min(used)))
                node = self.lexicon.nodes[node_id]
                bonus = sum(1 for w in node.optional if w in positions)
                score, path, chain = self.walk(node, positions, used)
                full_path = (node, *path)
                code, see = self._code_of(full_path)
                matches.append(
                    IndexMatch(
                        path=full_path,
                        code=code,
                        see=see,
                        token_indexes=tuple(sorted(set(chain))),
                        words=len(head) + score + bonus,
                    )
                )
        return matches

    def _place(
        self, words: Sequence[str], positions: dict[str, list[int]], anchor: list[int]
    ) -> list[int] | None:
        """Positions for ``words`` each within the window of the anchor positions, or None."""
        used: list[int] = []
        for word in words:
            # The first word of an entry may sit anywhere near the walk so far; the entry's
            # further words must sit next to its own ("stage 3b", not "type 2 ... stage").
            near, limit = (anchor, self.window) if not used else (used, _WITHIN_ENTRY)
            best: int | None = None
            best_distance = limit + 1
            for p in positions.get(word, ()):
                distance = min(abs(p - a) for a in near)
                if distance < best_distance:
                    best, best_distance = p, distance
            if best is None:
                return None
            used.append(best)
        return used

    def walk(
        self,
        node: IndexNode,
        positions: dict[str, list[int]],
        chain: list[int],
        depth: int = 0,
    ) -> tuple[int, list[IndexNode], list[int]]:
        """Best-supported path below ``node``: (words matched, nodes, token positions).

        ``positions`` maps each normalised word of the span to where it occurs; ``chain`` holds
        the positions already matched, which later words must stay near.
        """
        best: tuple[int, list[IndexNode], list[int]] = (0, [], chain)
        for child_id in self._children_worth_trying(node, positions):
            child = self.lexicon.nodes[child_id]
            if child.connector:
                score, path, used = self.walk(child, positions, chain, depth)
                if score > 0 and (score, len(path) + 1) > (best[0], len(best[1])):
                    best = (score, [child, *path], used)
                continue
            placed = None
            for alternative in child.alternatives:
                placed = self._place(alternative, positions, chain)
                if placed is not None:
                    break
            if placed is None:
                continue
            bonus = sum(1 for w in child.optional if w in positions)
            below = child
            if child.see and not child.code and not child.children and depth < _MAX_SEE_HOPS:
                # A pure cross-reference ("malleolus - see Fracture, ankle"): continue the walk
                # below its target, as a coder turns to the entry it names.
                target = self.lexicon.find_path(child.see)
                if target is not None and target is not child:
                    below = target
            score, path, used = self.walk(below, positions, chain + placed, depth + 1)
            total = len(placed) + bonus + score
            if (total, len(path) + 1) > (best[0], len(best[1])):
                best = (total, [child, *path], used)
        return best

    def _children_worth_trying(self, node: IndexNode, positions: dict[str, list[int]]) -> list[int]:
        """Children that could match: connectors, and entries whose first word is present.

        Main terms like "Disease" have a thousand subterms; looking them up by word keeps a
        walk proportional to the words of the sentence, not to the size of the Index.
        """
        if len(node.children) <= _SCAN_CHILDREN:
            return node.children
        by_word = self._child_index.get(node.id)
        if by_word is None:
            by_word = {}
            for child_id in node.children:
                child = self.lexicon.nodes[child_id]
                keys = {alt[0] for alt in child.alternatives} or {""}
                for key in keys:
                    by_word.setdefault(key, []).append(child_id)
            self._child_index[node.id] = by_word
        found = set(by_word.get("", ()))
        for word in positions:
            found.update(by_word.get(word, ()))
        return sorted(found)

    @staticmethod
    def _code_of(path: Sequence[IndexNode]) -> tuple[str | None, str | None]:
        for node in reversed(path):
            if node.code:
                return node.code, None
            if node.see and node is path[-1]:
                return None, node.see
        return None, path[-1].see or path[-1].see_also
