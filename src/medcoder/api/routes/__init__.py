"""One router per resource, all mounted under ``/api/v1``."""

__all__: list[str] = []
