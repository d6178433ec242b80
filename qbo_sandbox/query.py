"""The QBO query language: parser and evaluator.

SELECT * | COUNT(*) | f1, f2 FROM Entity [WHERE a op v AND ...] [ORDERBY f [ASC|DESC], ...]
[STARTPOSITION n] [MAXRESULTS n].  Operators = < > <= >= IN LIKE; no OR, no joins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .clock import parse_time
from .faults import query_invalid, query_parse

DEFAULT_PAGE = 100
MAX_PAGE = 1000
TIME_FIELDS = {"lastupdatedtime", "createtime"}

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.)*')
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<punct>[(),*])
      | (?P<word>[A-Za-z_][\w.]*)
    )""",
    re.VERBOSE | re.DOTALL,
)


@dataclass
class Condition:
    path: list[str]
    op: str
    values: list[Any]


@dataclass
class Query:
    entity: str
    count: bool = False
    fields: list[str] | None = None  # None = all fields
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[list[str], bool]] = field(default_factory=list)  # (path, descending)
    start: int = 1
    max_results: int = DEFAULT_PAGE

    def mentions(self, name: str) -> bool:
        return any(c.path[-1].lower() == name.lower() for c in self.where)


@dataclass
class _Tok:
    kind: str
    text: str


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    text = text.strip().rstrip(";")
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise query_parse(f"Encountered unexpected character at position {pos + 1}")
        kind = m.lastgroup or ""
        toks.append(_Tok(kind, m.group(kind)))
        pos = m.end()
    return toks


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s[1:-1], flags=re.DOTALL)


