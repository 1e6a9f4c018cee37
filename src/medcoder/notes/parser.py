"""``parse_note``: a document becomes a :class:`Note` (sections, sentences, list items)."""

from __future__ import annotations

from functools import lru_cache

from medcoder.notes.document import Document
from medcoder.notes.model import ListItem, Note, Sentence
from medcoder.notes.sections import SectionFinder
from medcoder.notes.sentences import split_sentences

__all__ = ["parse_note"]


@lru_cache(maxsize=1)
def _default_finder() -> SectionFinder:
    return SectionFinder()


def parse_note(document: Document, *, sections: SectionFinder | None = None) -> Note:
    """Split a document into sections, then each section body into sentences and list items.

    Args:
        document: The note as read by :func:`~medcoder.notes.read_document`.
        sections: A section finder with other rules; the packaged US headings by default.

    Returns:
        The note; every span is a pair of offsets into ``document.text``.

    Example:
        >>> note = parse_note(Document("HPI: Cough for 3 days.\\nA/P: Bronchitis."))
        >>> note.section_at(30).name, note.text_of(note.sentences[0])
        ('assessment_and_plan', 'Cough for 3 days.')
    """
    finder = sections if sections is not None else _default_finder()
    found = finder.find(document.text)
    sentences: list[Sentence] = []
    items: list[ListItem] = []
    for section in found:
        section_sentences, section_items = split_sentences(
            document.text, section.body_start, section.end
        )
        sentences.extend(section_sentences)
        items.extend(section_items)
    return Note(document, tuple(found), tuple(sentences), tuple(items))
