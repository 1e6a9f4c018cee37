"""X12 readers: the tokenizer and the 835 remittance, 999 and 277CA acknowledgement readers.

A short tour::

    from medcoder.claims.readers import read_835, read_acknowledgements
    for remittance in read_835(text):            # all or nothing: X12ParseError names the segment
        for claim in remittance.claims:
            claim.patient_control_number, claim.status, claim.paid, claim.adjustments
    read_acknowledgements(text_999_or_277)       # FunctionalGroupAck | ClaimAcknowledgement
"""

from medcoder.claims.readers.ack277 import (
    ClaimAcknowledgement,
    ClaimStatus,
    LineStatus,
    StatusCode,
    read_277ca,
)
from medcoder.claims.readers.ack999 import (
    ElementError,
    FunctionalGroupAck,
    SegmentError,
    TransactionAck,
    read_999,
)
from medcoder.claims.readers.acknowledgements import Acknowledgement, read_acknowledgements
from medcoder.claims.readers.errors import X12ParseError
from medcoder.claims.readers.remittance import (
    Adjustment,
    ClaimPayment,
    Party,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from medcoder.claims.readers.remittance_reader import read_835
from medcoder.claims.readers.tokenizer import Segment, Separators, Transaction, X12File, read_x12

__all__ = [
    "Acknowledgement",
    "Adjustment",
    "ClaimAcknowledgement",
    "ClaimPayment",
    "ClaimStatus",
    "ElementError",
    "FunctionalGroupAck",
    "LineStatus",
    "Party",
    "ProviderAdjustment",
    "Remittance",
    "Segment",
    "SegmentError",
    "Separators",
    "ServicePayment",
    "StatusCode",
    "Transaction",
    "TransactionAck",
    "X12File",
    "X12ParseError",
    "read_277ca",
    "read_835",
    "read_999",
    "read_acknowledgements",
    "read_x12",
]
