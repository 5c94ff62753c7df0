"""Every setting the docs show is one s3py accepts: each ``git annex initremote``/``enableremote``
command in README.md and docs/*.md (code blocks and inline code), and each inline
``setting=value``, goes through ``config.load_settings``."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from git_annex_remote_s3py.config import load_settings, setting_named
from git_annex_remote_s3py.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Shell variables the pages use, with values a reader would put there.
SHELL_VALUES = {"BUCKET": "my-public-bucket", "prefix": "ds1"}
BASE = {"bucket": "my-dataset-bucket"}  # what an enableremote example changes
COMMAND = re.compile(r"\bgit annex (initremote|enableremote)\b")
PLACEHOLDER = re.compile(r"\.\.\.|…")
# Inline mentions that are no example of an s3py value, and why.
NOT_EXAMPLES = {"bukket=": "an unknown name, refused on purpose",
                "signature=v2": "the built-in type=S3 remote's setting",
                "publicurl=URL": "a placeholder in a table of settings"}


def code_blocks(text: str) -> list[str]:
    """Indented code blocks, continuation lines joined, one command per entry."""
    commands, current = [], ""
    for line in text.splitlines():
        if not line.startswith("    "):
            current = ""
            continue
        code = line.strip()
        current = f"{current} {code}" if current else code
        if current.endswith("\\"):
            current = current[:-1]
            continue
        commands.append(current)
        current = ""
    return commands


def inline_spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


def shell_words(command: str) -> list[str]:
    command = command.split(" #", 1)[0]
    for name, value in SHELL_VALUES.items():
        command = re.sub(rf"\$\{{?{name}\}}?\b", value, command)
    return shlex.split(command)


def settings_of(words: list[str]) -> dict[str, str]:
    """The s3py settings among ``name=value`` words (git-annex's own are left out)."""
    found = {}
    for word in words:
        name, sep, value = word.partition("=")
        if sep and not word.startswith("-") and setting_named(name):
            found[name] = value
    return found


def examples() -> list[tuple[str, dict[str, str]]]:
    """(where, settings) of every command and inline setting the pages show."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for command in code_blocks(text) + inline_spans(text):
            match = COMMAND.search(command)
            if not match or PLACEHOLDER.search(command):
                continue
            words = shell_words(command[match.start():])
            if not any("=" in word for word in words):
                continue  # the command named in a sentence, not an example
            settings = settings_of(words)
            if match.group(1) == "enableremote":
                settings = {**BASE, **settings}
            found.append((f"{page.name}: {command[:70]}", settings))
        for span in inline_spans(text):
            name, sep, value = span.partition("=")
            if (sep and setting_named(name) and value and " " not in span
                    and span not in NOT_EXAMPLES and not PLACEHOLDER.search(value)):
                found.append((f"{page.name}: `{span}`", {**BASE, name: value}))
    return found


EXAMPLES = examples()


def test_the_pages_show_examples():
    assert len(EXAMPLES) > 30
    assert any("settings.md" in where and "sse=aws:kms" in where or
               settings.get("sse") == "aws:kms" for where, settings in EXAMPLES)


@pytest.mark.parametrize("where, settings", EXAMPLES, ids=[w for w, _ in EXAMPLES])
def test_every_documented_example_is_accepted(where, settings):
    try:
        load_settings(lambda name: settings.get(name, ""))
    except ConfigError as exc:
        pytest.fail(f"{where}: s3py refuses it: {exc}")


def command_examples() -> list[tuple[str, str]]:
    """(page, command) of every initremote/enableremote command in the pages' code blocks."""
    return [(page.name, command) for page in PAGES
            for command in code_blocks(page.read_text()) if COMMAND.search(command)]


@pytest.mark.parametrize("where, command", command_examples(),
                         ids=[f"{page}: {command[:60]}" for page, command in command_examples()])
def test_every_documented_command_pastes_as_one_command(where, command):
    """An unquoted ``&``, ``;``, ``|``, ``<`` or ``>`` would end (or redirect) the command a
    reader pastes: ``x-amz-tagging=a=1&b=2`` runs ``b=2`` in the background and drops a tag."""
    lexer = shlex.shlex(command.split(" #", 1)[0], posix=True, punctuation_chars=True)
    operators = [token for token in lexer if token and set(token) <= set("&;|<>()")]
    assert operators == [], f"{where}: quote the word with {operators[0]}"


# The install lines tests/e2e/test_install_e2e.py runs (README's Install section), as the docs
# may write them.
TESTED_INSTALLS = {"~/s3py-venv/bin/pip install .", "~/s3py-venv/bin/pip install '.[datalad]'",
                   "pip install '.[datalad]'"}


def test_every_install_line_is_one_the_install_test_runs():
    found = []
    for page in PAGES:
        text = page.read_text()
        for command in code_blocks(text) + inline_spans(text):
            if "pip install" in command:
                found.append((page.name, command.split(" #", 1)[0].strip()))
    assert len(found) >= 3
    assert [(page, line) for page, line in found if line not in TESTED_INSTALLS] == []
