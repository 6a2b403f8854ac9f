"""EDN (Clojure's data notation): a streaming reader and a printer.

Theory of operation
-------------------
Jepsen, Knossos and Elle write histories as EDN: either one op map per line or one
top-level vector (or list) of op maps.  Files reach gigabytes, so ``iter_forms`` never holds
the text: it pulls the stream line by line and tokenizes each line with one compiled
regular expression whose alternatives are numbered groups (``m.lastindex`` says which token
it is, so the dispatch costs one integer comparison chain).  Only a string literal may span
lines; when a line ends inside one, the next line is appended and tokenizing resumes.

Forms are assembled on an explicit stack of frames (``_Frame``): containers (``[``, ``(``,
``{``, ``#{``) collect their items in a list; the prefixes ``#_`` (discard) and ``#tag``
(tagged literal) are frames that wait for exactly one form.  A form completed at the root
is yielded at once with the line it started on.  With ``unwrap=True`` a top-level vector or
list is not built at all: each of its elements is yielded as soon as it is complete, so a
Knossos file of one giant vector streams exactly like an op-per-line file.

Mapping to Python (JSON-like, so ops round-trip through JSON Lines):

* ``nil``/``true``/``false`` -> ``None``/``True``/``False``; ints (``N`` suffix allowed,
  ``0x`` hex) -> ``int``; floats (``M`` suffix allowed), ``##Inf``, ``##NaN`` -> ``float``;
  ratios ``a/b`` -> ``float``;
* keywords -> ``str`` without the colon (``:foo/bar`` -> ``"foo/bar"``); symbols -> ``str``;
  characters -> one-character ``str``; strings -> ``str`` (escapes decoded);
* vectors and lists -> ``list``; sets -> ``list``, sorted when the elements are comparable,
  else in read order; maps -> ``dict`` whose keys are strings: keywords and strings as they
  are, any other key (ints, nil, vectors...) as its EDN text (``{1 :a}`` -> ``{"1": "a"}``);
* tagged literals (``#inst "..."``, ``#jepsen.history.Op{...}``) -> the tagged value as-is;
  ``#"re"`` -> the regex source string; ``#_ form`` -> nothing.

Keywords and strings therefore read the same; ``dumps`` decides which to write (see
``dumps``).  Every malformed input raises ``HistoryFormatError(path, line, what)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from fractions import Fraction
from typing import Any

import msgspec

from ddialab.errors import HistoryFormatError

_D = r"""\s,\[\]{}()";"""  # characters that end an atom
_TOKEN = re.compile(
    rf"""[\s,]*+(?:
      \[([^\[\]{{}}()"\#;\\]*)\]                     # 1 flat vector of atoms (fast path)
    | :([^{_D}]+)                                    # 2 keyword
    | ([\[\]{{}}()])                                 # 3 delimiter
    | ([-+]?\d[^{_D}]*)                              # 4 number
    | ([^{_D}\\\#:\d][^{_D}]*)                       # 5 symbol: nil true false foo/bar
    | \#?"((?:[^"\\]|\\.)*)"                         # 6 string (or #"regex")
    | (;[^\n]*)                                      # 7 comment
    | (\#\{{|\#_|\#\#?[^{_D}]+)                      # 8 dispatch: set, discard, tag, ##Inf
    | \\(newline|space|tab|return|backspace|formfeed|u[0-9a-fA-F]{{4}}|.)  # 9 character
    | (\#?"(?:[^"\\]|\\.)*\\?\Z)                     # 10 string still open at end of text
    | (.)                                            # 11 anything else
    )""",
    re.X | re.S,
)
_FLOAT = re.compile(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?M?\Z")
_BIGINT = re.compile(r"[-+]?\d+N\Z")
_RATIO = re.compile(r"([-+]?\d+)/(\d+)\Z")
_HEX = re.compile(r"[-+]?0[xX][0-9a-fA-F]+\Z")
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "\\": "\\"}
_CHARS = {
    "newline": "\n",
    "space": " ",
    "tab": "\t",
    "return": "\r",
    "backspace": "\b",
    "formfeed": "\f",
}
_SYMBOLS: dict[str, Any] = {"nil": None, "true": True, "false": False}
_SPECIAL = {"##Inf": math.inf, "##-Inf": -math.inf, "##NaN": math.nan}
_CONTAINERS = frozenset(("[", "(", "{", "#{"))
#: The root, and the top-level sequences that ``unwrap`` streams element by element.
_ROOTS = frozenset(("root", "[*", "(*"))
_CLOSE = {"[": "]", "(": ")", "{": "}", "#{": "}", "[*": "]", "(*": ")"}
_DISCARD = "#_"


