"""Claims: a coded encounter becomes an 837P/837I file (and a FHIR R4 Claim).

A tour::

    practice = load_practice(Path("examples/practice/practice.yaml"))
    encounter, details = load_claim_file(Path("examples/claims/office_visit_claim.json"))
    claim = build_claim(encounter, details, practice, edits=Editor(kb).edit(encounter))
    batch = batch_for(practice, claim.payer.key, FileControlNumbers().next(),
                      dt.datetime.now())
    text = write_837([claim], batch)              # 837P (or 837I, by the payer's claim type)
    assert validate_x12(text).ok                  # pyx12, zero errors
    fhir = claim_to_fhir(claim, created=dt.date.today())
    OutboxClearinghouse(Path("clearinghouse")).submit(f"{batch.isa13}.837", text)

The core (assembly, writers, state machine) takes values and returns values; reading files,
control-number persistence, submission and the database live at the edges
(:mod:`~medcoder.claims.control`, :mod:`~medcoder.claims.submit`, :mod:`~medcoder.claims.db`).
``medcoder.claims.readers`` (999, 277CA, 835) is a separate subpackage.
"""

from __future__ import annotations

from medcoder.claims.assemble import build_claim
from medcoder.claims.batching import batch_for
from medcoder.claims.control import ControlNumbers, FileControlNumbers, InMemoryControlNumbers
from medcoder.claims.details import ClaimDetails, details_from_dict, load_claim_file
from medcoder.claims.errors import (
    ClaimEditError,
    ClaimError,
    ClaimStateError,
    SubmissionError,
    X12WriteError,
)
from medcoder.claims.fees import FeeSchedule, parse_fee_schedule
from medcoder.claims.fhir import claim_to_fhir
from medcoder.claims.model import Claim, ClaimLine, ClaimType, Frequency
from medcoder.claims.practice import Practice, load_practice, practice_from_dict
from medcoder.claims.state import ClaimStatus, advance
from medcoder.claims.submit import Clearinghouse, OutboxClearinghouse, SftpClearinghouse
from medcoder.claims.x12.envelope import Batch
from medcoder.claims.x12.validate import ValidationReport, validate_x12
from medcoder.claims.x12.write837 import write_837

__all__ = [
    "Batch",
    "Claim",
    "ClaimDetails",
    "ClaimEditError",
    "ClaimError",
    "ClaimLine",
    "ClaimStateError",
    "ClaimStatus",
    "ClaimType",
    "Clearinghouse",
    "ControlNumbers",
    "FeeSchedule",
    "FileControlNumbers",
    "Frequency",
    "InMemoryControlNumbers",
    "OutboxClearinghouse",
    "Practice",
    "SftpClearinghouse",
    "SubmissionError",
    "ValidationReport",
    "X12WriteError",
    "advance",
    "batch_for",
    "build_claim",
    "claim_to_fhir",
    "details_from_dict",
    "load_claim_file",
    "load_practice",
    "parse_fee_schedule",
    "practice_from_dict",
    "validate_x12",
    "write_837",
]
