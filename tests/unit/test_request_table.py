"""The request table in annex/protocol.py's docstring is true: every request git-annex sends
has its row, each row names a handler that exists and the ``S3Remote`` method and module
that answer it, and each request method of annex/remote.py stays a few lines (the issue's
model: datalad-next's ``annexremotes/uncurl.py``, request methods under ~10 lines)."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import annexremote
import pytest

from git_annex_remote_s3py.annex import protocol
from git_annex_remote_s3py.annex.remote import S3Remote

PACKAGE = Path(__file__).resolve().parents[2] / "git_annex_remote_s3py"
ROW = re.compile(r"^    (\+?[A-Z-]+(?: [A-Z]+)?) +(\S+) +(.*)$")
# annexremote's handlers of lines that are no request (an unknown word, git-annex's ERROR)
NOT_REQUESTS = {"UNKNOWN", "ERROR"}
REQUEST_LINES = 10  # a request method's body, its docstring left out


def rows() -> list[tuple[str, str, str]]:
    table = (protocol.__doc__ or "").split("::", 1)[1]
    found = [ROW.match(line) for line in table.splitlines() if line.strip()]
    assert all(found), "a line of the table does not read REQUEST METHOD MODULE"
    return [match.groups() for match in found if match]


def handlers() -> set[str]:
    return {name[3:] for name, _ in inspect.getmembers(protocol.ImportProtocol)
            if name.startswith("do_")} - NOT_REQUESTS


def request_methods() -> dict[str, ast.FunctionDef]:
    """S3Remote's public methods as annex/remote.py writes them."""
    tree = ast.parse((PACKAGE / "annex" / "remote.py").read_text())
    remote = next(node for node in tree.body
                  if isinstance(node, ast.ClassDef) and node.name == "S3Remote")
    return {node.name: node for node in remote.body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}


def test_every_request_has_its_row_and_its_handler():
    requests = {request.split(" ")[0] for request, _, _ in rows() if request[0] != "+"}
    assert requests == handlers()


@pytest.mark.parametrize("request_, method, module", rows(), ids=lambda v: str(v))
def test_each_row_names_what_exists(request_, method, module):
    if request_.startswith("+"):
        assert request_[1:] in protocol.WANTED_EXTENSIONS
    if method != "-":
        assert hasattr(S3Remote, method), f"S3Remote has no {method}"
    path = module.split(" ")[0].rstrip(",")
    if path.endswith(".py"):
        assert (PACKAGE / path).is_file(), path


def test_every_request_method_is_in_the_table():
    """Besides the helpers every adapter has (debug, settings, store), each public method
    of S3Remote answers a row of the table (annexremote calls it by that name)."""
    named = {method for _, method, _ in rows()} - {"-"}
    assert set(request_methods()) - {"debug", "settings", "store"} == named


@pytest.mark.parametrize("name", sorted({method for _, method, _ in rows()} - {"-"}))
def test_each_request_method_is_a_few_lines(name):
    node = request_methods()[name]
    body = node.body
    if isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None),
                                                    ast.Constant):
        body = body[1:]
    lines = body[-1].end_lineno - body[0].lineno + 1 if body else 0
    assert lines <= REQUEST_LINES, (f"S3Remote.{name} has {lines} lines: move the work into "
                                    "the module that owns it (annex/protocol.py's table)")


def test_annexremote_calls_the_methods_the_table_names():
    """The names are annexremote's own (its Protocol calls ``self.remote.<name>``), so a
    renamed method would silently fall back to annexremote's default answer."""
    source = inspect.getsource(annexremote.annexremote.Protocol)
    ours = inspect.getsource(protocol)
    for _, method, _ in rows():
        if method != "-":
            assert (hasattr(annexremote.ExportRemote, method) or f"remote.{method}" in source
                    or f"remote.{method}" in ours), method
