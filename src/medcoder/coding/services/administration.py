"""Administration codes for the drugs given today, and IV hydration.

One *initial* service per encounter (CMS hierarchy: infusion > push > hydration), then
sequential / add-on codes: IM or subcutaneous 96372 (a unit per injection); IV push 96374,
96375 for each further drug; infusion 96365 for the first hour, 96366 per further hour (more
than 30 minutes into it), 96367 for another drug infused; hydration of 31 minutes or more
96360 / 96361, with the saline J-codes by volume.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from medcoder.coding.services.doses import DOSE, units_for
from medcoder.coding.services.lines import LineMaker
from medcoder.coding.services.model import CodedService, ServiceKind
from medcoder.coding.services.scan import Mention, Scanner, minutes_in

__all__ = ["GivenDrug", "administration_lines", "hydration_episodes"]

_HYDRATION = re.compile(
    r"\b(normal saline|ns|lactated ringer'?s|lr|iv fluids?|ivf|fluid bolus|hydration)\b",
    re.IGNORECASE,
)
_SALINE = ("J7030", "J7040", "J7050")  # 1000 cc, 500 mL, 250 cc
_SALINE_PER = ((Decimal(1000), "mL"), (Decimal(500), "mL"), (Decimal(250), "mL"))


@dataclass(frozen=True, slots=True)
class GivenDrug:
    drug_name: str
    mention: Mention
    route: str  # "im", "push", "infusion", "procedure"
    minutes: int | None


def hydration_episodes(scanner: Scanner, infused_contexts: set[int]) -> list[tuple[Mention, int]]:
    found = []
    for mention in scanner.mentions(_HYDRATION, "IV hydration"):
        if mention.context_start in infused_contexts or not _IV_OR_BOLUS.search(mention.context):
            continue
        minutes = minutes_in(mention.after)
        if minutes is None:
            scanner.warnings.append(
                "IV hydration without a documented duration: 96360 needs 31 minutes or more"
            )
            continue
        if minutes < 31:
            scanner.warnings.append(
                f"IV hydration for {minutes} minutes: under 31 minutes it is not billed"
            )
            continue
        found.append((mention, minutes))
        break  # one hydration episode per encounter
    return found


_IV_OR_BOLUS = re.compile(r"\b(iv|intravenous\w*|bolus|infus\w*|hydration|ivf)\b", re.I)


def _additional_hours(minutes: int) -> int:
    """Units of the 'each additional hour' code: an hour counts past 30 minutes into it."""
    return 0 if minutes <= 90 else (minutes - 91) // 60 + 1


def administration_lines(
    maker: LineMaker,
    scanner: Scanner,
    given: list[GivenDrug],
    hydration: list[tuple[Mention, int]],
) -> list[CodedService]:
    lines: list[CodedService] = []
    injections = [g for g in given if g.route == "im"]
    if injections:
        lines.append(
            maker.line(
                "96372",
                ServiceKind.ADMINISTRATION,
                [g.mention for g in injections],
                "IM/subcutaneous injection of "
                + ", ".join(g.drug_name for g in injections)
                + f": one unit per injection ({len(injections)})",
                units=len(injections),
            )
        )
    infusions = [g for g in given if g.route == "infusion"]
    pushes = [g for g in given if g.route == "push"]
    initial_taken = False
    for index, item in enumerate(infusions):
        minutes = item.minutes
        if minutes is not None and minutes <= 15:
            pushes.append(item)
            continue
        if index == 0:
            lines.append(
                maker.line("96365", ServiceKind.ADMINISTRATION, [item.mention],
                           f"IV infusion of {item.drug_name}, initial service"
                           + (f" ({minutes} min)" if minutes else ""))
            )  # fmt: skip
            initial_taken = True
            extra = _additional_hours(minutes or 0)
            if extra:
                lines.append(
                    maker.line("96366", ServiceKind.ADMINISTRATION, [item.mention],
                               f"infusion of {minutes} min: {extra} further hour(s) past "
                               "30 minutes into each", units=extra)
                )  # fmt: skip
            if minutes is None:
                scanner.warnings.append(
                    f"infusion of {item.drug_name} without a documented duration: 96366 "
                    "(further hours) not assessed"
                )
        else:
            lines.append(
                maker.line("96367", ServiceKind.ADMINISTRATION, [item.mention],
                           f"IV infusion of another drug ({item.drug_name}), sequential")
            )  # fmt: skip
    for item in pushes:
        code = "96375" if initial_taken else "96374"
        lines.append(
            maker.line(code, ServiceKind.ADMINISTRATION, [item.mention],
                       f"IV push of {item.drug_name}, "
                       + ("each further drug" if initial_taken else "initial service"))
        )  # fmt: skip
        initial_taken = True
    for mention, minutes in hydration:
        code = "96361" if initial_taken else "96360"
        extra = _additional_hours(minutes) if code == "96360" else max(1, round(minutes / 60))
        lines.append(
            maker.line(code, ServiceKind.ADMINISTRATION, [mention],
                       f"IV hydration {minutes} min"
                       + ("" if code == "96360" else ", after another initial IV service"))
        )  # fmt: skip
        if code == "96360" and extra:
            lines.append(
                maker.line("96361", ServiceKind.ADMINISTRATION, [mention],
                           f"hydration of {minutes} min: {extra} further hour(s)", units=extra)
            )  # fmt: skip
        volume = DOSE.search(mention.context)
        if volume is not None:
            counts = units_for(Decimal(volume[1].replace(",", "")), volume[2], list(_SALINE_PER))
            for saline, n in zip(_SALINE, counts or [], strict=False):
                if n > 0:
                    lines.append(
                        maker.line(saline, ServiceKind.DRUG, [mention],
                                   f"saline {volume[0]} for hydration", units=n)
                    )  # fmt: skip
    return lines