class _Parser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise query_parse("Encountered end of statement")
        self.i += 1
        return tok

    def is_kw(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text.upper() in words

    def expect_kw(self, word: str) -> None:
        tok = self.next()
        if tok.kind != "word" or tok.text.upper() != word:
            raise query_parse(f'Encountered "{tok.text}" but expected {word}')

    def expect_punct(self, p: str) -> None:
        tok = self.next()
        if tok.text != p:
            raise query_parse(f'Encountered "{tok.text}" but expected "{p}"')

    def literal(self) -> Any:
        tok = self.next()
        if tok.kind == "str":
            return _unquote(tok.text)
        if tok.kind == "num":
            return float(tok.text) if "." in tok.text else int(tok.text)
        if tok.kind == "word" and tok.text.lower() in ("true", "false"):
            return tok.text.lower() == "true"
        raise query_parse(f'Encountered "{tok.text}" where a value was expected')

    def parse(self) -> Query:
        self.expect_kw("SELECT")
        count = False
        fields: list[str] | None = None
        if self.is_kw("COUNT"):
            self.next()
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            count = True
        else:
            names: list[str] = []
            star = False
            while True:
                tok = self.next()
                if tok.text == "*":
                    star = True
                elif tok.kind == "word" and tok.text.upper() != "FROM":
                    names.append(tok.text)
                else:
                    raise query_parse(f'Encountered "{tok.text}" in the select list')
                if self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                    self.next()
                    continue
                break
            # python-quickbooks sends "SELECT *, Sku FROM Item": a star wins.
            fields = None if star else names
        self.expect_kw("FROM")
        ent = self.next()
        if ent.kind != "word":
            raise query_parse(f'Encountered "{ent.text}" where an entity was expected')
        q = Query(entity=ent.text, count=count, fields=fields)
        if self.is_kw("WHERE"):
            self.next()
            q.where.append(self.condition())
            while self.is_kw("AND"):
                self.next()
                q.where.append(self.condition())
            if self.is_kw("OR"):
                raise query_parse('Encountered "OR": OR is not supported')
        if self.is_kw("ORDERBY", "ORDER"):
            if self.next().text.upper() == "ORDER":
                self.expect_kw("BY")
            while True:
                tok = self.next()
                if tok.kind != "word":
                    raise query_parse(f'Encountered "{tok.text}" in ORDERBY')
                desc = False
                if self.is_kw("ASC", "DESC"):
                    desc = self.next().text.upper() == "DESC"
                q.order.append((tok.text.split("."), desc))
                if self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                    self.next()
                    continue
                break
        while self.is_kw("STARTPOSITION", "MAXRESULTS"):
            kw = self.next().text.upper()
            tok = self.next()
            if tok.kind != "num" or "." in tok.text:
                raise query_parse(f'Encountered "{tok.text}" after {kw}')
            n = int(tok.text)
            if kw == "STARTPOSITION":
                q.start = max(n, 1)
            else:
                if n > MAX_PAGE:
                    raise query_invalid(
                        f"value {n} is too large. Max allowed value is {MAX_PAGE}"
                    )
                if n < 1:
                    raise query_invalid(f"value {n} is too small. Min allowed value is 1")
                q.max_results = n
        trailing = self.peek()
        if trailing is not None:
            raise query_parse(f'Encountered "{trailing.text}" at the end of the statement')
        return q

    def condition(self) -> Condition:
        tok = self.next()
        if tok.kind != "word":
            raise query_parse(f'Encountered "{tok.text}" where a field was expected')
        path = tok.text.split(".")
        op_tok = self.next()
        op = op_tok.text.upper()
        if op_tok.kind == "op" and op != "!=":
            return Condition(path, op, [self.literal()])
        if op == "IN":
            self.expect_punct("(")
            values = [self.literal()]
            while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                self.next()
                values.append(self.literal())
            self.expect_punct(")")
            return Condition(path, "IN", values)
        if op == "LIKE":
            return Condition(path, "LIKE", [self.literal()])
        raise query_parse(f'Encountered "{op_tok.text}": unsupported operator')


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise query_parse("Encountered end of statement: empty query")
    return _Parser(_tokenize(text)).parse()


# --- evaluation -------------------------------------------------------------------------


def lookup(obj: dict[str, Any], path: list[str]) -> Any:
    """Case-insensitive dotted lookup; references compare on their `value`."""
    cur: Any = obj
    for part in path:
        if not isinstance(cur, dict):
            return None
        if part in cur:
            cur = cur[part]
            continue
        low = part.lower()
        for k, v in cur.items():
            if k.lower() == low:
                cur = v
                break
        else:
            return None
    if isinstance(cur, dict) and "value" in cur:
        return cur["value"]
    return cur


def _coerce(actual: Any, literal: Any, is_time: bool) -> tuple[Any, Any] | None:
    if actual is None:
        return None
    if is_time:
        try:
            a = parse_time(actual) if isinstance(actual, str) else float(actual)
            return a, parse_time(str(literal))
        except (TypeError, ValueError):
            raise query_invalid(f"invalid date-time value '{literal}'") from None
    if isinstance(actual, bool):
        if isinstance(literal, str):
            literal = literal.lower() == "true"
        return actual, bool(literal)
    if isinstance(actual, (int, float)):
        try:
            return float(actual), float(literal)
        except (TypeError, ValueError):
            return None
    text = str(actual)
    lit = str(literal).lower() if isinstance(literal, bool) else str(literal)
    if text.isdigit() and lit.isdigit():  # Ids are strings but order numerically
        return int(text), int(lit)
    return text, lit


def _match(obj: dict[str, Any], cond: Condition) -> bool:
    is_time = cond.path[-1].lower() in TIME_FIELDS
    actual = lookup(obj, cond.path)
    if cond.op == "LIKE":
        if actual is None:
            return False
        pattern = "^" + ".*".join(re.escape(p) for p in str(cond.values[0]).split("%")) + "$"
        return re.match(pattern, str(actual), re.IGNORECASE | re.DOTALL) is not None
    if cond.op == "IN":
        for v in cond.values:
            pair = _coerce(actual, v, is_time)
            if pair is not None and pair[0] == pair[1]:
                return True
        return False
    pair = _coerce(actual, cond.values[0], is_time)
    if pair is None:
        return False
    a, b = pair
    try:
        if cond.op == "=":
            return bool(a == b)
        if cond.op == "<":
            return bool(a < b)
        if cond.op == ">":
            return bool(a > b)
        if cond.op == "<=":
            return bool(a <= b)
        if cond.op == ">=":
            return bool(a >= b)
    except TypeError:
        return False
    return False


def _sort_key(value: Any, is_time: bool) -> tuple[int, Any]:
    if value is None:
        return (2, "")
    if is_time and isinstance(value, str):
        return (0, parse_time(value))
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (0, float(value))
    s = str(value)
    if s.isdigit():
        return (0, int(s))
    return (1, s.lower())


def evaluate(
    q: Query, rows: Iterable[dict[str, Any]], implicit: Callable[[dict[str, Any]], bool] | None
) -> list[dict[str, Any]]:
    """Filter and sort; paging is left to the caller (so results can be cached)."""
    out = [r for r in rows
           if (implicit is None or implicit(r)) and all(_match(r, c) for c in q.where)]
    for path, desc in reversed(q.order):
        is_time = path[-1].lower() in TIME_FIELDS

        def key(r: dict[str, Any], p: list[str] = path, t: bool = is_time) -> tuple[int, Any]:
            return _sort_key(lookup(r, p), t)

        out.sort(key=key, reverse=desc)
    return out


def project(obj: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    keys = {f.lower() for f in fields}
    out = {k: v for k, v in obj.items() if k.lower() in keys}
    out.setdefault("Id", obj.get("Id"))
    out["domain"] = obj.get("domain", "QBO")
    out["sparse"] = True
    return out
