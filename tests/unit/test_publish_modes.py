"""The publisher's modes are classes: each says the remote's settings, whether datalad push can
send to it and what verify checks; ``MODES`` maps ``--mode`` to them and no other module
compares a mode's name. The same for ``datalad create-sibling-s3 --mode``: ``SIBLING_MODES``
(datalad_ext/sibling_modes.py) says which siblings each makes, in which layout."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from git_annex_remote_s3py.datalad_ext.create_sibling_s3 import _names
from git_annex_remote_s3py.datalad_ext.sibling_modes import SIBLING_MODES
from git_annex_remote_s3py.publish.git import PublishError
from git_annex_remote_s3py.publish.main import build_parser, options_from
from git_annex_remote_s3py.publish.modes import EXPORT, KEY, MODES, mode_named
from git_annex_remote_s3py.publish.options import Options
from git_annex_remote_s3py.publish.remotes import wanted_config

PACKAGE = Path(__file__).resolve().parents[2] / "git_annex_remote_s3py"


@pytest.mark.parametrize("mode, exporttree, push, verify", [
    (EXPORT, "yes", False, ["--branch", "HEAD"]),
    (KEY, "no", True, []),
])
def test_each_mode_says_its_settings(mode, exporttree, push, verify):
    assert wanted_config(Options(bucket="b-1", mode=mode), "ds/")["exporttree"] == exporttree
    assert mode.push_sends_data is push
    assert mode.verify_args() == verify


def test_the_command_line_maps_to_the_classes():
    assert list(MODES) == ["export", "key"]
    for name, mode in MODES.items():
        args = build_parser().parse_args(["ds", "--bucket", "b", "--mode", name])
        assert options_from(args).mode is mode
    assert options_from(build_parser().parse_args(["ds", "--bucket", "b"])).mode is EXPORT
    with pytest.raises(PublishError, match="--mode 'tree': choose one of export, key"):
        mode_named("tree")


def compared_strings(path: Path) -> set[str]:
    """Every string constant compared (==, !=, in) or given as a choice in ``path``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare):
            found |= {side.value for side in [node.left, *node.comparators]
                      if isinstance(side, ast.Constant) and isinstance(side.value, str)}
        elif isinstance(node, ast.keyword) and node.arg == "choices":
            found |= {elt.value for elt in getattr(node.value, "elts", [])
                      if isinstance(elt, ast.Constant)}
    return found


OUTSIDE_THE_TABLES = sorted({*(PACKAGE / "publish").glob("*.py"),
                             *(PACKAGE / "datalad_ext").glob("*.py")}
                            - {PACKAGE / "publish" / "modes.py",
                               PACKAGE / "datalad_ext" / "sibling_modes.py"})


@pytest.mark.parametrize("path", OUTSIDE_THE_TABLES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_mode_name_is_compared_outside_modes(path):
    assert not compared_strings(path) & (set(MODES) | set(SIBLING_MODES))


def test_no_mode_name_is_tested_by_its_spelling():
    """Names are looked up in the tables, never taken apart (``mode.endswith("-only")``)."""
    for path in OUTSIDE_THE_TABLES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("startswith", "endswith") and node.args \
                    and isinstance(node.args[0], ast.Constant):
                assert not any(str(node.args[0].value) in name
                               for name in (*MODES, *SIBLING_MODES)), (path, node.lineno)


@pytest.mark.parametrize("mode, siblings, layout", [
    ("annex", ["s3", "s3-storage"], KEY),
    ("filetree", ["s3", "s3-storage"], EXPORT),
    ("annex-only", ["s3-storage"], KEY),
    ("filetree-only", ["s3-storage"], EXPORT),
    ("git-only", ["s3"], None),
])
def test_each_sibling_mode_says_its_siblings(mode, siblings, layout):
    """The git sibling first, then the storage sibling (here given its default name; in the
    storage-only modes the validator hands it ``--name``), in the mode's publish layout."""
    sibling_mode = SIBLING_MODES[mode]
    assert _names(sibling_mode, "s3", "s3-storage") == siblings
    assert sibling_mode.storage is layout
    assert sibling_mode.storage_alone is (siblings == ["s3-storage"])
