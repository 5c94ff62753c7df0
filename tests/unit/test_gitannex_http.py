"""When git-annex's own HTTP client can fetch a URL s3py would hand it (TRANSFER-RETRIEVE-URL)."""

from __future__ import annotations

import subprocess

import pytest

from git_annex_remote_s3py.annex import gitannex_http
from git_annex_remote_s3py.annex.debugging import debug_flag
from git_annex_remote_s3py.annex.gitannex_http import why_git_annex_cannot_fetch


@pytest.mark.parametrize("url, allowed, blocked", [
    ("http://127.0.0.1:9000/b/k", "", "127.0.0.1, which annex.security.allowed-ip-addresses"),
    ("http://127.0.0.1:9000/b/k", "10.0.0.1", "127.0.0.1, which"),
    ("http://127.0.0.1:9000/b/k", "10.0.0.1 127.0.0.1", None),
    ("http://127.0.0.1:9000/b/k", "all", None),
    ("https://192.168.1.5/b/k", "", "192.168.1.5, which"),
    ("http://[::1]:9000/b/k", "[::1]", None),
    ("http://[::1]:9000/b/k", "", "::1, which"),
    ("https://1.1.1.1/b/k", "", None),  # a global address needs no allowance
    ("ftp://1.1.1.1/b/k", "all", "not an http(s) URL"),
])
def test_addresses_follow_allowed_ip_addresses(url, allowed, blocked):
    found = why_git_annex_cannot_fetch(url, allowed, {})
    assert (found is None) if blocked is None else (blocked in found), found


@pytest.mark.parametrize("variable, words", [("AWS_CA_BUNDLE", "AWS_CA_BUNDLE"),
                                             ("HTTPS_PROXY", "proxy"),
                                             ("http_proxy", "proxy")])
def test_ca_bundle_and_proxies_keep_s3py_client(variable, words):
    found = why_git_annex_cannot_fetch("https://1.1.1.1/b/k", "all", {variable: "x"})
    assert found is not None and words in found


@pytest.mark.parametrize("arguments, on", [
    (["get", "--debug", "."], True),
    (["get", "-d", "."], True),
    (["get", "-qd", "."], True),
    (["-c", "annex.debug=true", "get", "."], True),
    (["get", "--debugfilter=External", "."], True),
    (["get", "-J4", "--from", "s3", "."], False),
    (["get", "-q", "--", "-d"], True),  # a file named -d after --: off is the safe mistake
    (["copy", "--to", "s3", "dir"], False),
])
def test_debug_flag_of_a_git_annex_command_line(arguments, on):
    assert debug_flag(arguments) == on


def test_no_presigned_url_where_git_annexs_command_line_is_unreadable(tmp_path, monkeypatch):
    """Without /proc (macOS, BSD) s3py cannot tell whether git-annex runs with --debug, which
    would log the URL: no presigned URL then; with a readable quiet command line, one."""
    git_dir = tmp_path / "repo.git"
    subprocess.run(["git", "init", "-q", "--bare", str(git_dir)], check=True)
    monkeypatch.setattr(gitannex_http, "parent_arguments", lambda: None)
    assert "not readable" in (gitannex_http.why_a_secret_url_would_show(str(git_dir)) or "")
    monkeypatch.setattr(gitannex_http, "parent_arguments",
                        lambda: ["/usr/bin/git-annex", "get", "-J4", "."])
    assert gitannex_http.why_a_secret_url_would_show(str(git_dir)) is None
    monkeypatch.setattr(gitannex_http, "parent_arguments",
                        lambda: ["/usr/bin/git-annex", "get", "--debug", "."])
    assert "--debug" in (gitannex_http.why_a_secret_url_would_show(str(git_dir)) or "")


def test_git_config_is_read_once_per_process(tmp_path, monkeypatch):
    """The check made once per host (allowed addresses) and the presigned-URL check answer
    from one ``git config`` run per process; another repository is read on its own."""
    git_dir = tmp_path / "once.git"
    subprocess.run(["git", "init", "-q", "--bare", str(git_dir)], check=True)
    for name, value in (("annex.security.allowed-ip-addresses", "127.0.0.1"),
                        ("annex.web-options", "--silent")):
        subprocess.run(["git", "--git-dir", str(git_dir), "config", name, value], check=True)
    reads = []
    real_run = subprocess.run

    def counted_run(arguments, **options):
        reads.append(arguments)
        return real_run(arguments, **options)

    monkeypatch.setattr(gitannex_http.subprocess, "run", counted_run)
    for _host in range(3):
        assert gitannex_http.allowed_ip_addresses(str(git_dir)) == "127.0.0.1"
    assert "annex.web-options" in (gitannex_http.why_a_secret_url_would_show(str(git_dir)) or "")
    assert [arguments[3:5] for arguments in reads] == [["config", "--get-regexp"]]
    other = tmp_path / "other.git"
    real_run(["git", "init", "-q", "--bare", str(other)], check=True)
    assert gitannex_http.allowed_ip_addresses(str(other)) == ""
    assert len(reads) == 2