class _Frame:
    """One open form: a container collecting items, or a prefix waiting for one form."""

    __slots__ = ("items", "kind", "line")

    def __init__(self, kind: str, line: int) -> None:
        self.kind = kind
        self.line = line
        self.items: list[Any] = []


def iter_forms(
    lines: Iterable[str], path: str | None = None, unwrap: bool = False
) -> Iterator[tuple[Any, int]]:
    """Yield ``(form, line)`` for each top-level form of an EDN text, as soon as complete.

    ``lines`` is any iterable of text lines (an open file streams).  With ``unwrap`` the
    elements of a top-level vector or list are yielded instead of the collection itself.
    """
    return _Reader(path, unwrap).forms(lines)


#: The longest piece of a line read at once: a history written as one enormous line (a
#: whole vector on one line) still streams, piece by piece.
CHUNK = 1 << 16


def read_pieces(stream: Iterable[str]) -> Iterator[str]:
    """The lines of ``stream``; from a file, a line longer than ``CHUNK`` comes in pieces
    (only the last piece of a line ends with its newline)."""
    readline = getattr(stream, "readline", None)
    if readline is None:
        yield from stream
        return
    while piece := readline(CHUNK):
        yield piece


def loads(text: str, path: str | None = None) -> Any:
    """The single EDN form in ``text`` (a ``HistoryFormatError`` if there is not exactly one)."""
    forms = loads_all(text, path)
    if len(forms) != 1:
        raise HistoryFormatError(path, 1, f"expected one EDN form, found {len(forms)}")
    return forms[0]


def loads_all(text: str, path: str | None = None) -> list[Any]:
    """All top-level EDN forms in ``text``."""
    return [form for form, _ in iter_forms(text.splitlines(keepends=True), path)]


