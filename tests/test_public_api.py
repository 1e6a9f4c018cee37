"""The public surface: `medcoder.__all__` is sorted and every name in it exists."""

from __future__ import annotations

import importlib
import pkgutil

import medcoder


class TestExportedMembers:
    def test_all_is_sorted_and_complete(self) -> None:
        assert medcoder.__all__ == sorted(medcoder.__all__)
        for name in medcoder.__all__:
            assert hasattr(medcoder, name), name

    def test_every_module_declares_all(self) -> None:
        missing = []
        for info in pkgutil.walk_packages(medcoder.__path__, "medcoder."):
            module = importlib.import_module(info.name)
            if not hasattr(module, "__all__"):
                missing.append(info.name)
        assert missing == []
