"""The import graph of fdsim: no cycles, and the numerics layers import only what is below them.

Read from the source with ``ast`` (no module is imported), every ``import``/``from … import``
anywhere in a file, lazy ones included, except those under ``if TYPE_CHECKING:`` (annotations
only: they never run, so they cannot make an import cycle). Two graphs: **modules**
(``fdsim.nn.fixed.crop``), and **packages**, where a module of a subpackage counts as its
package (``fdsim.nn.fixed``) and a module directly under ``fdsim/`` as itself (so
``fdsim.errors``, which everything imports, is no hub). A package cycle (``fdsim.nn`` ↔
``fdsim.nn.fixed``) means the two cannot be read, tested or replaced one at a time even where
no module cycle exists.

No cycle anywhere in fdsim, in either graph.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).parent.parent / "fdsim"

Graph = Mapping[str, frozenset[str]]


def module_names(root: Path) -> dict[str, Path]:
    """Every module under package ``root`` by dotted name (a package by its ``__init__``)."""
    names = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def module_graph(root: Path) -> dict[str, frozenset[str]]:
    """Module → the modules of the same package tree it imports (``from a import b`` is an
    edge to ``a.b`` when that is a module, else to ``a``)."""
    modules = module_names(root)
    graph = {}
    for name, path in modules.items():
        targets = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    child = f"{node.module}.{alias.name}"
                    targets.add(child if child in modules else node.module)
        graph[name] = frozenset(t for t in targets if t in modules and t != name)
    return graph


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _runtime_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    """Every node of ``tree`` except the bodies of ``if TYPE_CHECKING:`` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if _is_type_checking(node):
            stack.extend(getattr(node, "orelse", []))
            continue
        stack.extend(ast.iter_child_nodes(node))


def package_of(module: str, packages: Iterable[str], top: str) -> str:
    """The package ``module`` belongs to: itself for ``top``'s own modules and packages."""
    owners = [p for p in packages if p != top and (module == p or module.startswith(p + "."))]
    return max(owners, key=len) if owners else module


def package_graph(graph: Graph, root: Path) -> dict[str, frozenset[str]]:
    """``graph`` with each module replaced by :func:`package_of` (self-edges dropped)."""
    top = root.name
    packages = [name for name, path in module_names(root).items() if path.name == "__init__.py"]
    collapsed: dict[str, set[str]] = {}
    for module, targets in graph.items():
        source = package_of(module, packages, top)
        edges = collapsed.setdefault(source, set())
        edges |= {package_of(t, packages, top) for t in targets} - {source}
    return {name: frozenset(edges) for name, edges in collapsed.items()}


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_cycle_finder_finds_module_and_package_cycles(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    for folder, files in {
        "": {"__init__.py": "", "top.py": "import pkg.a.one\n"},
        "a": {"__init__.py": "", "one.py": "from pkg.b import two\n"},
        "b": {"__init__.py": "", "two.py": "from pkg.a.one import x\n", "three.py": ""},
        "c": {"__init__.py": "from pkg.c import four\n", "four.py": "import pkg.c\n"},
    }.items():
        (package / folder).mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (package / folder / name).write_text(text)
    graph = module_graph(package)
    assert graph["pkg.a.one"] == {"pkg.b.two"} and graph["pkg.b.two"] == {"pkg.a.one"}
    assert cycles(graph) == [["pkg.a.one", "pkg.b.two"], ["pkg.c", "pkg.c.four"]]
    assert package_graph(graph, package)["pkg.top"] == {"pkg.a"}
    assert cycles(package_graph(graph, package)) == [["pkg.a", "pkg.b"]]


def test_no_import_cycles() -> None:
    modules = module_graph(ROOT)
    assert cycles(modules) + cycles(package_graph(modules, ROOT)) == []


def test_the_numerics_layers_import_only_what_is_below_them() -> None:
    packages = package_graph(module_graph(ROOT), ROOT)
    assert packages["fdsim.vocabulary"] == frozenset()
    assert packages["fdsim.fixedpoint"] == {"fdsim.errors", "fdsim.spec"}
    assert packages["fdsim.geometry"] == frozenset()
    assert packages["fdsim.nn.fixed"] == {
        "fdsim.fixedpoint",
        "fdsim.geometry",
        "fdsim.nn",
        "fdsim.spec",
        "fdsim.vocabulary",
    }
    # The float maths: never the compiler, the simulator, nn.fixed or the graph (the shared
    # geometry of overlap-add tiles, below it, is allowed).
    assert packages["fdsim.nn"] == {"fdsim.errors", "fdsim.geometry", "fdsim.spec"}
    # The pooling library: numpy and scipy, and the Nyquist conventions of the float kernels.
    assert packages["fdsim.pooling"] == {"fdsim.nn"}


def test_the_graph_sits_between_the_kernels_and_its_readers() -> None:
    """Operators bind the float and bit-true kernels; the lowering builds operators; the
    compiler and the numerical model read the graph, and nothing below reads them."""
    packages = package_graph(module_graph(ROOT), ROOT)
    assert packages["fdsim.operators"] <= {
        "fdsim.counts",
        "fdsim.errors",
        "fdsim.fixedpoint",
        "fdsim.geometry",
        "fdsim.nn",
        "fdsim.nn.fixed",
        "fdsim.vocabulary",
    }
    assert packages["fdsim.network"] <= {
        "fdsim.errors",
        "fdsim.geometry",
        "fdsim.operators",
        "fdsim.spec",
    }
    for below in ("fdsim.nn", "fdsim.nn.fixed", "fdsim.operators", "fdsim.network"):
        assert "fdsim.schedule" not in packages[below] and "fdsim.model" not in packages[below]
