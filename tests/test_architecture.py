"""The tree keeps the design: the pure core never reaches the shell, and no module imports
another that (directly or not) imports it back, not even lazily inside a function."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "flows")
SHELL_ONLY = frozenset(
    {
        "bot",
        "telegram",
        "twilio",
        "fastapi",
        "starlette",
        "sqlmodel",
        "sqlalchemy",
        "alembic",
        "httpx",
        "uvicorn",
        "apscheduler",
        "aiolimiter",
        "prometheus_client",
        "os",
        "socket",
    }
)
"""Top-level packages `flows/` must never import: it does no I/O and knows no channel."""

Graph = dict[str, set[str]]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _imported_names(name: str, path: Path) -> set[str]:
    """Every module name imported anywhere in the file (top level, functions, TYPE_CHECKING)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}".rstrip(".")
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _resolve(imported: str, modules: dict[str, Path]) -> str | None:
    """The project module an import loads (the longest known prefix), or None if external."""
    while imported and imported not in modules:
        imported = imported.rpartition(".")[0]
    return imported or None


@cache
def import_graph() -> Graph:
    modules = _modules()
    graph: Graph = {}
    for name, path in modules.items():
        targets = {_resolve(i, modules) for i in _imported_names(name, path)}
        # `from bot.cli import roster` names the package and its module: keep the module only.
        deps = {t for t in targets if t is not None and t != name}
        deps -= {d for d in deps if any(o.startswith(d + ".") for o in deps)}
        graph[name] = deps
    return graph


def find_cycle(graph: Graph) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_graph_sees_top_level_and_lazy_imports() -> None:
    graph = import_graph()
    assert "bot.escalation" in graph["bot.service"]  # top level
    assert "bot.web" in graph["bot.cli.processes"]  # inside a function
    assert "bot.cli.roster" in graph["bot.cli"]  # `from bot.cli import roster`
    assert len(graph) > 60


def test_no_import_cycle_in_bot_or_flows() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_flows_never_imports_the_shell_or_io() -> None:
    modules = _modules()
    offenders = {
        f"{name}: {imported}"
        for name, path in modules.items()
        if name.startswith("flows")
        for imported in _imported_names(name, path)
        if imported.split(".")[0] in SHELL_ONLY
    }
    assert not offenders


LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.cli", "bot.__main__", "bot.channels.console", "bot.channels.polling"),
    ("bot.web", "bot.operations", "bot.panel", "bot.worker", "bot.scheduler"),
    ("bot.app",),
    ("bot.service", "bot.person", "bot.flood", "bot.escalation", "bot.defensora"),
    ("bot.casebook", "bot.case_upkeep", "bot.roster", "bot.broadcast", "bot.dispatcher"),
    ("bot.store", "bot.channels", "bot.clock", "bot.ratelimit", "bot.privacy", "bot.settings"),
    ("bot.content", "bot.logs", "bot.metrics"),
    ("flows",),
)
"""The README's layers, top first: processes, wiring, shell, ports, core. A module not listed
here (a new one) is placed by its longest listed prefix, or not checked."""


def _layer(module: str) -> int | None:
    best: tuple[int, int] | None = None
    for depth, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            inside = module == prefix or module.startswith(prefix + ".")
            if inside and (best is None or len(prefix) > best[1]):
                best = (depth, len(prefix))
    return None if best is None else best[0]


def test_imports_only_go_down_the_layers() -> None:
    upward = set()
    for name, deps in import_graph().items():
        here = _layer(name)
        for dep in deps:
            there = _layer(dep)
            if here is not None and there is not None and there < here:
                upward.add(f"{name} -> {dep}")
    assert not upward


def test_the_layer_check_sees_an_upward_import() -> None:
    assert _layer("bot.store.outbox") is not None and _layer("bot.service") is not None
    assert _layer("bot.service") < _layer("bot.store.outbox")  # type: ignore[operator]
    assert _layer("bot.channels.console") < _layer("bot.channels.envelope")  # type: ignore[operator]


def test_the_store_and_channels_sit_below_the_service() -> None:
    """Lower layers never import a higher one (the service, the app, processes, the CLI)."""
    higher = ("bot.service", "bot.escalation", "bot.app", "bot.worker", "bot.web", "bot.cli")
    lower = ("bot.store", "bot.channels.envelope", "bot.channels.telegram")
    lower += ("bot.channels.whatsapp", "bot.dispatcher", "bot.privacy", "bot.settings")
    graph = import_graph()
    offenders = {
        f"{name} -> {dep}"
        for name, deps in graph.items()
        if name.startswith(lower)
        for dep in deps
        if dep.startswith(higher)
    }
    assert not offenders


def test_every_path_the_readme_architecture_names_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Architecture") :]
    section = section[: section.index("\n## ", 1)]
    named = set(re.findall(r"\b((?:bot|flows|tests)/[\w/]*\w(?:\.py|/))", section))
    assert len(named) > 20
    assert sorted(p for p in named if not (ROOT / p).exists()) == []
