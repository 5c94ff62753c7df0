#!/usr/bin/env python3
"""Rewrite the generated settings table in docs/settings.md from config.SETTINGS_TABLE."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from git_annex_remote_s3py.config import settings_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "settings.md"
BLOCK = re.compile(r"(<!-- settings-table:start -->\n).*?(<!-- settings-table:end -->)", re.S)


def main() -> int:
    text = DOC.read_text()
    DOC.write_text(BLOCK.sub(lambda m: m.group(1) + settings_markdown() + m.group(2), text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
