"""The shared vocabulary at the bottom of the layers: plain data, no project imports.

Public surface::

    Option(name, type, default, choices=None, help="")   # one declared option
    validate_options(values, declared, owner) -> dict     # OptionError on a bad one
    options_from_defaults(defaults, declared=())          # derive obvious types
    did_you_mean(word, known), unknown_name(kind, word, known)
"""

from ddialab.vocabulary._options import (
    Option,
    OptionError,
    did_you_mean,
    options_from_defaults,
    unknown_name,
    validate_options,
)

__all__ = [
    "Option",
    "OptionError",
    "did_you_mean",
    "options_from_defaults",
    "unknown_name",
    "validate_options",
]

# fault kinds, declared once (see _faults)
from ddialab.vocabulary._faults import (
    FAULT_FS,
    FAULT_KINDS,
    FAULTS,
    HEAL_FS,
    RESOLVED_FS,
    FaultKind,
    band_of,
    fault_fs,
    real_fs,
)

__all__ += ["FAULTS", "FAULT_FS", "FAULT_KINDS", "HEAL_FS", "RESOLVED_FS", "FaultKind"]
__all__ += ["band_of", "fault_fs", "real_fs"]
