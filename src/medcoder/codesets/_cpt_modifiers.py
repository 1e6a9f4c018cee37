"""CPT (Level I) modifiers that claim edits need, in medcoder's own words.

The AMA owns CPT and its modifier descriptors, and the vendored HCPCS files carry Level II
modifiers only. NCCI and payment rules turn on a few Level I modifiers (25, 59, 91...), so
medcoder names them itself, the way it words the built-in E/M family. A user who imports a
licensed CPT file gets the official wording from it.
"""

from __future__ import annotations

__all__ = ["CPT_MODIFIERS", "NCCI_PTP_MODIFIERS"]

#: Level I modifier -> medcoder's short wording (not the AMA descriptor).
CPT_MODIFIERS: dict[str, str] = {
    "22": "Increased procedural services beyond the usual",
    "24": "Unrelated E/M service by the same physician during a postoperative period",
    "25": "Significant, separately identifiable E/M service on the day of a procedure",
    "26": "Professional component only",
    "27": "Multiple outpatient hospital E/M encounters on the same date",
    "33": "Preventive service",
    "47": "Anesthesia by the surgeon",
    "50": "Bilateral procedure",
    "51": "Multiple procedures",
    "52": "Reduced services",
    "53": "Discontinued procedure",
    "54": "Surgical care only",
    "55": "Postoperative management only",
    "56": "Preoperative management only",
    "57": "Decision for surgery (E/M service)",
    "58": "Staged or related procedure during the postoperative period",
    "59": "Distinct procedural service",
    "62": "Two surgeons",
    "63": "Procedure on an infant under 4 kg",
    "66": "Surgical team",
    "76": "Repeat procedure by the same physician",
    "77": "Repeat procedure by another physician",
    "78": "Unplanned return to the operating room for a related procedure after surgery",
    "79": "Unrelated procedure by the same physician during the postoperative period",
    "80": "Assistant surgeon",
    "81": "Minimum assistant surgeon",
    "82": "Assistant surgeon when a qualified resident is not available",
    "90": "Reference (outside) laboratory",
    "91": "Repeat clinical diagnostic laboratory test",
    "93": "Synchronous telemedicine service by audio only",
    "95": "Synchronous telemedicine service by audio and video",
}

#: Modifiers that may bypass an NCCI procedure-to-procedure edit whose modifier indicator is 1
#: (NCCI Policy Manual, chapter I, "Modifiers and Modifier Indicators").
NCCI_PTP_MODIFIERS: frozenset[str] = frozenset(
    {"24", "25", "27", "57", "58", "59", "78", "79", "91"}
    | {"E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9"}
    | {"LC", "LD", "LM", "LT", "RC", "RI", "RT"}
    | {"TA", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9"}
    | {"XE", "XP", "XS", "XU"}
)
