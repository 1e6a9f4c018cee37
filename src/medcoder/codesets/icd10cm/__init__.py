"""ICD-10-CM: Tabular List, Alphabetic Index and the tables (Neoplasm, Drugs, External Cause)."""

__all__: list[str] = []
