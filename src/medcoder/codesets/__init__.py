"""Official code sets as a versioned knowledge base (see :class:`KnowledgeBase`)."""

from medcoder.codesets.datafiles import DataDir
from medcoder.codesets.kb import DatedView, KnowledgeBase, default_cache_dir
from medcoder.codesets.releases import CodeSystem, Release

__all__ = ["CodeSystem", "DataDir", "DatedView", "KnowledgeBase", "Release", "default_cache_dir"]
