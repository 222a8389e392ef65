"""Readers of a schedule import its results, never the simulator or its state machines."""

from __future__ import annotations

import subprocess
import sys


def test_readers_do_not_import_the_simulator() -> None:
    code = ("import sys\n"
            "import recipe_studio.schedule.results, recipe_studio.render.schedule_text\n"
            "import recipe_studio.diff.semantic, recipe_studio.lsp.hover\n"
            "print(sorted(m for m in sys.modules\n"
            "             if m.endswith(('schedule.simulation', 'schedule.machines'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
