"""X12 837 writing: one serializer (:mod:`.segments`), envelopes, the 837P and 837I loops,
and validation with pyx12."""

__all__: list[str] = []
