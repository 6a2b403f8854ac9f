"""Linearizability checking against sequential models (Wing–Gong / Lowe search).

Public surface::

    check(history, options) -> dict      # options: model (required), init, independent,
                                         #          time_limit, max_states
    MODELS                               # name -> Model (each has .description)
    Model, Call, ILLEGAL, Choice         # to define a model of your own
    BadValue                             # raised by prepare: a value of the wrong shape
    independent(model)                   # the same model per key of [key, v] values

See ``docs/linearizability.md`` for how the search works and how to write a model.
"""

from checkers.linearizable._check import check, resolve_model
from checkers.linearizable._models import (
    ILLEGAL,
    MODELS,
    BadValue,
    Call,
    Choice,
    Model,
    independent,
)
from ddialab.vocabulary import freeze, thaw

__all__ = [
    "ILLEGAL",
    "MODELS",
    "BadValue",
    "Call",
    "Choice",
    "Model",
    "check",
    "freeze",
    "independent",
    "resolve_model",
    "thaw",
]
