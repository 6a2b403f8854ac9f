"""Secondary index checkers: index reads compared with the documents they index.

Public surface::

    check_term_index    missing, stale and phantom entries (the ``term-index`` workload)
"""

from checkers.indexes._term_index import check_term_index

__all__ = ["check_term_index"]
