"""The import rules of docs/architecture.md, enforced: layers import in one direction only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "git_annex_remote_s3py"
PKG = "git_annex_remote_s3py"
BOTO = {"boto3", "botocore", "s3transfer", "urllib3"}
PURE = ("errors.py", "naming.py", "urls.py", "config.py", "credentials.py", "progress.py",
        "annexlog.py")


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    """Dotted names of every module ``path`` imports (anywhere, or at module level only)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    found: set[str] = set()
    for node in nodes:
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
