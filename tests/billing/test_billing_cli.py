"""`medcoder remit post` and `medcoder remit denials` on a real database (both backends)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from billing_factories import (
    REMIT_DATA,
    Practice,
    SmtpInbox,
    smtp_inbox_fixture,  # noqa: F401 (the fixture)
    store_claims,
)
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from medcoder.cli import app
from medcoder.codesets import KnowledgeBase
from medcoder.store.billing_models import LedgerEntryRecord
from medcoder.store.claims_models import ClaimRecord

runner = CliRunner()
PRACTICE_FILE = Path(__file__).resolve().parents[2] / "examples" / "practice" / "practice.yaml"


@pytest.fixture
def practice(session_factory: sessionmaker[Session], kb: KnowledgeBase) -> Practice:
    practice = Practice(session_factory)
    store_claims(practice)
    return practice


def invoke(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout, stderr; Rich wraps at 80 columns, so text output comes back with
    its whitespace collapsed (JSON output is left as it is)."""
    result = runner.invoke(app, list(args))
    if "--json" in args:
        return result.exit_code, result.stdout, " ".join(result.stderr.split())
    return result.exit_code, " ".join(result.stdout.split()), " ".join(result.stderr.split())


def test_post_then_post_again_then_denials(practice: Practice, db_url: str) -> None:
    era = str(REMIT_DATA / "era_mixed.835")
    common = ("--org", practice.org_id, "--database-url", db_url)
    code, out, err = invoke("remit", "post", era, *common, "--json")
    assert code == 0, err
    (posting,) = json.loads(out)
    assert posting["duplicate"] is False
    assert [(c["claim_id"], c["outcome"]) for c in posting["claims"]] == [
        ("PCN1001", "paid"),
        ("PCN1002", "partially_paid"),
        ("PCN1003", "denied"),
    ]
    assert posting["claims"][2]["denials"][0]["carc"] == "16"
    entries = practice.count(LedgerEntryRecord)
    code, out, _ = invoke("remit", "post", era, *common)
    assert code == 0
    assert "already posted" in out
    assert practice.count(LedgerEntryRecord) == entries
    code, out, _ = invoke("remit", "denials", *common, "--json")
    assert code == 0
    (denial,) = json.loads(out)
    assert (denial["claim_id"], denial["carc"], denial["amount"]) == ("PCN1003", "16", "250.00")
    assert denial["carc_text"].startswith("Claim/service lacks information")
    assert [r["code"] for r in denial["remarks"]] == ["M51", "N290", "MA130"]
    assert "frequency 7" in denial["action_text"]
    code, out, _ = invoke("remit", "denials", *common)
    assert code == 0 and "PCN1003" in out
    with practice.factory() as s:
        statuses = {
            r.patient_control_number.upper(): r.status
            for r in s.query(ClaimRecord).filter(ClaimRecord.org_id == practice.org_id)
        }
    assert statuses == {"PCN1001": "paid", "PCN1002": "partially_paid", "PCN1003": "denied"}


def test_malformed_file_posts_nothing(practice: Practice, db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.835"
    bad.write_text((REMIT_DATA / "era_mixed.835").read_text().replace("SE*52*", "SE*9*"))
    code, out, err = invoke(
        "remit", "post", str(bad), "--org", practice.org_id, "--database-url", db_url
    )
    assert code == 2
    assert "segment count 9 does not match" in err
    assert practice.count(LedgerEntryRecord) == 0


def test_several_organizations_need_org(practice: Practice, db_url: str) -> None:
    Practice(practice.factory)  # a second organization
    code, _, err = invoke(
        "remit", "post", str(REMIT_DATA / "era_mixed.835"), "--database-url", db_url
    )
    assert code == 2
    assert "several organizations: pass --org" in err
    code, _, err = invoke("remit", "denials", "--org", "nope", "--database-url", db_url)
    assert code == 2 and "no organization 'nope'" in err


def test_ack_post_moves_claims(practice: Practice, db_url: str) -> None:
    common = ("--org", practice.org_id, "--database-url", db_url)
    code, out, err = invoke("ack", "post", str(REMIT_DATA / "claimack.277"), *common, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert [(c["claim_id"], c["after"]) for c in result["changes"]] == [
        ("PCN1001", "accepted"),
        ("pcn1002", "rejected"),
    ]
    code, out, _ = invoke("ack", "post", str(REMIT_DATA / "claimack.277"), *common)
    assert code == 0 and "no claim changed status" in out


def test_resolve_a_denial(practice: Practice, db_url: str) -> None:
    common = ("--org", practice.org_id, "--database-url", db_url)
    invoke("remit", "post", str(REMIT_DATA / "era_mixed.835"), *common)
    _, out, _ = invoke("remit", "denials", *common, "--json")
    (denial,) = json.loads(out)
    code, _, err = invoke("remit", "resolve", denial["id"], "billed_patient", *common)
    assert code == 2 and "may not be billed to the patient" in err
    code, out, _ = invoke("remit", "resolve", denial["id"], "appealed", *common)
    assert code == 0 and "appealed" in out
    _, out, _ = invoke("remit", "denials", *common, "--json")
    assert json.loads(out) == []


def test_statement_and_reminders(
    practice: Practice, db_url: str, tmp_path: Path, smtp_inbox: tuple[SmtpInbox, int]
) -> None:
    inbox, port = smtp_inbox
    common = ("--org", practice.org_id, "--database-url", db_url)
    invoke("remit", "post", str(REMIT_DATA / "era_mixed.835"), *common)
    patient = practice.patients["PCN1002"]
    html, pdf = tmp_path / "s.html", tmp_path / "s.pdf"
    code, out, err = invoke(
        "remit",
        "statement",
        patient,
        "--html",
        str(html),
        "--pdf",
        str(pdf),
        "--practice",
        str(PRACTICE_FILE),
        *common,
    )
    assert code == 0, err
    assert "balance 60.00" in out
    assert "EXAMPLE FAMILY MEDICINE" in html.read_text() and pdf.read_bytes()[:5] == b"%PDF-"
    later = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    args = (
        "remit",
        "remind",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(port),
        "--no-starttls",
        "--from",
        "billing@example.org",
        "--on",
        later,
        *common,
    )
    code, out, err = invoke(*args, "--json")
    assert code == 0, err
    assert json.loads(out)["sent"] == [[patient, "reminder"]]
    assert len(inbox.messages) == 1
    code, out, _ = invoke(*args)
    assert code == 0 and "0 reminder(s) sent" in out
