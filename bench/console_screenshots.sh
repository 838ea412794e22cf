#!/usr/bin/env bash
# Take the console's screenshots for docs/console.md: runs the Chromium test of the console
# (tests/integration/test_console_browser.py), which saves a PNG of each page it visits at
# 375 px width into docs/console/ when BLINDCOPY_SCREENSHOTS names that folder.
set -euo pipefail
cd "$(dirname "$0")/.."
BLINDCOPY_SCREENSHOTS="$PWD/docs/console" \
  python -m pytest -q tests/integration/test_console_browser.py
ls -l docs/console/*.png
