"""When s3py leaves out its per-request DEBUG lines: only where git-annex surely hides them."""

from __future__ import annotations

import pytest

from git_annex_remote_s3py.annex import debugging

ANNEX = ["/usr/bin/git-annex", "copy", "--to", "s3", "-J4", "."]


@pytest.mark.parametrize(("parent", "config", "hidden"), [
    (ANNEX, {}, True),
    (["git-annex", "get", "."], {"annex.debug": "false"}, True),
    (ANNEX, {"annex.debug": "true"}, False),
    (ANNEX, {"annex.debug": ""}, False),  # a bare key is true
    (ANNEX, {"annex.debugfilter": "Remote.External"}, False),
    (["/usr/bin/git-annex", "--debug", "copy", "."], {}, False),
    (["/usr/bin/git-annex", "copy", "-d", "."], {}, False),
    (["/usr/bin/git-annex", "copy", "--debugfilter=External", "."], {}, False),
    (["/usr/bin/git-annex", "-c", "annex.debug=true", "copy", "."], {}, False),
    (["/usr/bin/python3", "remote-test.py"], {}, False),  # not git-annex: lines are sent
    (None, {}, False),  # no /proc
    ([""], {}, False),
])
def test_debug_lines_are_left_out_only_where_git_annex_hides_them(monkeypatch, parent,
                                                                 config, hidden):
    monkeypatch.setattr(debugging, "parent_arguments", lambda: parent)
    assert debugging.git_annex_hides_debug(config) == hidden