class _Reader:
    def __init__(self, path: str | None, unwrap: bool) -> None:
        self.path = path
        self.unwrap = unwrap
        self.out: list[tuple[Any, int]] = []
        root = _Frame("root", 0)
        root.items = self.out  # completed top-level forms land in ``out``
        self.stack: list[_Frame] = [root]

    def error(self, line: int, message: str) -> HistoryFormatError:
        return HistoryFormatError(self.path, line, message)

    def forms(self, lines: Iterable[str]) -> Iterator[tuple[Any, int]]:
        lineno = 1
        pending = ""  # text carried to the next piece: an open string, or a cut token
        pending_line = 0  # where that text started
        out = self.out
        stack = self.stack
        for piece in read_pieces(lines):
            if pending:
                piece = pending + piece
            partial = piece[-1:] != "\n"  # a long line's piece (or a last line without \n)
            if not pending and not partial and len(stack) <= 2 and stack[-1].kind in _ROOTS:
                d = _fast_map(piece)
                if d is not None:
                    yield d, lineno
                    lineno += 1
                    continue
            rest = self._tokenize(piece, lineno, partial)
            if rest is not None:
                if not (pending and len(rest) == len(piece)):
                    pending_line = lineno  # it started in this piece
                pending = rest
            else:
                pending = ""
            if not partial:
                lineno += 1
            if out:
                yield from out
                out.clear()
        if pending and self._tokenize(pending, lineno, False) is not None:
            raise self.error(pending_line, "unterminated string (no closing '\"')")
        frame = self.stack[-1]
        if frame.kind != "root":
            raise self.error(frame.line, self._unclosed(frame))
        yield from out
        out.clear()

    @staticmethod
    def _unclosed(frame: _Frame) -> str:
        if frame.kind in _CLOSE:
            opener = frame.kind.rstrip("*")
            return f"'{opener}' opened here is never closed (expected '{_CLOSE[frame.kind]}')"
        return f"'{frame.kind}' here is not followed by a form"

    def _tokenize(self, line: str, lineno: int, partial: bool) -> str | None:
        """Consume a line (or a piece of one, if ``partial``); return the tail to carry over
        to the next piece: a string still open, or a token that may continue there."""
        stack = self.stack
        frame = stack[-1]
        items = frame.items
        plain = frame.kind in _CONTAINERS
        n = len(line)
        for m in _TOKEN.finditer(line):
            if partial and m.end() == n:
                return line[m.start() :]
            g = m.lastindex
            if g == 1:
                if len(stack) == 1 and self.unwrap:
                    self._flat_top_level(m[1], lineno)
                    continue
                parts = m[1].replace(",", " ").split()
                if "".join(parts).isdigit() and m[1].isascii():  # a list of ints, e.g. a read
                    value: Any = list(map(int, parts))
                else:
                    value = [_atom(a, self, lineno) for a in parts]
            elif g == 2:
                value = m[2]
            elif g == 3:
                c = m[3]
                if c in "[({":
                    kind = c + "*" if self.unwrap and len(stack) == 1 and c != "{" else c
                    frame = _Frame(kind, lineno)
                    stack.append(frame)
                else:
                    self._close(c, lineno)
                    frame = stack[-1]
                items = frame.items
                plain = frame.kind in _CONTAINERS
                continue
            elif g == 4:
                value = self._number(m[4], lineno)
            elif g == 5:
                s = m[5]
                value = _SYMBOLS.get(s, s)
            elif g == 6:
                s = m[6]
                value = self._unescape(s, lineno) if "\\" in s else s
            elif g == 8:
                d = m[8]
                if d in _SPECIAL:
                    value = _SPECIAL[d]
                else:
                    frame = _Frame(d, lineno)
                    stack.append(frame)
                    items = frame.items
                    plain = d == "#{"
                    continue
            elif g == 9:
                value = self._char(m[9])
            elif g == 10:
                return m[10]
            elif g == 11:
                raise self.error(lineno, f"unexpected character {m[11]!r}")
            else:  # a comment, or only separators were left
                continue
            if plain:
                items.append(value)
            else:
                self._add(value, lineno)
                frame = stack[-1]
                items = frame.items
                plain = frame.kind in _CONTAINERS
        return None

    def _flat_top_level(self, inner: str, lineno: int) -> None:
        """A flat vector at the top of an unwrapped file: its atoms are the forms."""
        for a in inner.replace(",", " ").split():
            self.out.append((_atom(a, self, lineno), lineno))

    def _close(self, c: str, lineno: int) -> None:
        stack = self.stack
        frame = stack[-1]
        kind = frame.kind
        if kind not in _CLOSE:
            if kind == "root":
                raise self.error(lineno, f"unmatched '{c}' (nothing is open)")
            raise self.error(lineno, f"'{c}' where a form was expected after '{kind}'")
        want = _CLOSE[kind]
        if c != want:
            opener = kind.rstrip("*")
            raise self.error(
                lineno, f"expected '{want}' to close '{opener}' from line {frame.line}, got '{c}'"
            )
        stack.pop()
        if kind == "{":
            self._add(self._map(frame.items, lineno), frame.line)
        elif kind == "#{":
            self._add(_set(frame.items), frame.line)
        elif kind in _CONTAINERS:
            self._add(frame.items, frame.line)
        # else: an unwrapped top-level sequence, whose items were yielded one by one

    def _add(self, value: Any, line: int) -> None:
        """Give a completed form to the frame on top (resolving #_ and tag prefixes)."""
        stack = self.stack
        while True:
            frame = stack[-1]
            kind = frame.kind
            if kind in _CONTAINERS:
                frame.items.append(value)
                return
            if kind in _ROOTS:
                self.out.append((value, line))
                return
            stack.pop()
            if kind == _DISCARD:
                return
            line = frame.line  # a tagged literal: the value as-is, from the tag's line

    def _map(self, items: list[Any], lineno: int) -> dict[str, Any]:
        if len(items) % 2:
            raise self.error(lineno, "a map needs an even number of forms (a key without value)")
        keys = items[0::2]
        for i, k in enumerate(keys):
            if type(k) is not str:
                keys[i] = dumps(k)
        return dict(zip(keys, items[1::2], strict=True))

    def _number(self, s: str, lineno: int) -> int | float:
        if "_" not in s:
            try:
                return int(s)
            except ValueError:
                pass
            if _FLOAT.match(s):
                return float(s.rstrip("M"))
        if _BIGINT.match(s):
            return int(s[:-1])
        m = _RATIO.match(s)
        if m and int(m.group(2)):
            return float(Fraction(int(m.group(1)), int(m.group(2))))
        if _HEX.match(s):
            return int(s, 16)
        raise self.error(lineno, f"invalid number {s!r}")

    def _unescape(self, s: str, lineno: int) -> str:
        def one(m: re.Match[str]) -> str:
            e = m.group(1)
            if e in _ESCAPES:
                return _ESCAPES[e]
            if len(e) == 5:
                return chr(int(e[1:], 16))
            raise self.error(lineno, f"invalid escape '\\{e}' in a string")

        return _ESCAPE.sub(one, s)

    @staticmethod
    def _char(name: str) -> str:
        if name in _CHARS:
            return _CHARS[name]
        if len(name) == 5 and name[0] == "u":
            return chr(int(name[1:], 16))
        return name


