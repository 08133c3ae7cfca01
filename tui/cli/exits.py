"""Exit codes of every command (`depllc --help` and the README list them). Imports
nothing: `depllc --help` reads EXIT_CODES."""

from __future__ import annotations

DONE = 0
FAILED = 1
USAGE = 2  # bad usage or input: nothing was done
PARTIAL = 3  # a batch done in part: some rows, files or bodies were not (their lines say why)
EXIT_CODES = (
    "Exit codes: 0 done; 1 failed; 2 bad usage or input (nothing done); 3 done in part "
    "(some rows, files or event bodies were not: the lines printed say which); 128 + the "
    "signal when stopped (130 for Ctrl+C)."
)


def batch_code(done: int, not_done: int, failed: int = FAILED) -> int:
    """A batch's exit code: DONE when nothing was left undone, PARTIAL when some items
    were done and some not, else `failed` (the code of what went wrong)."""
    if not_done == 0:
        return DONE
    return PARTIAL if done else failed
