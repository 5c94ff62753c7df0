"""The publisher's modes are classes: each says the remote's settings, whether datalad push can
send to it and what verify checks; ``MODES`` maps ``--mode`` to them and no other module
compares a mode's name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("path", sorted({*(PACKAGE / "publish").glob("*.py"),
                                         *(PACKAGE / "datalad_ext").glob("*.py")}
                                        - {PACKAGE / "publish" / "modes.py"}),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_mode_name_is_compared_outside_modes(path):
    assert not compared_strings(path) & set(MODES)
