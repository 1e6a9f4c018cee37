"""UB-04 revenue codes for the service lines of an 837I: a small, documented mapping.

A hospital's chargemaster assigns every charge its revenue code; medcoder, which sees only
CPT/HCPCS codes, maps them by range to the usual department. The practice file's
``revenue_codes`` (code -> revenue code) overrides any entry. The ranges:

==================  =====  ===================================
CPT / HCPCS          code   department
==================  =====  ===================================
99281-99285          0450   emergency room
99202-99215          0510   clinic
99221-99239          0510   clinic (professional visit billed by the facility)
10004-69990          0360   operating room services
70010-76499          0320   diagnostic radiology
76506-76999          0402   ultrasound
77001-77799          0330   therapeutic radiology
78012-79999          0340   nuclear medicine
80047-89398          0300   laboratory
90460-90474          0771   vaccine administration
90476-90759          0636   drugs requiring detailed coding (vaccine products)
93000-93010          0730   EKG/ECG
96360-96379          0260   IV therapy
97010-97799          0420   physical therapy
J0120-J9999          0636   drugs requiring detailed coding
anything else        0510   clinic
==================  =====  ===================================
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DEFAULT_REVENUE_CODE", "REVENUE_RANGES", "revenue_code_for"]

DEFAULT_REVENUE_CODE = "0510"

#: (first code, last code, revenue code); codes compare as same-length strings.
REVENUE_RANGES: tuple[tuple[str, str, str], ...] = (
    ("99281", "99285", "0450"),
    ("99202", "99215", "0510"),
    ("99221", "99239", "0510"),
    ("10004", "69990", "0360"),
    ("70010", "76499", "0320"),
    ("76506", "76999", "0402"),
    ("77001", "77799", "0330"),
    ("78012", "79999", "0340"),
    ("80047", "89398", "0300"),
    ("90460", "90474", "0771"),
    ("90476", "90759", "0636"),
    ("93000", "93010", "0730"),
    ("96360", "96379", "0260"),
    ("97010", "97799", "0420"),
    ("J0120", "J9999", "0636"),
)


def revenue_code_for(code: str, overrides: Mapping[str, str] | None = None) -> str:
    """The revenue code for a CPT/HCPCS ``code`` (``overrides`` first, then the ranges)."""
    code = code.upper()
    if overrides and code in overrides:
        return overrides[code]
    for first, last, revenue in REVENUE_RANGES:
        if len(code) == len(first) and first <= code <= last and code[0].isdigit() == first[
            0
        ].isdigit():
            return revenue
    return DEFAULT_REVENUE_CODE
