"""The layering rule, enforced by reading every module's imports.

Theory of operation: every ``.py`` file of the six source packages is parsed with ``ast``;
each ``import`` and ``from ... import`` statement (module level, inside functions, inside
``if TYPE_CHECKING:`` -- all of them count) becomes an ``Import`` naming the importing
module and the project module it loads (``from a.b import c`` loads ``a.b.c`` when that is
a module, else ``a.b``).  Three rules are then checked over that list:

* layers -- each module belongs to a *unit* of a layer (``LAYERS``, the table of
  docs/contributing.md); a unit imports itself and the units its row allows, never upward,
  never a sibling of its own layer (``checkers`` and ``systems.sim`` are both layer 1 and do
  not import each other);
* private -- a ``_module`` (any ``_``-prefixed part of the dotted name) is imported only by
  modules of its own *package*: the top package or its direct subpackage, so
  ``checkers.elle`` and ``checkers.session`` are different packages and
  ``checkers/_result.py`` belongs to ``checkers`` alone;
* cycles -- the graph of packages (same granularity, split where the layers split a package:
  ``ddialab.errors`` is layer 0 inside the layer-5 top package) has no cycle.

``ddialab/__init__.py`` is a layer-0 row of its own: it runs on every import of any
``ddialab.*`` module, the contract included, so it must import nothing of the project.

Imports through ``importlib.import_module(<string>)`` (the system, checker and workload
registries) are names in a table, not imports, and are not followed.  Each failure names the
file, the line, the import statement and the rule it breaks.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE_PACKAGES = ("ddialab", "checkers", "systems", "nemesis", "workloads", "reports")


@dataclass(frozen=True)
class Unit:
    """One row of the layering table: a module-name prefix (``exact``: that module only),
    its layer and the names of the rows it may import."""

    name: str
    layer: int
    may_import: tuple[str, ...]
    exact: bool = False

    @property
    def prefix(self) -> str:
        return self.name.removesuffix("/__init__")

    def holds(self, module: str) -> bool:
        if self.exact:
            return module == self.prefix
        return module == self.prefix or module.startswith(self.prefix + ".")


_CONTRACT = ("ddialab/__init__", "ddialab.history", "ddialab.errors", "ddialab.vocabulary")
_LAYER1 = ("checkers", "systems.sim", "ddialab.generator")

#: bottom first; a module belongs to the first row that holds it
LAYERS: tuple[Unit, ...] = (
    Unit("ddialab/__init__", 0, _CONTRACT, exact=True),
    *(Unit(p, 0, _CONTRACT) for p in _CONTRACT[1:]),
    Unit("checkers", 1, _CONTRACT),
    Unit("systems.sim", 1, _CONTRACT),
    Unit("ddialab.generator", 1, _CONTRACT),
    # systems families: layers 0-1, never checkers
    Unit("systems", 2, (*_CONTRACT, "systems.sim", "ddialab.generator")),
    Unit("nemesis", 3, (*_CONTRACT, *_LAYER1, "systems")),
    Unit("workloads", 3, (*_CONTRACT, *_LAYER1, "systems")),
    Unit("reports", 4, (*_CONTRACT, *_LAYER1)),
    Unit("ddialab", 5, ("*",)),
)


@dataclass(frozen=True)
class Import:
    """One import statement's edge: who imports which project module, and where."""

    path: str
    line: int
    importer: str
    target: str
    statement: str

    def where(self) -> str:
        return f"{self.path}:{self.line}: {self.statement}"


def unit_of(module: str) -> Unit:
    """The row of ``LAYERS`` a dotted module name belongs to."""
    for unit in LAYERS:
        if unit.holds(module):
            return unit
    raise LookupError(f"{module} is in no layer")


def package_of(module: str, root: Path = ROOT) -> str:
    """The top package, or its direct subpackage when the module lives in one."""
    parts = module.split(".")
    if len(parts) >= 2 and (root / parts[0] / parts[1]).is_dir():
        return ".".join(parts[:2])
    return parts[0]


def node_of(module: str, root: Path = ROOT) -> str:
    """A node of the cycle graph: the package, split further where layers split it
    (``ddialab.errors`` and ``ddialab/__init__`` are layer 0 inside the layer-5 ``ddialab``)."""
    unit = unit_of(module)
    return unit.name if unit.exact else max(package_of(module, root), unit.name, key=len)


