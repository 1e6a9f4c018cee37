"""837P / 837I writers: envelopes, HL hierarchy, counts — and pyx12 finds zero errors."""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from medcoder.claims.assemble import build_claim
from medcoder.claims.details import load_claim_file
from medcoder.claims.errors import X12WriteError
from medcoder.claims.model import (
    Address,
    Claim,
    ClaimLine,
    ClaimType,
    Frequency,
    Institutional,
    Person,
    Procedure,
    Relationship,
    Subscriber,
)
from medcoder.claims.practice import load_practice
from medcoder.claims.samples import (
    SAMPLE_BILLING_PROVIDER,
    SAMPLE_PAYER,
    generate_claims,
    sample_batch,
)
from medcoder.claims.x12.segments import amount
from medcoder.claims.x12.validate import validate_x12
from medcoder.claims.x12.write837 import write_837
from medcoder.codesets import KnowledgeBase
from medcoder.edits.engine import Editor

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = ROOT / "examples" / "claims"


def segments(text: str) -> list[list[str]]:
    return [s.strip().split("*") for s in text.split("~") if s.strip()]


def example_claims(kb: KnowledgeBase) -> dict[str, Claim]:
    practice = load_practice(ROOT / "examples" / "practice" / "practice.yaml")
    out = {}
    for path in sorted(CLAIMS.glob("*.json")):
        enc, details = load_claim_file(path)
        out[path.stem] = build_claim(enc, details, practice, edits=Editor(kb).edit(enc))
    return out


class TestExamplesValidate:
    def test_professional_batch(self, kb: KnowledgeBase) -> None:
        claims = example_claims(kb)
        batch = [claims["office_visit_claim"], claims["child_sore_throat_claim"]]
        text = write_837(batch, sample_batch(42))
        report = validate_x12(text)
        assert report.errors == ()
        assert report.ok
        segs = segments(text)
        ids = [s[0] for s in segs]
        assert ids[:4] == ["ISA", "GS", "ST", "BHT"] and ids[-3:] == ["SE", "GE", "IEA"]
        assert segs[0][13] == "000000042" and segs[-1] == ["IEA", "1", "000000042"]
        assert segs[1][6] == "42" and segs[-2] == ["GE", "1", "42"]
        assert segs[2][2] == "0042" and segs[-3][2] == "0042"
        # SE01 counts ST..SE inclusive.
        assert int(segs[-3][1]) == ids.index("SE") - ids.index("ST") + 1
        # HL: provider 1, subscriber 2 (self), subscriber 3 with a child patient 4.
        hls = [s[1:5] for s in segs if s[0] == "HL"]
        assert hls == [["1", "", "20", "1"], ["2", "1", "22", "0"],
                       ["3", "1", "22", "1"], ["4", "3", "23", "0"]]
        clm = [s for s in segs if s[0] == "CLM"]
        assert [c[1:3] for c in clm] == [["OV20260514A", "165"], ["CS20260515B", "129.5"]]
        assert clm[0][5] == "11:B:1"

    def test_replacement_carries_ref_f8(self, kb: KnowledgeBase) -> None:
        claim = example_claims(kb)["office_visit_replacement"]
        text = write_837([claim], sample_batch(7))
        assert validate_x12(text).errors == ()
        segs = segments(text)
        assert [s for s in segs if s[0] == "CLM"][0][5] == "11:B:7"
        assert ["REF", "F8", "2026135000123"] in segs

    def test_institutional_inpatient(self, kb: KnowledgeBase) -> None:
        claim = example_claims(kb)["inpatient_claim"]
        text = write_837([claim], sample_batch(8))
        assert validate_x12(text).errors == ()
        segs = segments(text)
        assert segs[2] == ["ST", "837", "0008", "005010X223A2"]
        clm = [s for s in segs if s[0] == "CLM"][0]
        assert clm[5] == "11:A:1"  # type of bill 111
        assert ["DTP", "434", "RD8", "20260510-20260514"] in segs
        assert ["CL1", "1", "1", "01"] in segs
        assert ["HI", "ABK:J189:::::::Y"] in segs
        assert ["HI", "BBR:5A1955Z:D8:20260510"] in segs
        assert ["SV2", "0120", "", "7400", "DA", "4"] in segs


