"""Database fixtures shared by the store, API, worker and billing tests (filled in by the store)."""
