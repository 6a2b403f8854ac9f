"""Schema evolution checkers: fields lost by old code, records no reader can decode.

Public surface::

    check_lost_fields   lost fields and undecodable records (the ``records`` workload)
"""

from checkers.evolution._lost_fields import check_lost_fields

__all__ = ["check_lost_fields"]