class TestWriterRules:
    def test_mixed_claim_types_refused(self) -> None:
        p = generate_claims(1)
        i = generate_claims(1, seed=1, claim_type=ClaimType.INSTITUTIONAL)
        with pytest.raises(X12WriteError, match="separate files"):
            write_837(p + i, sample_batch(1))

    def test_duplicate_claim_refused(self) -> None:
        claim = generate_claims(1)[0]
        with pytest.raises(X12WriteError, match=re.escape(f"claim {claim.claim_id} is in the "
                                                          "batch twice")):
            write_837([claim, claim], sample_batch(1))

    def test_delimiter_in_a_value_refused(self) -> None:
        claim = generate_claims(1)[0]
        bad = replace(claim, subscriber=replace(claim.subscriber, member_id="AB~CD"))
        with pytest.raises(X12WriteError, match="contains the delimiter '~'"):
            write_837([bad], sample_batch(1))

    def test_structural_limits_checked_before_writing(self) -> None:
        claim = generate_claims(1)[0]
        too_many = replace(claim, diagnoses=tuple(f"E11{i}" for i in range(13)))
        with pytest.raises(X12WriteError, match="has 13 diagnoses; an 837P carries 1 to 12"):
            write_837([too_many], sample_batch(1))
        line = replace(claim.lines[0], diagnosis_pointers=(len(claim.diagnoses) + 1,))
        with pytest.raises(X12WriteError, match="line 1 needs 1 to 4 diagnosis pointers"):
            write_837([replace(claim, lines=(line,))], sample_batch(1))
        no_ref = replace(claim, frequency=Frequency.VOID, original_claim_reference=None)
        with pytest.raises(X12WriteError, match="needs the original claim reference"):
            write_837([no_ref], sample_batch(1))

    def test_control_number_range(self) -> None:
        with pytest.raises(X12WriteError, match="outside 1..999999999"):
            write_837(generate_claims(1), sample_batch(1_000_000_000))

    @pytest.mark.parametrize(("value", "text"), [
        ("165.00", "165"), ("129.50", "129.5"), ("0.05", "0.05"), ("100", "100"),
        ("1000000.10", "1000000.1")])
    def test_amounts(self, value: str, text: str) -> None:
        assert amount(Decimal(value)) == text

    def test_validator_catches_errors(self) -> None:
        text = write_837(generate_claims(2), sample_batch(3))
        se = next(s for s in segments(text) if s[0] == "SE")
        broken = text.replace(f"SE*{se[1]}*", f"SE*{int(se[1]) - 1}*")
        assert not validate_x12(broken).ok
        assert any("SE count" in e for e in validate_x12(broken).errors)
        assert not validate_x12("not x12 at all").ok


# -- property test: many generated claims, every file validates clean ----------------------

_NAME = st.text(alphabet=string.ascii_uppercase + " '-", min_size=1, max_size=20).filter(
    lambda s: s.strip(" '-") != "")
_DX = st.sampled_from(["E1122", "N1831", "Z794", "I10", "J020", "J189", "E785", "M545",
                       "R0602", "K219", "F329", "S8290XA", "O0990", "Z0000"])
_CODE = st.sampled_from(["99213", "99214", "36415", "85025", "J3420", "G0439", "93000",
                         "99284", "80053"])
_MONEY = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
_DAY = st.dates(min_value=dt.date(2025, 10, 1), max_value=dt.date(2026, 9, 30))


@st.composite
def _address(draw: st.DrawFn) -> Address:
    return Address(
        line1=draw(st.from_regex(r"[1-9][0-9]{0,4} [A-Z]{2,12} (ST|AVE|RD)", fullmatch=True)),
        city=draw(st.from_regex(r"[A-Z]{2,20}", fullmatch=True)),
        state=draw(st.sampled_from(["IL", "NY", "CA", "TX"])),
        postal_code=draw(st.from_regex(r"[0-9]{5}([0-9]{4})?", fullmatch=True)),
        line2=draw(st.none() | st.just("APT 2")),
    )


@st.composite
def _person(draw: st.DrawFn) -> Person:
    return Person(draw(_NAME), draw(_NAME),
                  draw(st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2025, 1, 1))),
                  draw(st.sampled_from("MFU")), draw(_address()))


