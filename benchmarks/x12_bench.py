"""X12 speed: 837 claims written per second, 835 claims read per second, next to pyx12.

Run: `.venv/bin/python benchmarks/x12_bench.py [--claims 5000] [--validate-claims 300] [--seed 7]
[--database]`.

The claims are made up from a fixed seed by `medcoder.claims.samples.generate_claims` (the 837
part is skipped, with a note, where the claims package has no writer yet). The 835 pays the
same claims (`write_sample_835`: 60% paid, 20% partly paid with coinsurance, 20% denied). For
each file it prints, in claims per second:

- medcoder: writing the 837; reading the 835 into values (`read_835`, envelopes checked,
  amounts as Decimal, balancing); tokenizing the 837 (`read_x12`); planning the posting.
- pyx12 4.0 on the same files: `X12Reader` (segment tokenizer, no loops or values), and
  `x12n_document` (walks its implementation-guide map and validates: the full parse pyx12
  offers), the latter on the first `--validate-claims` claims only because it is slow.
- with `--database`: posting the whole 835 into a fresh SQLite file (read, plan, ledger rows,
  denials, audit event; one transaction).
"""

from __future__ import annotations

import argparse
import io
import logging
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyx12.params
import pyx12.x12file
import pyx12.x12n_document

from medcoder.billing import AdjustmentRules, BilledClaim, BilledLine, StaticCodeTexts, plan_posting
from medcoder.claims.readers import read_835, read_x12
from medcoder.claims.readers.sample_835 import SampleClaim, SampleLine, write_sample_835

OUTCOMES = ("paid", "paid", "paid", "partly_paid", "denied")


def timed(action: Callable[[], Any], repeat: int = 3) -> float:
    """The best of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def sample_claims(count: int, seed: int) -> tuple[list[Any], list[SampleClaim], str | None]:
    """x12out's made-up claims (when the claims package has them) and their 835 view."""
    try:
        from medcoder.claims.samples import generate_claims
    except ImportError as exc:
        note = f"837 skipped: medcoder.claims has no claim generator here ({exc})"
        fallback = [
            SampleClaim(
                f"S{seed}-{n}",
                (
                    SampleLine("99213", Decimal("110.00"), f"S{seed}-{n}-1", ("25",)),
                    SampleLine("36415", Decimal("12.00"), f"S{seed}-{n}-2"),
                ),
                OUTCOMES[n % len(OUTCOMES)],  # type: ignore[arg-type]
            )
            for n in range(count)
        ]
        return [], fallback, note
    claims = generate_claims(count, seed=seed)
    view = [
        SampleClaim(
            claim.claim_id,
            tuple(
                SampleLine(line.code, line.charge, line.control_number, line.modifiers)
                for line in claim.lines
            ),
            OUTCOMES[n % len(OUTCOMES)],  # type: ignore[arg-type]
        )
        for n, claim in enumerate(claims)
    ]
    return claims, view, None


def pyx12_tokenize(path: Path) -> int:
    return sum(1 for _ in pyx12.x12file.X12Reader(str(path)))


def pyx12_validate(path: Path) -> bool:
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    ok: bool = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(), src_file=str(path), fd_997=io.StringIO(), fd_html=None
    )
    return ok


