"""The docs are derived from the code: the settings page shows the current table."""

from pathlib import Path

from git_annex_remote_s3py.config import SETTINGS_TABLE, settings_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_settings_page_shows_the_current_table():
    page = (DOCS / "settings.md").read_text()
    assert settings_markdown() in page, "run `make docs` to regenerate docs/settings.md"
    for setting in SETTINGS_TABLE:
        assert f"| `{setting.name}` |" in page