@st.composite
def _claim(draw: st.DrawFn, number: int, claim_type: ClaimType) -> Claim:
    dx = tuple(draw(st.lists(_DX, min_size=1, max_size=12, unique=True)))
    dos = draw(_DAY)
    claim_id = f"P{number}-{draw(st.from_regex(r'[A-Z0-9]{1,8}', fullmatch=True))}"
    n_lines = draw(st.integers(1, 6))
    lines = []
    for n in range(1, n_lines + 1):
        units = draw(st.integers(1, 99))
        lines.append(ClaimLine(
            number=n, code=draw(_CODE),
            modifiers=tuple(draw(st.lists(st.sampled_from(["25", "59", "LT", "RT", "XS"]),
                                          max_size=4, unique=True))),
            units=units, charge=draw(_MONEY) * units,
            diagnosis_pointers=tuple(draw(st.lists(st.integers(1, len(dx)), min_size=1,
                                                   max_size=4, unique=True))),
            date_of_service=dos, control_number=f"{claim_id}-{n}",
            revenue_code=draw(st.from_regex(r"0[1-9][0-9]{2}", fullmatch=True))
            if claim_type is ClaimType.INSTITUTIONAL else None))
    frequency = draw(st.sampled_from(list(Frequency)))
    relationship = draw(st.sampled_from(list(Relationship)))
    inst = None
    if claim_type is ClaimType.INSTITUTIONAL:
        inpatient = draw(st.booleans())
        end = dos + dt.timedelta(days=draw(st.integers(0, 20)))
        inst = Institutional(
            facility_code="11" if inpatient else "13", statement_from=dos, statement_to=end,
            admission_date=dos if inpatient else None,
            admission_type="1" if inpatient else None,
            admission_source="1" if inpatient else None,
            procedures=tuple(Procedure(c, dos) for c in draw(st.lists(
                st.sampled_from(["0DJ08ZZ", "5A1955Z", "0W9G3ZZ"]), max_size=3, unique=True))),
            present_on_admission=tuple(draw(st.sampled_from(["Y", "N", "U", "W", "1"]))
                                       for _ in dx) if inpatient else ())
    return Claim(
        claim_id=claim_id, claim_type=claim_type, frequency=frequency,
        billing_provider=SAMPLE_BILLING_PROVIDER, payer=SAMPLE_PAYER,
        subscriber=Subscriber(draw(_person()),
                              draw(st.from_regex(r"[A-Z0-9]{2,20}", fullmatch=True)),
                              draw(st.none() | st.just("GRP-9"))),
        relationship=relationship,
        patient=None if relationship is Relationship.SELF else draw(_person()),
        place_of_service=draw(st.sampled_from(["11", "22", "21", "02", "23"])),
        date_of_service=dos, diagnoses=dx, lines=tuple(lines),
        original_claim_reference=None if frequency is Frequency.ORIGINAL else "PCN12345",
        institutional=inst)


@st.composite
def _batch_of_claims(draw: st.DrawFn, claim_type: ClaimType) -> list[Claim]:
    return [draw(_claim(i, claim_type)) for i in range(draw(st.integers(1, 4)))]


# Validating a file takes ~0.1 s: shrinking a failure could take minutes, so the failing
# example is reported as generated.
_NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)


class TestProperty:
    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow], phases=_NO_SHRINK,
              database=None)
    @given(_batch_of_claims(ClaimType.PROFESSIONAL), st.integers(1, 999_999_999))
    def test_every_837p_validates(self, claims: list[Claim], control: int) -> None:
        text = write_837(claims, sample_batch(control))
        assert validate_x12(text).errors == ()
        assert text.count("CLM*") == len(claims)

    @settings(max_examples=20, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow], phases=_NO_SHRINK,
              database=None)
    @given(_batch_of_claims(ClaimType.INSTITUTIONAL), st.integers(1, 999_999_999))
    def test_every_837i_validates(self, claims: list[Claim], control: int) -> None:
        text = write_837(claims, sample_batch(control))
        assert validate_x12(text).errors == ()
        assert text.count("CLM*") == len(claims)

    def test_generated_sample_claims_validate(self) -> None:
        for kind in ClaimType:
            text = write_837(generate_claims(60, seed=5, claim_type=kind), sample_batch(9))
            assert validate_x12(text).errors == ()
