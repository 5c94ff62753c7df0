"""The import rules of docs/architecture.md, enforced: layers import in one direction only, no
import cycle (imports inside functions counted), and S3 reached from the adapter and the
subcommands only through ``store.base`` and ``store.open``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "git_annex_remote_s3py"
PKG = "git_annex_remote_s3py"
BOTO = {"boto3", "botocore", "s3transfer", "urllib3"}
PURE = ("errors.py", "keystate.py", "naming.py", "urls.py", "config.py", "credentials.py",
        "progress.py", "annexlog.py")


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """The import nodes under ``if TYPE_CHECKING:`` (never run: they make no cycle)."""
    return {inner for node in ast.walk(tree) if isinstance(node, ast.If)
            and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
            for inner in ast.walk(node)}


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    """Dotted names of every module ``path`` imports (anywhere, or at module level only)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    skipped = _type_checking_only(tree)
    found: set[str] = set()
    for node in nodes:
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: relative import; write {PKG}.… in full"
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def touches(found: set[str], forbidden: set[str]) -> set[str]:
    return {name for name in found
            if any(name == f or name.startswith(f + ".") for f in forbidden)}


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("path", modules("store"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_store_knows_nothing_of_git_annex(path):
    assert not touches(imports(path), {"annexremote", f"{PKG}.annex", f"{PKG}.commands",
                                       f"{PKG}.publish", f"{PKG}.cli"})


@pytest.mark.parametrize("path", modules("annex"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_adapter_never_calls_boto3(path):
    assert not touches(imports(path), BOTO | {f"{PKG}.publish", f"{PKG}.commands"})


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_import_no_layer(name):
    assert not touches(imports(PACKAGE / name), BOTO | {"annexremote", f"{PKG}.annex",
                                                        f"{PKG}.store", f"{PKG}.publish"})


@pytest.mark.parametrize("path", modules("publish"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_publisher_drives_git_annex_not_s3(path):
    assert not touches(imports(path), BOTO | {"annexremote", f"{PKG}.annex", f"{PKG}.store"})


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_boto3_is_imported_lazily(path):
    """boto3 costs ~0.4 s to import: only inside the functions that need it."""
    assert not touches(imports(path, top_level_only=True), BOTO)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_type_stubs_only_under_type_checking(path):
    """The S3 client's stubs (the test extra's boto3-stubs[s3]) are not installed where the
    remote runs: imported under ``if TYPE_CHECKING:`` only."""
    assert not touches(imports(path), {"mypy_boto3_s3"})


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports, at module level or inside functions (an
    imported name that is a module counts as that module)."""
    paths = sorted(PACKAGE.rglob("*.py"))
    names = {module_name(path) for path in paths}
    return {module_name(path): {name for name in imports(path) if name in names}
            - {module_name(path)} for path in paths}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
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
    return found


def test_no_import_cycle_even_through_lazy_imports():
    """A lazy import may save start-up time; it may not hide a cycle."""
    graph = package_graph()
    assert "git_annex_remote_s3py.store.boto.objects" in graph  # the graph is the package's
    assert cycles(graph) == []


def test_the_cycle_finder_finds_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


STORE_DOORS = {f"{PKG}.store.base", f"{PKG}.store.open"}


@pytest.mark.parametrize("path", modules("annex") + modules("verify")
                         + [PACKAGE / "commands.py", PACKAGE / "cli.py"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_adapter_and_commands_reach_s3_only_through_the_store_interface(path):
    found = {name for name in touches(imports(path), {f"{PKG}.store"})
             if name not in (f"{PKG}.store", f"{PKG}.store.open")}
    assert {name for name in found
            if not any(name == door or name.startswith(door + ".") for door in STORE_DOORS)
            } == set()


@pytest.mark.parametrize("engine, other", [("boto", "lean"), ("lean", "boto")])
def test_the_engines_do_not_know_each_other(engine, other):
    """The lean-or-botocore choice is made in store/bucket.py, outside both engines (as boto3's
    create_transfer_manager chooses between its two)."""
    for path in modules(f"store/{engine}"):
        assert not touches(imports(path), {f"{PKG}.store.{other}", f"{PKG}.store.bucket",
                                           f"{PKG}.store.open"}), path


@pytest.mark.parametrize("path", modules("datalad_ext"),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_datalad_extension_builds_on_the_publisher_not_on_s3(path):
    assert not touches(imports(path), BOTO | {"annexremote", f"{PKG}.annex", f"{PKG}.store",
                                              f"{PKG}.cli", f"{PKG}.commands"})


# The layers, top to bottom; a module imports only from its own layer or one below it.
LAYERS = (
    ("cli",),
    ("verify",),
    ("commands",),
    ("datalad_ext",),
    ("annex", "publish"),
    ("store.open",),
    ("store.bucket", "store.public", "store.reachability"),
    ("store.boto", "store.lean"),
    ("store", "store.aws", "store.base", "store.integrity", "store.localfile"),
    ("errors", "keystate", "naming", "urls", "config", "credentials", "progress", "annexlog",
     ""),
)


def layer_of(module: str) -> int:
    """The rank of a package module's layer (its folder, or for store/ its module or engine
    folder)."""
    parts = module.split(".")[1:]
    name = ".".join(parts[:2]) if parts[:1] == ["store"] else ".".join(parts[:1])
    for rank, layer in enumerate(LAYERS):
        if name in layer:
            return rank
    raise AssertionError(f"{module}: in no layer of LAYERS (add it where it belongs)")


def test_imports_flow_one_way_down_the_layers():
    """docs/architecture.md's order: cli -> verify -> commands -> annex (publish beside it)
    -> store (open -> bucket, listing, public -> boto, lean -> aws, base, integrity,
    localfile) -> the pure modules; lazy imports count."""
    upward = sorted(f"{module} -> {target}" for module, targets in package_graph().items()
                    for target in targets if layer_of(target) < layer_of(module))
    assert upward == []
