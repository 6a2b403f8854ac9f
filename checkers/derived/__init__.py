"""Checkers for derived data (DDIA part III) and data models (DDIA ch. 2).

Public surface::

    check_kafka(history, options)      # log: lost/duplicate/inconsistent offsets, skips
    check_view(history, options)       # derived view = f(source) after quiescence; lag
    check_documents(history, options)  # denormalized copies agree in every committed read
    check_graph(history, options)      # no half-written edges, referential integrity
    check_relational(history, options) # foreign keys hold in every committed read
"""

from checkers.derived._kafka import check as check_kafka
from checkers.derived._models import check_documents, check_graph, check_relational
from checkers.derived._view import check as check_view

__all__ = ["check_documents", "check_graph", "check_kafka", "check_relational", "check_view"]
