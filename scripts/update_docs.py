#!/usr/bin/env python3
"""Rewrite the generated settings table in docs/settings.md from config.SETTINGS_TABLE,
and say what it did."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from git_annex_remote_s3py.config import SETTINGS_TABLE, settings_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "settings.md"
BLOCK = re.compile(r"(<!-- settings-table:start -->\n).*?(<!-- settings-table:end -->)", re.S)


def main() -> int:
    text = DOC.read_text()
    if not BLOCK.search(text):
        print(f"{DOC}: no <!-- settings-table:start/end --> markers; nothing rewritten",
              file=sys.stderr)
        return 1
    new = BLOCK.sub(lambda m: m.group(1) + settings_markdown() + m.group(2), text)
    if new == text:
        print(f"{DOC.relative_to(DOC.parent.parent)}: settings table already current "
              f"({len(SETTINGS_TABLE)} settings)")
    else:
        DOC.write_text(new)
        print(f"{DOC.relative_to(DOC.parent.parent)}: settings table rewritten "
              f"({len(SETTINGS_TABLE)} settings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
