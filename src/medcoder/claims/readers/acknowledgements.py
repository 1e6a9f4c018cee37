"""One entry point for acknowledgement files: 999s and 277CAs, told apart by their ST01."""

from __future__ import annotations

from medcoder.claims.readers.ack277 import ClaimAcknowledgement, claim_ack_from_transaction
from medcoder.claims.readers.ack999 import FunctionalGroupAck, ack_from_transaction
from medcoder.claims.readers.errors import X12ParseError
from medcoder.claims.readers.tokenizer import read_x12

__all__ = ["Acknowledgement", "read_acknowledgements"]

Acknowledgement = FunctionalGroupAck | ClaimAcknowledgement


def read_acknowledgements(text: str) -> tuple[Acknowledgement, ...]:
    """Every 999 and 277 transaction of an X12 file, all or nothing.

    Raises:
        X12ParseError: malformed X12, or a transaction that is neither a 999 nor a 277.
    """
    found: list[Acknowledgement] = []
    for tx in read_x12(text).transactions:
        if tx.set_id == "999":
            found.append(ack_from_transaction(tx))
        elif tx.set_id == "277":
            found.append(claim_ack_from_transaction(tx))
        else:
            raise X12ParseError(
                f"transaction {tx.control_number} is a {tx.set_id}, not a 999 or 277 "
                "acknowledgement",
                segment="ST",
                position=tx.position,
            )
    return tuple(found)