def post_into_sqlite(era: str, view: list[SampleClaim], tmp: Path) -> float:
    """Seconds to post ``era`` into a fresh, migrated SQLite database (encounters seeded)."""
    import datetime as dt
    import os

    from medcoder.billing.store import InMemoryClaimSource, post_835
    from medcoder.store.db import make_engine, make_session_factory, upgrade
    from medcoder.store.models import Encounter, Organization, Patient

    os.environ.setdefault("MEDCODER_ENCRYPTION_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    with factory() as session, session.begin():
        org = Organization(name="bench")
        session.add(org)
        session.flush()
        patient = Patient(
            org_id=org.id, first_name="Bench", last_name="Patient", birth_date=dt.date(1970, 1, 1)
        )
        session.add(patient)
        session.flush()
        encounters = [
            Encounter(org_id=org.id, patient_id=patient.id, date_of_service=dt.date(2026, 5, 1))
            for _ in view
        ]
        session.add_all(encounters)
        session.flush()
        billed = {
            c.patient_control_number.upper(): BilledClaim(
                c.patient_control_number.upper(),
                e.id,
                patient.id,
                sum((ln.charge for ln in c.lines), Decimal(0)),
                tuple(BilledLine(ln.control_number, ln.code, ln.charge) for ln in c.lines),
            )
            for c, e in zip(view, encounters, strict=True)
        }
        org_id = org.id
    start = time.perf_counter()
    with factory() as session, session.begin():
        report = post_835(
            era,
            session=session,
            org_id=org_id,
            claims=InMemoryClaimSource(billed),
            texts=StaticCodeTexts({}, {}),
        )
    seconds = time.perf_counter() - start
    assert report.posted == 1
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--validate-claims", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database", action="store_true", help="also post the 835 into a new SQLite database"
    )
    args = parser.parse_args()
    n, small = args.claims, min(args.validate_claims, args.claims)
    claims, view, note = sample_claims(n, args.seed)
    rows: list[tuple[str, str, float, int]] = []
    tmp = Path(tempfile.mkdtemp(prefix="x12-bench-"))

    era = write_sample_835(view)
    era_small = write_sample_835(view[:small])
    (tmp / "era.835").write_text(era)
    (tmp / "era_small.835").write_text(era_small)
    remittance = read_835(era)[0]
    assert len(remittance.claims) == n and not remittance.warnings

    if claims:
        from medcoder.claims.samples import sample_batch
        from medcoder.claims.x12.write837 import write_837

        batch = sample_batch(1)
        rows.append(
            ("837P write", "medcoder write_837", timed(lambda: write_837(claims, batch)), n)
        )
        text837 = write_837(claims, batch)
        (tmp / "claims.837").write_text(text837)
        (tmp / "claims_small.837").write_text(write_837(claims[:small], batch))
        rows.append(
            (
                "837P read",
                "medcoder read_x12 (tokenize + envelopes)",
                timed(lambda: read_x12(text837)),
                n,
            )
        )
        rows.append(
            (
                "837P read",
                "pyx12 X12Reader (tokenize)",
                timed(lambda: pyx12_tokenize(tmp / "claims.837")),
                n,
            )
        )
        rows.append(
            (
                "837P read",
                "pyx12 x12n_document (map walk + validate)",
                timed(lambda: pyx12_validate(tmp / "claims_small.837"), 1),
                small,
            )
        )

    rows.append(("835 read", "medcoder read_835 (values)", timed(lambda: read_835(era)), n))
    rows.append(
        ("835 read", "medcoder read_x12 (tokenize + envelopes)", timed(lambda: read_x12(era)), n)
    )
    rows.append(
        (
            "835 read",
            "pyx12 X12Reader (tokenize)",
            timed(lambda: pyx12_tokenize(tmp / "era.835")),
            n,
        )
    )
    rows.append(
        (
            "835 read",
            "pyx12 x12n_document (map walk + validate)",
            timed(lambda: pyx12_validate(tmp / "era_small.835"), 1),
            small,
        )
    )
    billed = {
        c.patient_control_number: BilledClaim(
            c.patient_control_number,
            "enc",
            "pat",
            sum((ln.charge for ln in c.lines), Decimal(0)),
            tuple(BilledLine(ln.control_number, ln.code, ln.charge) for ln in c.lines),
        )
        for c in view
    }
    rules, texts = AdjustmentRules.default(), StaticCodeTexts({}, {})
    rows.append(
        (
            "835 post",
            "medcoder plan_posting (pure, no database)",
            timed(lambda: plan_posting(remittance, billed, rules, texts)),
            n,
        )
    )
    if args.database:
        seconds = post_into_sqlite(era, view, tmp)
        rows.append(("835 post", "medcoder post_835 (SQLite file, one transaction)", seconds, n))

    size = len(era) / 1e6
    print(f"{n} claims (seed {args.seed}); 835 file {size:.1f} MB; pyx12 validation on {small}")
    if note:
        print(note)
    print(f"{'file':<11} {'implementation':<44} {'claims/s':>10} {'s':>8}")
    for what, impl, seconds, count in rows:
        print(f"{what:<11} {impl:<44} {count / seconds:>10,.0f} {seconds:>8.3f}")


if __name__ == "__main__":
    main()
