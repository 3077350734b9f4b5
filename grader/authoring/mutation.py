"""Mutants of a reference: each one small change, made with `ast`, to the code of one part's
solution region (`grade mutants` grades them; grader/authoring/mutants.py).

The changes are those a student makes by mistake: an operator replaced (+ for −, * for /, < for
<=), a constant changed, a unary minus dropped, a call's arguments or a tuple's items swapped, a
call swapped for its sibling (mean for sum) or dropped (f(x) -> x), a factor or a term dropped,
`.T` dropped, a loop's bound moved by one, a statement deleted, duplicated (not a `return`,
`raise`, `break` or `continue`: its copy would never run), or moved past its neighbour. Only
code that the solution regions wrote is changed; the code given to students never is (a mutant
there tells nothing about the part's checks).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Literal

Operator = Literal["operator", "constant", "unary", "arguments", "items", "call", "dropped call", "factor",
                   "transpose", "loop bound", "keyword", "deleted", "duplicated", "moved"]

# a call's function and the ones a student writes in its place
SIBLINGS: dict[str, tuple[str, ...]] = {
    "mean": ("sum",), "sum": ("mean",), "square": ("abs", "sqrt"), "abs": ("square",), "sqrt": ("square",),
    "exp": ("log",), "log": ("exp", "log10", "log2"), "max": ("min",), "min": ("max",),
    "maximum": ("minimum",), "minimum": ("maximum",), "dot": ("multiply",), "multiply": ("dot",),
    "clip": (), "len": (), "ravel": (), "flatten": (),
}
OPERATORS: dict[type[ast.operator], tuple[type[ast.operator], ...]] = {
    ast.Add: (ast.Sub, ast.Mult), ast.Sub: (ast.Add,), ast.Mult: (ast.Div, ast.Add), ast.Div: (ast.Mult,
                                                                                                ast.FloorDiv),
    ast.Pow: (ast.Mult,), ast.MatMult: (ast.Mult,), ast.FloorDiv: (ast.Div,), ast.Mod: (ast.FloorDiv,),
}
COMPARISONS: dict[type[ast.cmpop], tuple[type[ast.cmpop], ...]] = {
    ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt,), ast.Gt: (ast.GtE, ast.Lt), ast.GtE: (ast.Gt,),
    ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,),
}
_ENDS = (ast.Return, ast.Raise, ast.Break, ast.Continue)
NOT_COMMUTATIVE = (ast.Sub, ast.Div, ast.Pow, ast.MatMult, ast.FloorDiv, ast.Mod)


@dataclass(frozen=True)
class Mutant:
    """One changed reference: the function (part) it changes, the kind of change, the changed
    statement before and after (as ast.unparse writes it; "" after a deletion), and the module."""

    function: str
    operator: Operator
    before: str
    after: str
    source: str

    @property
    def label(self) -> str:
        return f"{self.function}: {self.before!r} -> {self.after!r}"


Change = tuple[Operator, Callable[[], ast.AST]]  # what it is, and the node to put in place


def _same(node: ast.AST) -> ast.AST:
    return node


def _constants(node: ast.Constant) -> Iterator[Change]:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if isinstance(value, int):
        options: list[int | float] = [value + 1, value - 1, *([0] if value not in (0, 1, -1) else [])]
    else:
        options = [value * 2, value / 2, -value, 0.0] if value else [1.0]
    for option in dict.fromkeys(options):
        if option != value:
            yield "constant", partial(ast.Constant, option)


def _binop(node: ast.BinOp) -> Iterator[Change]:
    for other in OPERATORS.get(type(node.op), ()):
        yield "operator", partial(ast.BinOp, node.left, other(), node.right)
    if isinstance(node.op, NOT_COMMUTATIVE):
        yield "items", partial(ast.BinOp, node.right, node.op, node.left)
    if isinstance(node.op, (ast.Mult, ast.Div, ast.MatMult, ast.Add, ast.Sub)):
        yield "factor", partial(_same, node.left)
    if isinstance(node.op, (ast.Mult, ast.MatMult, ast.Add, ast.Sub)):
        yield "factor", partial(_same, node.right)


def _call(node: ast.Call) -> Iterator[Change]:
    args = node.args
    for i in range(len(args) - 1):
        for j in range(i + 1, len(args)):
            items = list(args)
            items[i], items[j] = items[j], items[i]
            yield "arguments", partial(ast.Call, node.func, items, node.keywords)
    if len(args) == 1 and not node.keywords and not (isinstance(node.func, ast.Name) and node.func.id == "range"):
        yield "dropped call", partial(_same, args[0])
    if isinstance(node.func, ast.Name) and node.func.id == "range" and len(args) == 1:
        for op in (ast.Add, ast.Sub):
            yield "loop bound", partial(ast.Call, node.func, [ast.BinOp(args[0], op(), ast.Constant(1))], [])
    called = node.func.attr if isinstance(node.func, ast.Attribute) else None
    for other in SIBLINGS.get(called or "", ()):
        assert isinstance(node.func, ast.Attribute)
        yield "call", partial(ast.Call, ast.Attribute(node.func.value, other, ast.Load()), args, node.keywords)
    for index in range(len(node.keywords)):
        kept = node.keywords[:index] + node.keywords[index + 1:]
        yield "keyword", partial(ast.Call, node.func, args, kept)


def _expression_changes(node: ast.AST) -> Iterator[Change]:
    if isinstance(node, ast.Constant):
        yield from _constants(node)
    elif isinstance(node, ast.BinOp):
        yield from _binop(node)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        yield "unary", partial(_same, node.operand)
    elif isinstance(node, ast.Compare) and len(node.ops) == 1:
        for other in COMPARISONS.get(type(node.ops[0]), ()):
            yield "operator", partial(ast.Compare, node.left, [other()], node.comparators)
    elif isinstance(node, ast.BoolOp):
        yield "operator", partial(ast.BoolOp, ast.Or() if isinstance(node.op, ast.And) else ast.And(), node.values)
    elif isinstance(node, ast.Call):
        yield from _call(node)
    elif isinstance(node, ast.Tuple) and isinstance(node.ctx, ast.Load) and len(node.elts) == 2:
        yield "items", partial(ast.Tuple, node.elts[::-1], ast.Load())
    elif isinstance(node, ast.Attribute) and node.attr == "T":
        yield "transpose", partial(_same, node.value)


def _head(statement: ast.stmt) -> str:
    """A statement as the change shows it: a compound statement by its first line only."""
    if isinstance(statement, (ast.For, ast.While, ast.If, ast.With)):
        shallow = copy.copy(statement)
        shallow.body = [ast.Expr(ast.Constant(Ellipsis))]
        if hasattr(shallow, "orelse"):
            shallow.orelse = []
        return ast.unparse(shallow)
    return ast.unparse(statement)


class _Sites:
    """Walks a module in one fixed order and counts every change it could make; asked for change
    number `target`, makes it (in place) and says what it was."""

    def __init__(self, lines: frozenset[int], functions: frozenset[str], target: int | None) -> None:
        self.lines, self.functions, self.target = lines, functions, target
        self.count = 0
        self.made: tuple[str, Operator, str, str] | None = None

    def _ours(self, node: ast.AST) -> bool:
        first, last = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        return first is not None and last is not None and all(n in self.lines for n in range(first, last + 1))

    def _take(self) -> bool:
        hit = self.count == self.target
        self.count += 1
        return hit

    def module(self, tree: ast.Module) -> None:
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in self.functions:
                self._block(node.body, node.name)

    def _block(self, body: list[ast.stmt], function: str) -> None:
        for index in range(len(body)):
            statement = body[index]
            if self._ours(statement):
                before = ast.unparse(statement)
                if self._take():
                    body[index:index + 1] = [ast.Pass()] if len(body) == 1 else []
                    self.made = (function, "deleted", before, "")
                    return
                if not isinstance(statement, _ENDS) and self._take():  # a second `return` is never run
                    body.insert(index, copy.deepcopy(statement))
                    self.made = (function, "duplicated", before, f"{before}\n{before}")
                    return
                if index + 1 < len(body) and self._take():
                    pair = f"{before}\n{ast.unparse(body[index + 1])}"
                    body[index], body[index + 1] = body[index + 1], statement
                    self.made = (function, "moved", pair, f"{ast.unparse(body[index])}\n{before}")
                    return
            self._statement(statement, function)
            if self.made:
                return

    def _statement(self, statement: ast.stmt, function: str) -> None:
        ours = self._ours(statement)
        head = _head(statement) if ours else ""
        for field, value in ast.iter_fields(statement):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                self._block(value, function)
            elif ours and isinstance(value, ast.AST):
                replaced = self._expression(value)
                if replaced is not None:
                    setattr(statement, field, replaced)
            elif ours and isinstance(value, list):
                for position, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        replaced = self._expression(item)
                        if replaced is not None:
                            value[position] = replaced
            if self.made:
                if self.made[1] not in ("deleted", "duplicated", "moved") and not self.made[2]:
                    ast.fix_missing_locations(statement)
                    self.made = (function, self.made[1], head, _head(statement))
                return

    def _expression(self, node: ast.AST) -> ast.AST | None:
        """The node in place of `node` when the change made is here or below it (None: no change)."""
        if isinstance(node, (ast.stmt, ast.expr_context)):
            return None
        for operator, make in _expression_changes(node):
            if self._take():
                self.made = ("", operator, "", "")
                return make()
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.AST):
                replaced = self._expression(value)
                if replaced is not None:
                    setattr(node, field, replaced)
                    return node
            elif isinstance(value, list):
                for position, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        replaced = self._expression(item)
                        if replaced is not None:
                            value[position] = replaced
                            return node
            if self.made:
                return node
        return None


def mutants(code: str, lines: frozenset[int], functions: frozenset[str]) -> list[Mutant]:
    """Every mutant of `code` that changes one of `functions` on the given lines, each once: a
    change that leaves the module as it was (swapping two equal arguments, say) is left out."""
    tree = ast.parse(code)
    counter = _Sites(lines, functions, None)
    counter.module(copy.deepcopy(tree))
    original = ast.unparse(tree)
    seen = {original}
    found = []
    for target in range(counter.count):
        copied = copy.deepcopy(tree)
        sites = _Sites(lines, functions, target)
        sites.module(copied)
        if sites.made is None:
            continue
        ast.fix_missing_locations(copied)
        try:
            source = ast.unparse(copied)
            compile(source, "<mutant>", "exec")
        except (SyntaxError, ValueError, TypeError, RecursionError):
            continue
        if source in seen:
            continue
        seen.add(source)
        function, operator, before, after = sites.made
        found.append(Mutant(function, operator, before, after, source + "\n"))
    return found
