"""The history contract: ops, histories, and their file formats.

Public surface::

    Op, History, NEMESIS, OP_TYPES
    read_history(path, format=None) -> History      # any known format, detected
    iter_history(path, format=None) -> Iterator[Op] # streaming
    write_history(ops, path, format="jsonl")
    JsonlRecorder(path)                              # append ops as they happen
    FORMATS, Format, register_format
    read_compact(path, format=None) -> CompactHistory | None  # JSONL, for Elle's path
    CompactHistory, CompactUnsupported     # .scan() rows, .op(i), .client_op_count()
    Shape, check_shapes(history, {(f, type): shape}, checker)  # a checker's value shapes
    require_invocations(history, checker)            # reject completions nobody invoked
    bad_op(history, op, message) -> HistoryFormatError  # names file and line
    op_error(path, op, message, what=None)  # the same, for a reader that has only the path
"""

from ddialab.history._compact import (
    CompactHistory,
    CompactUnsupported,
    TxnValue,
    count_client_ops,
    read_compact,
)
from ddialab.history._formats import (
    FORMATS,
    Format,
    detect_format,
    get_format,
    iter_history,
    read_history,
    register_format,
    write_history,
)
from ddialab.history._jsonl import JsonlRecorder, dumps_op, iter_jsonl, write_jsonl
from ddialab.history._op import NEMESIS, OP_TYPES, History, Op, reindex
from ddialab.history._shape import (
    ANY,
    INT,
    KEY_VALUE,
    NULL,
    OBJECT,
    PLAIN,
    PRESENT,
    SCALAR,
    STRING,
    Shape,
    ShapeTable,
    bad_op,
    check_shapes,
    fields,
    list_of,
    literal,
    one_of,
    op_error,
    pair_of,
    require_invocations,
    tuple_of,
)

__all__ = [
    "ANY",
    "FORMATS",
    "INT",
    "KEY_VALUE",
    "NEMESIS",
    "NULL",
    "OBJECT",
    "OP_TYPES",
    "PLAIN",
    "PRESENT",
    "SCALAR",
    "STRING",
    "CompactHistory",
    "CompactUnsupported",
    "Format",
    "History",
    "JsonlRecorder",
    "Op",
    "Shape",
    "ShapeTable",
    "TxnValue",
    "bad_op",
    "check_shapes",
    "count_client_ops",
    "detect_format",
    "dumps_op",
    "fields",
    "get_format",
    "iter_history",
    "iter_jsonl",
    "list_of",
    "literal",
    "one_of",
    "op_error",
    "pair_of",
    "read_compact",
    "read_history",
    "register_format",
    "reindex",
    "require_invocations",
    "tuple_of",
    "write_history",
    "write_jsonl",
]
