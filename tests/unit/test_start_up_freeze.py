"""After start-up, `blindcopy serve|worker` freezes what is alive, after collecting garbage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run in a process of its own: freezing the test runner's objects would outlive this test.
PROBE = """
import gc, weakref
from blindcopy.cli import freeze_start_up_objects

class Node:
    pass

kept, dropped = Node(), Node()
dropped.self = dropped  # a cycle: only the collector frees it
watch = weakref.ref(dropped)
del dropped
freeze_start_up_objects()
# The module's globals (which hold `kept`) left the collector's generations: it no longer
# walks them, so it finds nothing referring to `kept`.
print(gc.get_freeze_count() > 0, watch() is None, gc.get_referrers(kept) == [])
"""


def test_live_objects_are_frozen_and_garbage_is_collected_first() -> None:
    completed = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                               text=True, check=True, timeout=60)
    frozen, garbage_freed, out_of_reach = completed.stdout.split()
    assert (frozen, garbage_freed, out_of_reach) == ("True", "True", "True")
