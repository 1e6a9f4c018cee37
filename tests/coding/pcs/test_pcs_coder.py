"""ICD-10-PCS coding from procedure statements: exact codes, partials and queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcoder.codesets.kb import KnowledgeBase
from medcoder.coding.pcs import PcsCoder, PcsResult, code_pcs
from medcoder.coding.pcs.reliability import Reliability
from medcoder.notes import parse_note, read_document

DATA = Path(__file__).resolve().parents[2] / "data" / "pcs_notes"


@pytest.fixture(scope="module")
def coder(kb: KnowledgeBase) -> PcsCoder:
    """The engine with its default scores (not the CodiEsp-learned ones): what it builds."""
    return PcsCoder(kb, reliability=Reliability())


def _code(coder: PcsCoder, text: str) -> PcsResult:
    return coder.code(parse_note(read_document(text, setting="inpatient")))


class TestCompleteCodes:
    @pytest.mark.parametrize(
        ("statement", "code"),
        [
            ("Laparoscopic appendectomy was performed.", "0DTJ4ZZ"),
            ("Open reduction internal fixation of the left distal radius.", "0PSJ04Z"),
            ("Percutaneous coronary angioplasty with drug-eluting stent of LAD.", "027034Z"),
            ("Colonoscopy with biopsy of the sigmoid colon.", "0DBN8ZX"),
            ("Colonoscopy with biopsy.", "0DBE8ZX"),
            ("Right total knee arthroplasty, cemented.", "0SRC0J9"),
            ("Low transverse cesarean section.", "10D00Z1"),
            ("CT of the abdomen without contrast.", "BW20ZZZ"),
            ("A chest X-ray showed bilateral infiltrates.", "BW03ZZZ"),
            ("Abdominal ultrasound was normal.", "BW40ZZZ"),
            ("ECG showed sinus rhythm.", "4A02X4Z"),
            ("Laparoscopic cholecystectomy.", "0FT44ZZ"),
            ("Lumbar puncture was performed.", "009U3ZX"),
            ("Ultrasound-guided biopsy of the liver.", "0FB03ZX"),
            ("Bilateral renal ultrasound.", "BT43ZZZ"),
            ("Colonoscopy showed diverticula.", "0DJD8ZZ"),
            ("Echocardiogram showed a normal ejection fraction.", "B246ZZZ"),
            ("Renal ultrasound showed hydronephrosis.", "BT43ZZZ"),
            ("Left ilioinguinal nerve block was performed.", "3E0T3BZ"),
            ("Transesophageal echocardiography showed vegetations.", "B246ZZ4"),
            ("She received intravenous chemotherapy with cisplatin.", "3E03305"),
            ("Right inguinal hernia repair, open.", "0YQ50ZZ"),
            ("Placement of a right internal jugular central venous catheter.", "02HV33Z"),
            ("PEG tube placement.", "0DH64UZ"),
            ("Continuous venovenous hemodiafiltration was started.", "5A1D90Z"),
            ("Total abdominal hysterectomy.", "0UT90ZZ"),
            ("Thoracentesis, right.", "0W993ZZ"),
            ("A left double J catheter was placed by cystoscopy.", "0T778DZ"),
            ("FNA of the right parotid gland.", "0CB83ZX"),
            ("Skin biopsy of the right foot showed vasculitis.", "0HBMXZX"),
            ("He was treated with primary PCI and DES to the mid RCA.", "027034Z"),
            ("Open sigmoid colectomy was performed.", "0DTN0ZZ"),
            ("Closed reduction of the R distal radius.", "0PSHXZZ"),
            ("Percutaneous radiofrequency ablation of the liver lesion.", "0F503ZZ"),
            ("EGD with endoscopic hemostasis of a bleeding duodenal ulcer.", "0W3P8ZZ"),
            ("Synchronized cardioversion restored sinus rhythm.", "5A2204Z"),
            ("CPR was started and ROSC was achieved after 10 minutes.", "5A12012"),
            ("Incision and drainage of a left axillary abscess, open.", "0X950ZZ"),
            ("Excision of the skin lesion on the scalp.", "0HB0XZZ"),
        ],
    )
    def test_statement_gives_exact_code(self, coder: PcsCoder, statement: str, code: str) -> None:
        result = _code(coder, statement)
        assert result.codes == (code,)
        suggestion = result.suggestions[0]
        assert suggestion.complete and suggestion.assigned
        assert not result.queries

    def test_coordinated_regions_give_one_imaging_code_each(self, coder: PcsCoder) -> None:
        result = _code(coder, "Chest and abdominal X-rays are normal.")
        assert set(result.codes) == {"BW03ZZZ", "BW00ZZZ"}

    def test_combined_region_with_a_table_value_is_one_code(self, coder: PcsCoder) -> None:
        assert _code(coder, "CT of the abdomen-pelvis revealed a mass.").codes == ("BW21",)
        assert _code(coder, "Reno-vesical radiograph showed stones.").codes == ("BT04ZZZ",)

    def test_side_of_a_finding_is_not_the_procedure_side(self, coder: PcsCoder) -> None:
        result = _code(coder, "An intravenous urography showed right ureteral dilation.")
        assert result.codes == ("BT14",)

    def test_imaging_region_from_its_finding(self, coder: PcsCoder) -> None:
        text = "Ultrasound showed a solid mass of 3 cm in the upper pole of the left kidney."
        assert _code(coder, text).codes == ("BT42ZZZ",)

    def test_eye_side_abbreviation(self, coder: PcsCoder) -> None:
        assert _code(coder, "Fundoscopy of the left eye (OS) was normal.").codes == ("08J1XZZ",)

    def test_both_eyes_give_one_code_per_eye(self, coder: PcsCoder) -> None:
        result = _code(coder, "Fundus examination of both eyes was normal.")
        assert set(result.codes) == {"08J0XZZ", "08J1XZZ"}

    def test_rationale_names_root_operation_definition_and_code(self, coder: PcsCoder) -> None:
        s = _code(coder, "Laparoscopic appendectomy was performed.").suggestions[0]
        assert s.rationale.startswith("Resection: whole appendix removed")
        assert "approach Percutaneous Endoscopic (4) from 'Laparoscopic'" in s.rationale
        assert s.rationale.endswith("-> 0DTJ4ZZ")
        assert [a.value for a in s.axes] == list("0DTJ4ZZ")
        assert s.axes[2].label == "Resection"
        assert s.axes[4].basis == "note"

    def test_repair_with_mesh_is_supplement(self, coder: PcsCoder) -> None:
        result = _code(coder, "Right inguinal hernia repair with mesh, open.")
        assert result.codes == ("0YU50JZ",)
        assert result.suggestions[0].rationale.startswith("Supplement")

    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("He required mechanical ventilation for 5 days.", "5A1955Z"),
            ("Mechanical ventilation for 48 hours.", "5A1945Z"),
            ("Mechanical ventilation for 12 hours.", "5A1935Z"),
        ],
    )
    def test_ventilation_hours_give_the_duration(
        self, coder: PcsCoder, text: str, code: str
    ) -> None:
        result = _code(coder, text)
        assert result.codes == (code,)
        assert "duration" in result.suggestions[0].rationale

    def test_partial_removal_is_excision_not_resection(self, coder: PcsCoder) -> None:
        result = _code(coder, "Laparoscopic partial gastrectomy.")
        assert result.codes == ("0DB64ZZ",)
        assert result.suggestions[0].rationale.startswith("Excision")


class TestQueries:
    def test_missing_approach_gives_partial_and_query(self, coder: PcsCoder) -> None:
        result = _code(coder, "Appendectomy.")
        assert result.codes == ("0DTJ",)
        assert not result.suggestions[0].complete
        (query,) = result.queries
        assert query.axis == "Approach" and query.position == 5 and query.prefix == "0DTJ"
        assert {v for v, _ in query.candidates} == {"0", "4", "7", "8"}
        assert "approach" in query.message

    def test_missing_laterality_gives_query_and_unassigned_sides(self, coder: PcsCoder) -> None:
        result = _code(coder, "Open reduction internal fixation of the distal radius.")
        assert result.assigned == ()
        # Each side's code is ranked for review, never assigned.
        assert set(result.codes) == {"0PSH04Z", "0PSJ04Z"}
        assert all(s.score < 0.5 for s in result.suggestions)
        (query,) = result.queries
        assert query.axis == "Body Part (laterality)"
        assert {label for _, label in query.candidates} == {"Right Radius", "Left Radius"}

    def test_skin_labels_only_for_skin_procedures(self, coder: PcsCoder) -> None:
        result = _code(coder, "Excision of a lesion of the right foot.")
        assert result.codes == ("0YBM",)  # the foot region, not the foot skin

    def test_biopsy_of_the_mouth(self, coder: PcsCoder) -> None:
        result = _code(coder, "Biopsy of the oral mucosa showed lichen planus.")
        assert result.codes == ("0CB4",)
        assert result.queries[0].axis == "Approach"

    def test_missing_contrast_gives_imaging_partial(self, coder: PcsCoder) -> None:
        result = _code(coder, "CT of the abdomen.")
        assert result.codes == ("BW20",)
        assert result.queries[0].axis == "Contrast"
        assert ("Z", "None") in result.queries[0].candidates

    def test_ct_with_contrast_of_unknown_kind_still_queries(self, coder: PcsCoder) -> None:
        result = _code(coder, "Chest CT with contrast.")
        assert result.codes == ("BW24",)
        assert {v for v, _ in result.queries[0].candidates} == {"0", "1", "Y", "Z"}

    def test_cesarean_without_incision_type_queries_the_qualifier(self, coder: PcsCoder) -> None:
        result = _code(coder, "Cesarean section.")
        assert result.codes == ("10D0",)
        assert result.queries[0].axis == "Qualifier"
        assert {v for v, _ in result.queries[0].candidates} == {"0", "1", "2"}

    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("Mesenteric angiography showed occlusion.", "B414"),
            ("Coronary angiography showed three-vessel disease.", "B211"),
            ("Angio-CT of the abdominal aorta was performed.", "B420"),
            ("She received radiotherapy to the lung.", "DB02"),
            ("Thyroid scintigraphy showed a cold nodule.", "CG12"),
        ],
    )
    def test_other_sections_stop_at_the_undocumented_axis(
        self, coder: PcsCoder, text: str, code: str
    ) -> None:
        result = _code(coder, text)
        assert result.codes == (code,)
        assert result.queries[0].position == 5

    def test_dilation_without_device_words_queries_the_device(self, coder: PcsCoder) -> None:
        result = _code(coder, "Chest pain free after PCI.")
        assert result.codes == ("0270",)
        assert result.queries[0].axis == "Device"
        assert "D" in {v for v, _ in result.queries[0].candidates}

    def test_chemotherapy_without_route_is_a_query_not_a_code(self, coder: PcsCoder) -> None:
        result = _code(coder, "She received chemotherapy with cisplatin.")
        assert result.codes == ()
        assert result.queries[0].axis == "Body System / Region"
        assert result.queries[0].prefix == "3E0"

    def test_hemodialysis_without_duration(self, coder: PcsCoder) -> None:
        result = _code(coder, "She underwent hemodialysis.")
        assert result.codes == ("5A1D",)
        assert result.queries[0].axis == "Duration"


class TestContext:
    def test_negated_procedure_is_not_coded(self, coder: PcsCoder) -> None:
        result = _code(coder, "No biopsy was performed.")
        assert result.codes == () and result.queries == ()

    @pytest.mark.parametrize(
        "text",
        [
            "Chest X-ray and bone scintigraphy were negative for metastases.",
            "The chest X-ray ruled out pneumonia.",
            "A chest X-ray due to fever showed an infiltrate.",
        ],
    )
    def test_negative_result_is_still_a_procedure_done(self, coder: PcsCoder, text: str) -> None:
        assert "BW03ZZZ" in _code(coder, text).codes

    @pytest.mark.parametrize(
        "text",
        [
            "The tumor was resected without performing orchiectomy.",
            "Orchiectomy was not performed.",
            "He is scheduled for orchiectomy.",
        ],
    )
    def test_procedure_not_done_or_planned_is_not_coded(self, coder: PcsCoder, text: str) -> None:
        assert not any(c.startswith("0VT") for c in _code(coder, text).codes)

    @pytest.mark.parametrize(
        "text",
        [
            "Screening mammogram ordered.",
            "Colonoscopy referral.",
            "Recheck with x-ray of the chest.",
        ],
    )
    def test_ordered_or_referred_is_planned(self, coder: PcsCoder, text: str) -> None:
        result = _code(coder, text)
        assert result.codes == () and result.queries == ()

    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("He is s/p open sigmoid colectomy.", "0DTN0ZZ"),
            ("Status post laparoscopic cholecystectomy.", "0FT44ZZ"),
            ("EGD 2024 showed esophagitis.", "0DJ08ZZ"),
        ],
    )
    def test_past_procedures_are_suggested_only(
        self, coder: PcsCoder, text: str, code: str
    ) -> None:
        note = parse_note(read_document(text, setting="inpatient", date_of_service="2026-06-01"))
        (suggestion,) = coder.code(note).suggestions
        assert suggestion.code == code and suggestion.historical and not suggestion.assigned

    def test_a_past_procedure_raises_no_query(self, coder: PcsCoder) -> None:
        result = _code(coder, "He is s/p sigmoid colectomy.")
        assert result.codes == ("0DTN",) and result.queries == ()

    def test_operative_note(self, kb: KnowledgeBase) -> None:
        text = (DATA / "op_note_appendectomy.txt").read_text()
        result = code_pcs(parse_note(read_document(text, setting="inpatient")), kb)
        assert result.codes == ("0DTJ4ZZ",)
        evidence = result.suggestions[0].evidence
        assert [text[e.start : e.end] for e in evidence] == ["Laparoscopic", "appendectomy"]
        assert evidence[0].section == "procedure_performed"

    def test_operative_note_narrative_adds_nothing_integral(self, coder: PcsCoder) -> None:
        text = (DATA / "op_note_cholecystectomy.txt").read_text()
        result = coder.code(parse_note(read_document(text, setting="inpatient")))
        # Intubation for general anesthesia, the gallbladder "excised" in the description and
        # the closure sutures are part of the cholecystectomy; the indications' ultrasound was
        # done before the stay (suggested only).
        assert [s.code for s in result.assigned] == ["0FT44ZZ"]
        assert [s.code for s in result.suggestions if s.historical] == ["BW40ZZZ"]
        assert result.queries == ()

    def test_biopsy_before_resection_of_the_same_organ_is_kept(self, coder: PcsCoder) -> None:
        text = "Percutaneous biopsy of the left kidney. Then, open left nephrectomy."
        assert set(_code(coder, text).codes) == {"0TB13ZX", "0TT10ZZ"}

    def test_excision_of_a_resected_organ_is_part_of_the_resection(self, coder: PcsCoder) -> None:
        text = "Open left nephrectomy. The left kidney was excised en bloc."
        assert _code(coder, text).codes == ("0TT10ZZ",)

    def test_inspection_of_a_treated_organ_is_not_coded(self, coder: PcsCoder) -> None:
        text = "Cystoscopy was performed. Transurethral resection of the bladder tumor."
        assert _code(coder, text).codes == ("0TBB8ZZ",)

    def test_inspection_by_another_approach_is_coded_apart(self, coder: PcsCoder) -> None:
        text = "Cystoscopy was performed. Then an open partial cystectomy was done."
        assert set(_code(coder, text).codes) == {"0TJB8ZZ", "0TBB0ZZ"}

    def test_procedure_list(self, coder: PcsCoder) -> None:
        text = (DATA / "procedure_list.txt").read_text()
        result = coder.code(parse_note(read_document(text, setting="inpatient")))
        assert [s.code for s in result.assigned] == [
            "0DB68ZX",  # EGD with biopsy of the gastric antrum (the inspection is folded in)
            "0DBL8ZZ",  # snare polypectomy of the transverse colon through the colonoscope
            "4A023N6",  # right heart catheterization
            "0B9F8ZX",  # BAL of the right lower lobe (diagnostic drainage)
            "0FB03ZX",  # percutaneous liver biopsy (the ultrasound guidance is not a study)
            "0YU64JZ",  # laparoscopic hernia repair with mesh: Supplement
            "0SRB0JA",  # left total hip arthroplasty, cementless
            "02HV33Z",  # central venous catheter: infusion device, superior vena cava
            "30233N1",  # transfusion of red cells into a peripheral vein
            "0SBC4ZZ",  # arthroscopic partial meniscectomy: Excision of the knee joint
            "0T778DZ",  # left ureteral stent through the cystoscope
            "BT1F",  # left retrograde pyelogram, contrast not documented
            "0QB1",  # excisional debridement down to the sacrum, approach not documented
        ]
        assert {(q.prefix, q.axis) for q in result.queries} == {
            ("BT1F", "Contrast"),
            ("0QB1", "Approach"),
        }

    def test_discharge_summary(self, coder: PcsCoder) -> None:
        text = (DATA / "discharge_summary_stent.txt").read_text()
        result = coder.code(parse_note(read_document(text, setting="inpatient")))
        assigned = [s.code for s in result.assigned]
        assert assigned == ["027034Z", "BW03ZZZ", "BW20"]
        # History is suggested only, the negated intubation not at all.
        history = [s for s in result.suggestions if s.historical]
        assert [s.code for s in history] == ["0FT4"] and not history[0].assigned
        assert "0BH17EZ" not in result.codes
