"""Concept lines of the CMS FHIR CodeSystems vendored as FHIR Shorthand (``*.fsh``)."""

from __future__ import annotations

import re

from medcoder.codesets.datafiles import DataDir
from medcoder.errors import DataFileError

__all__ = ["read_fsh_concepts"]

# A concept line: ``* #45 "Charge exceeds fee schedule..."`` (the description never holds '"').
_CONCEPT = re.compile(r'^\* #(\S+) "(.*)"')


def read_fsh_concepts(data: DataDir, name: str) -> dict[str, str]:
    """Code -> display text of every concept in one ``.fsh`` file, in file order.

    Raises:
        DataFileError: the file holds no concept line.
    """
    concepts: dict[str, str] = {}
    with data.open_text(name) as f:
        for line in f:
            match = _CONCEPT.match(line)
            if match:
                concepts[match[1]] = match[2]
    if not concepts:
        raise DataFileError(f"{name} holds no '* #code \"display\"' line", path=name)
    return concepts
