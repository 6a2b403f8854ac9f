"""The shared vocabulary at the bottom of the layers: plain data, no project imports.

Public surface::

    Option(name, type, default, choices=None, help="")   # one declared option
    validate_options(values, declared, owner) -> dict     # OptionError on a bad one
    options_from_defaults(defaults, declared=())          # derive obvious types
    did_you_mean(word, known), unknown_name(kind, word, known)
    option(default, choices=, help=)                       # a field of a frozen options dataclass
    option_table(cls), option_defaults(cls), typed_options(cls, values, owner, context=())

    MODELS, MODEL_ALIASES, OTHER_GUARANTEES, COLUMNS, GUARANTEE_NAMES   # guarantees
    columns(kind), weaker(models), stronger(models), by_strength(models), contracted(models)
    ANOMALIES, ANOMALY_ALIASES, anomalies_reported_by(checker), anomaly_family(checker)
    WITNESS_KEYS, witness_problems(witness), witness_ops(witness)         # the witness shape
    freeze(v), thaw(v), show(v), MOP_KINDS, PLAIN_TYPES                  # values and micro-ops
"""

from ddialab.vocabulary._anomalies import (
    ANOMALIES,
    ANOMALY_ALIASES,
    CYCLE_BASES,
    VARIANTS,
    Anomaly,
    implied,
)
from ddialab.vocabulary._anomalies import family as anomaly_family
from ddialab.vocabulary._anomalies import reported_by as anomalies_reported_by
from ddialab.vocabulary._guarantees import (
    COLUMNS,
    GUARANTEE_NAMES,
    MODEL_ALIASES,
    MODELS,
    OTHER_GUARANTEES,
    Guarantee,
    by_strength,
    canonical_model,
    columns,
    contracted,
    guarantee,
    implied_columns,
    stronger,
    weaker,
)
from ddialab.vocabulary._options import (
    Option,
    OptionError,
    did_you_mean,
    options_from_defaults,
    unknown_name,
    validate_options,
)
from ddialab.vocabulary._values import MOP_KINDS, PLAIN_TYPES, freeze, show, thaw
from ddialab.vocabulary._witness import WITNESS_KEYS, witness_ops, witness_problems

__all__ = [
    "ANOMALIES",
    "ANOMALY_ALIASES",
    "COLUMNS",
    "CYCLE_BASES",
    "GUARANTEE_NAMES",
    "MODELS",
    "MODEL_ALIASES",
    "MOP_KINDS",
    "OTHER_GUARANTEES",
    "PLAIN_TYPES",
    "VARIANTS",
    "WITNESS_KEYS",
    "Anomaly",
    "Guarantee",
    "Option",
    "OptionError",
    "anomalies_reported_by",
    "anomaly_family",
    "by_strength",
    "canonical_model",
    "columns",
    "contracted",
    "did_you_mean",
    "freeze",
    "guarantee",
    "implied",
    "implied_columns",
    "options_from_defaults",
    "show",
    "stronger",
    "thaw",
    "unknown_name",
    "validate_options",
    "weaker",
    "witness_ops",
    "witness_problems",
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

# typed options: a frozen dataclass per component is its option declaration (see _typed)
from ddialab.vocabulary._typed import option, option_defaults, option_table, typed_options

__all__ += ["FAULTS", "FAULT_FS", "FAULT_KINDS", "HEAL_FS", "RESOLVED_FS", "FaultKind"]
__all__ += ["band_of", "fault_fs", "real_fs"]
__all__ += ["option", "option_defaults", "option_table", "typed_options"]