def is_private(module: str) -> bool:
    return any(p.startswith("_") and not p.startswith("__") for p in module.split("."))


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str, root: Path) -> bool:
    base = root.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    """The absolute module a (possibly relative) ``from`` import names."""
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, node.module] if node.module else base)


def _targets(node: ast.stmt, importer: str, is_package: bool, root: Path) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        module = _absolute(node, importer, is_package)
        for alias in node.names:
            sub = f"{module}.{alias.name}"
            yield sub if _is_module(sub, root) else module


def imports_of_source(source: str, path: str, importer: str, root: Path = ROOT) -> list[Import]:
    """Every project import in one module's source, lazy and TYPE_CHECKING ones included."""
    is_package = path.endswith("__init__.py")
    found: dict[tuple[int, str], Import] = {}
    for node in ast.walk(ast.parse(source, filename=path)):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        statement = ast.unparse(node)
        for target in _targets(node, importer, is_package, root):
            if target.split(".")[0] in SOURCE_PACKAGES:
                found[node.lineno, target] = Import(path, node.lineno, importer, target, statement)
    return sorted(found.values(), key=lambda imp: (imp.line, imp.target))


def project_imports(root: Path = ROOT) -> list[Import]:
    """The imports of every module of the six source packages."""
    found: list[Import] = []
    for package in SOURCE_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            rel = str(path.relative_to(root))
            found += imports_of_source(path.read_text(), rel, module_name(path, root), root)
    return found


def layer_violations(imports: Iterable[Import]) -> list[str]:
    """Upward imports and imports of a same-layer sibling the table does not allow."""
    problems = []
    for imp in imports:
        src, dst = unit_of(imp.importer), unit_of(imp.target)
        if src == dst or "*" in src.may_import or dst.name in src.may_import:
            continue
        allowed = ", ".join(src.may_import)
        problems.append(
            f"{imp.where()} -- layer rule: {src.name} (layer {src.layer}) may import only "
            f"{allowed}; {imp.target} is {dst.name} (layer {dst.layer})"
        )
    return problems


def private_violations(imports: Iterable[Import], root: Path = ROOT) -> list[str]:
    """Imports of another package's private ``_module``."""
    problems = []
    for imp in imports:
        theirs, ours = package_of(imp.target, root), package_of(imp.importer, root)
        if is_private(imp.target) and theirs != ours:
            problems.append(
                f"{imp.where()} -- private rule: {imp.target} is private to package "
                f"{theirs}; {ours} must import a public name of {theirs}'s __init__"
            )
    return problems


def cycle_violations(imports: Iterable[Import], root: Path = ROOT) -> list[str]:
    """Cycles in the package graph, each edge shown by one import that makes it."""
    graph: nx.DiGraph = nx.DiGraph()
    for imp in imports:
        a, b = node_of(imp.importer, root), node_of(imp.target, root)
        if a != b and not graph.has_edge(a, b):
            graph.add_edge(a, b, example=imp.where())
    problems = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            cycle = nx.find_cycle(graph.subgraph(component))
            edges = "; ".join(f"{a} -> {b} ({graph.edges[a, b]['example']})" for a, b in cycle)
            problems.append(f"cycle rule: packages {sorted(component)} import each other: {edges}")
    return problems


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return project_imports()


def _report(problems: list[str]) -> str:
    return f"{len(problems)} violation(s):\n" + "\n".join(problems)


def test_no_upward_or_sibling_import(imports: list[Import]) -> None:
    """Guards the layering table: a module importing a unit its row does not allow fails."""
    problems = layer_violations(imports)
    assert not problems, _report(problems)


def test_no_cross_package_private_import(imports: list[Import]) -> None:
    """Guards the private rule: ``from checkers.elle._x import y`` outside checkers.elle fails."""
    problems = private_violations(imports)
    assert not problems, _report(problems)


def test_no_cycle_between_packages(imports: list[Import]) -> None:
    """Guards against package cycles (``nemesis`` -> ``ddialab.runner`` -> ``nemesis``)."""
    problems = cycle_violations(imports)
    assert not problems, _report(problems)


# -- the rules bite: synthetic imports that each rule must reject -------------------------