_FAST_LINE = re.compile(r"[\s,]*\{([^{}\"#;\\]*)\}[\s,]*\Z")
# The ':' comes first so the regex engine can jump from colon to colon; the lookbehind
# then checks the character before it (a keyword starts a token).  With the lookbehind
# first, every position of the line was tried: 2.5x slower on Elle's op lines.
_FAST_NIL = re.compile(r"nil(?<=[\[,]nil)(?=[,\]])")  # the symbol nil as a whole token
_FAST_KEYWORD = re.compile(r":(?<![^\s,\[(]:)([^\s,\[\]{}()\";]+)")
# msgspec's C decoder: ~3x the stdlib scanner on op lines, and it rejects trailing text.
_json_decode = msgspec.json.Decoder().decode


def _fast_map(line: str) -> dict[str, Any] | None:
    """The fast path for the common op line: one map of keywords, numbers, nil, true,
    false, vectors and lists, and nothing else (no strings, nested maps, tags, comments).

    It is rewritten into JSON by C-level substitutions and decoded by msgspec; anything
    this cannot decode identically (returns None) takes the general tokenizer.
    """
    m = _FAST_LINE.match(line)
    if m is None:
        return None
    inner = m[1]
    if "null" in inner or "NaN" in inner or "Infinity" in inner:
        return None  # JSON words that are plain symbols in EDN
    # split() alternates text and keyword names: joining with '"' quotes every keyword
    # (a template substitution would call back into Python for each match).
    # Commas are whitespace in EDN (and nothing else here: no strings on this path).
    text = '"'.join(_FAST_KEYWORD.split(inner.replace(",", " ")))
    text = "[" + ",".join(text.split()) + "]"  # every separator becomes one comma
    if "[," in text or ",]" in text:
        text = text.replace("[,", "[").replace(",]", "]")
    if "(" in text:
        text = text.replace("(", "[").replace(")", "]")
    if "nil" in text:  # a token is now always between [ or , and ] or ,
        text = _FAST_NIL.sub("null", text)
    try:
        items = _json_decode(text)
        keys = items[0::2]
        "".join(keys)  # raises TypeError unless every key is a str (a keyword)
    except (msgspec.DecodeError, TypeError):
        return None
    if len(items) % 2:
        return None
    return dict(zip(keys, items[1::2], strict=True))


def _atom(a: str, reader: _Reader, lineno: int) -> Any:
    """One atom of a flat vector (already split on separators)."""
    c = a[0]
    if c == ":" and len(a) > 1:
        return a[1:]
    if a.isdigit() and a.isascii():
        return int(a)
    if a in _SYMBOLS:
        return _SYMBOLS[a]
    m = _TOKEN.fullmatch(a)
    if m is None or m.lastindex not in (4, 5):
        raise reader.error(lineno, f"unexpected {a!r}")
    return reader._number(a, lineno) if m.lastindex == 4 else a


def _set(items: list[Any]) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:
        return items


# --- printing ---------------------------------------------------------------------------

_KEYWORD_NAME = re.compile(r"[A-Za-z_*!?$%&=<>.][A-Za-z0-9_*!?$%&=<>.+\-/']*\Z")
_STR_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f\ud800-\udfff]')
_STR_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def is_keyword_name(s: str) -> bool:
    """Can ``s`` be written as the keyword ``:s`` and read back as ``s``?"""
    return _KEYWORD_NAME.match(s) is not None


def keyword(s: str) -> str:
    """``s`` as a keyword when it is a valid keyword name, else as a string literal."""
    return ":" + s if _KEYWORD_NAME.match(s) else dumps(s)


def dumps(value: Any) -> str:
    """EDN text for a JSON-like value: map keys become keywords where they can, every
    other string stays a string, so ``iter_forms`` reads back an equal value."""
    if value is None:
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    t = type(value)
    if t is int:
        return str(value)
    if t is str:
        return '"' + _STR_ESCAPE.sub(_escape_char, value) + '"'
    if t is float:
        return _float(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k)} {dumps(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list | tuple):
        return "[" + " ".join(dumps(v) for v in value) + "]"
    if isinstance(value, int):  # bool handled above; int subclasses
        return str(int(value))
    if isinstance(value, str):
        return dumps(str(value))
    raise TypeError(f"cannot write {type(value).__name__} as EDN")


def _key(k: Any) -> str:
    return keyword(k) if isinstance(k, str) else dumps(k)


def _float(x: float) -> str:
    if math.isnan(x):
        return "##NaN"
    if math.isinf(x):
        return "##Inf" if x > 0 else "##-Inf"
    return repr(x)


def _escape_char(m: re.Match[str]) -> str:
    c = m.group(0)
    return _STR_ESCAPES.get(c) or f"\\u{ord(c):04x}"
