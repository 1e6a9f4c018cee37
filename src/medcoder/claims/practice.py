"""The practice file: who bills, who renders, which payers, what it charges.

A YAML file (see ``examples/practice/practice.yaml`` and docs/claims.md)::

    submitter: {name: EXAMPLE FAMILY MEDICINE, id: "123456789", contact: BILLING OFFICE,
                phone: "5555550100"}
    billing_provider:
      npi: "1234567893"
      name: EXAMPLE FAMILY MEDICINE
      taxonomy: 207Q00000X
      tax_id: "123456789"
      address: {line1: 100 MAIN ST, city: SPRINGFIELD, state: IL, postal_code: "627011234"}
    claim_type: P                      # P (837P) or I (837I); a payer may override it
    rendering_providers:
      - {npi: "9876543213", last_name: WELBY, first_name: MARCUS, taxonomy: 207Q00000X}
    payers:
      - {key: EXAMPLE-PAYER, payer_id: "60054", name: EXAMPLE HEALTH PLAN, filing_code: CI}
    fee_schedule: fee_schedule.csv     # relative to this file
    revenue_codes: {"99284": "0450"}  # 837I: overrides of the built-in mapping

:func:`practice_from_dict` validates the decoded YAML (field paths in the messages);
:func:`load_practice` reads the file and its fee schedule.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from medcoder.claims.fees import FeeSchedule, parse_fee_schedule
from medcoder.claims.model import Address, ClaimType, Payer, Provider
from medcoder.errors import InputError

__all__ = [
    "Practice",
    "PracticeFile",
    "load_practice",
    "npi_is_valid",
    "practice_from_dict",
]


def npi_is_valid(npi: str) -> bool:
    """The NPI check digit (Luhn over ``80840`` + the first nine digits)."""
    if not re.fullmatch(r"\d{10}", npi):
        return False
    total = 0
    for i, ch in enumerate(reversed("80840" + npi[:9])):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10 == int(npi[9])


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class AddressIn(_Model):
    line1: str = Field(min_length=1, max_length=55)
    line2: str | None = Field(default=None, max_length=55)
    city: str = Field(min_length=2, max_length=30)
    state: str = Field(pattern=r"^[A-Z]{2}$")
    postal_code: str = Field(pattern=r"^\d{5}(\d{4})?$", description="5 or 9 digits, no dash")

    def value(self) -> Address:
        return Address(self.line1, self.city, self.state, self.postal_code, self.line2)


class _ProviderIn(_Model):
    npi: str
    taxonomy: str | None = Field(default=None, pattern=r"^[0-9A-Z]{9}X$")

    @field_validator("npi")
    @classmethod
    def _npi(cls, value: str) -> str:
        if not npi_is_valid(value):
            raise ValueError(f"is not a valid NPI (10 digits with a check digit): {value!r}")
        return value


class BillingProviderIn(_ProviderIn):
    name: str = Field(min_length=1, max_length=60)
    tax_id: str = Field(pattern=r"^\d{9}$", description="EIN, 9 digits")
    address: AddressIn

    @field_validator("address")
    @classmethod
    def _zip_plus_4(cls, value: AddressIn) -> AddressIn:
        # 5010 2010AA N403: the billing provider's ZIP code has all nine digits.
        if len(value.postal_code) != 9:
            raise ValueError(f"postal_code must have 9 digits (ZIP+4) for the billing "
                             f"provider, got {value.postal_code!r}")
        return value

    def value(self) -> Provider:
        return Provider(self.npi, self.name, None, self.taxonomy, self.tax_id,
                        self.address.value())


class RenderingProviderIn(_ProviderIn):
    last_name: str = Field(min_length=1, max_length=60)
    first_name: str = Field(min_length=1, max_length=35)

    def value(self) -> Provider:
        return Provider(self.npi, self.last_name, self.first_name, self.taxonomy)


class PayerIn(_Model):
    key: str = Field(min_length=1, description="The name encounters use for this payer")
    payer_id: str = Field(min_length=2, max_length=15, pattern=r"^[0-9A-Za-z]+$")
    name: str = Field(min_length=1, max_length=60)
    filing_code: str = Field(default="CI", pattern=r"^[0-9A-Z]{2}$")
    claim_type: ClaimType | None = None
    receiver_id: str | None = Field(default=None, max_length=15,
                                    description="ISA08/GS03 (default: payer_id)")

    def value(self) -> Payer:
        return Payer(self.key, self.payer_id, self.name, self.filing_code)


class SubmitterIn(_Model):
    name: str = Field(min_length=1, max_length=60)
    id: str = Field(min_length=2, max_length=15, pattern=r"^[0-9A-Za-z]+$")
    contact: str = Field(min_length=1, max_length=60)
    phone: str = Field(pattern=r"^\d{10}$")


class PracticeFile(_Model):
    """The practice file as written (paths still unresolved)."""

    submitter: SubmitterIn
    billing_provider: BillingProviderIn
    claim_type: ClaimType = ClaimType.PROFESSIONAL
    rendering_providers: list[RenderingProviderIn] = Field(default_factory=list)
    payers: list[PayerIn] = Field(min_length=1)
    fee_schedule: str = Field(description="CSV file, relative to the practice file")
    revenue_codes: dict[str, str] = Field(default_factory=dict)
    usage: Literal["P", "T"] = Field(default="P", description="ISA15: P production, T test")


class Practice:
    """A validated practice with its fee schedule, ready for claim assembly."""

    def __init__(self, spec: PracticeFile, fees: FeeSchedule) -> None:
        self.spec = spec
        self.fees = fees
        self.billing_provider = spec.billing_provider.value()
        self.rendering_providers = {p.npi: p.value() for p in spec.rendering_providers}
        self._payers = {p.key: p for p in spec.payers}

    @property
    def submitter_name(self) -> str:
        return self.spec.submitter.name

    @property
    def submitter_id(self) -> str:
        return self.spec.submitter.id

    @property
    def payer_keys(self) -> tuple[str, ...]:
        return tuple(self._payers)

    def payer(self, key: str | None) -> PayerIn:
        """The payer entry for ``key`` (the only payer when ``key`` is None and there is one).

        Raises:
            InputError: unknown payer, or several payers and none named.
        """
        if key is None:
            if len(self._payers) == 1:
                return next(iter(self._payers.values()))
            raise InputError(f"the encounter names no payer; the practice has {len(self._payers)}"
                             f" ({', '.join(self._payers)})", field="payer")
        found = self._payers.get(key)
        if found is None:
            raise InputError(f"payer {key!r} is not in the practice file (known: "
                             f"{', '.join(self._payers)})", field="payer")
        return found

    def claim_type_for(self, payer: PayerIn) -> ClaimType:
        return payer.claim_type or self.spec.claim_type


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def practice_from_dict(data: Any, fees: FeeSchedule) -> Practice:
    """Validate a decoded practice file.

    Raises:
        InputError: the first problem with its field path (``payers[0].payer_id``).
    """
    try:
        spec = PracticeFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _path(tuple(first["loc"]))
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise InputError(f"'{where}' {msg}, got {first.get('input')!r}", field=where) from exc
    rendering = {p.npi for p in spec.rendering_providers}
    if len(rendering) != len(spec.rendering_providers):
        raise InputError("a rendering provider NPI is listed twice", field="rendering_providers")
    if len({p.key for p in spec.payers}) != len(spec.payers):
        raise InputError("a payer key is listed twice", field="payers")
    return Practice(spec, fees)


def load_practice(path: Path) -> Practice:
    """Read a practice YAML file and the fee schedule CSV it names.

    Raises:
        InputError: unreadable or invalid file (the message names the file and field).
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read practice file {path}: {exc.strerror}",
                         field="practice") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {exc}", field="practice") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top", field="practice")
    fee_name = data.get("fee_schedule")
    if not isinstance(fee_name, str):
        raise InputError(f"{path}: 'fee_schedule' must name a CSV file", field="fee_schedule")
    fee_path = (path.parent / fee_name) if not Path(fee_name).is_absolute() else Path(fee_name)
    try:
        fee_text = fee_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read fee schedule {fee_path}: {exc.strerror}",
                         field="fee_schedule") from exc
    try:
        return practice_from_dict(data, parse_fee_schedule(fee_text, source=str(fee_path)))
    except InputError as exc:
        raise InputError(f"{path}: {exc}", field=exc.field) from exc