def _synthetic(source: str, path: str) -> list[Import]:
    return imports_of_source(source, path, module_name(ROOT / path, ROOT))


@pytest.mark.parametrize(
    ("path", "source", "target"),
    [
        ("systems/storage/_fake.py", "from ddialab.runner import run\n", "ddialab.runner"),
        ("nemesis/_fake.py", "def f():\n    import ddialab.cli\n", "ddialab.cli"),
        ("systems/replication/_fake.py", "from checkers import compose\n", "checkers"),
        ("checkers/elle/_fake.py", "from systems.sim import World\n", "systems.sim"),
        ("reports/_fake.py", "from nemesis import compose\n", "nemesis"),
        ("ddialab/history/_fake.py", "from ..runner import run\n", "ddialab.runner"),
        ("ddialab/__init__.py", "from ddialab.cli import main\n", "ddialab.cli"),
    ],
)
def test_layer_rule_rejects_a_synthetic_upward_import(path: str, source: str, target: str) -> None:
    """Guards the layer check itself: an upward, lazy, sibling or relative import that the
    table forbids is reported with its file, line, statement and the rule."""
    (imp,) = _synthetic(source, path)
    assert imp.target == target
    (problem,) = layer_violations([imp])
    line = source.count("\n", 0, source.index("import")) + 1
    assert problem.startswith(f"{path}:{line}: {source.strip().splitlines()[-1].strip()}")
    assert "layer rule" in problem and target in problem


def test_layer_rule_accepts_downward_and_own_imports() -> None:
    """Guards against a check that rejects everything: allowed edges pass."""
    source = "from ddialab.history import History\nfrom systems.sim import World\n"
    assert layer_violations(_synthetic(source, "nemesis/_fake.py")) == []
    assert layer_violations(_synthetic("from . import _core\n", "nemesis/_fake.py")) == []


def test_private_rule_rejects_another_packages_private_module() -> None:
    """Guards the private check: checkers.session importing checkers.elle's ``_module`` is
    reported, while a module of checkers.elle importing it is not."""
    source = "from checkers.elle._tables import X\n"
    (problem,) = private_violations(_synthetic(source, "checkers/session/_fake.py"))
    assert problem.startswith("checkers/session/_fake.py:1: from checkers.elle._tables import X")
    assert "private rule" in problem and "checkers.elle" in problem
    assert private_violations(_synthetic(source, "checkers/elle/_fake.py")) == []


def test_private_rule_sees_a_private_module_named_in_the_import_list() -> None:
    """Guards ``from pkg import _module`` (the private part is the imported name)."""
    (problem,) = private_violations(_synthetic("from nemesis import _core\n", "reports/_x.py"))
    assert "nemesis._core" in problem


def test_cycle_rule_rejects_two_packages_importing_each_other() -> None:
    """Guards the cycle check: nemesis -> ddialab.runner -> nemesis is reported with the
    import that makes each edge."""
    there = _synthetic("from ddialab.runner import TestSpec\n", "nemesis/_fake.py")
    back = _synthetic("from nemesis import compose\n", "ddialab/runner/_fake.py")
    (problem,) = cycle_violations([*there, *back])
    assert "cycle rule" in problem and "['ddialab.runner', 'nemesis']" in problem
    assert "nemesis/_fake.py:1" in problem and "ddialab/runner/_fake.py:1" in problem
    assert cycle_violations(there) == []


def test_every_source_module_is_read() -> None:
    """Guards the walk: a package the scan missed would pass every rule vacuously."""
    importers = {package_of(imp.importer) for imp in project_imports()}
    assert {"checkers.elle", "systems.external", "nemesis", "workloads", "reports"} <= importers
    assert {"ddialab", "ddialab.runner", "ddialab.history", "systems.sim"} <= importers


def test_importing_nemesis_loads_no_system_family() -> None:
    """Guards the light ``systems`` surface: ``nemesis`` needs ``Primaries``, and importing
    it must not import every system family (the registry loads on first use of SYSTEMS)."""
    code = (
        "import sys, nemesis\n"
        "print(sorted(m for m in sys.modules if m.startswith('systems.')"
        " and not m.startswith('systems.sim') and m.count('.') == 1))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['systems._protocols']"
