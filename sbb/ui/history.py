"""Undo and redo of the settings: a bounded list of states and a pointer into it.

A state is the picked scenario's name and a copy of the settings dict. `record` adds a state after
the current one when it differs from it (dropping whatever had been undone: a new edit after an undo
starts a new branch, as in any editor); `undo` / `redo` move the pointer and return the state to
restore. At most `limit` states are kept (the oldest go first). Pure: no Streamlit; the page keeps
one `History` per session in `st.session_state`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

LIMIT = 50


@dataclass(frozen=True)
class Step:
    """One state of the settings and the words for the edit that led to it."""

    pick: str
    settings: Mapping[str, Any]
    label: str


@dataclass
class History:
    """The states of one session, oldest first; `at` is the index of the current one."""

    steps: list[Step] = field(default_factory=list)
    at: int = -1
    limit: int = LIMIT

    @property
    def current(self) -> Step | None:
        return self.steps[self.at] if self.steps else None

    def record(self, pick: str, settings: Mapping[str, Any], label: str) -> bool:
        """Add the state (`settings` copied) when it differs from the current one; True if added."""
        now = self.current
        if now is not None and now.pick == pick and dict(now.settings) == dict(settings):
            return False
        del self.steps[self.at + 1:]
        self.steps.append(Step(pick, dict(settings), label))
        if len(self.steps) > self.limit:
            del self.steps[: len(self.steps) - self.limit]
        self.at = len(self.steps) - 1
        return True

    def can_undo(self) -> bool:
        return self.at > 0

    def can_redo(self) -> bool:
        return self.at < len(self.steps) - 1

    def undo(self) -> Step | None:
        """Step back; the state to restore (None when there is nothing to undo)."""
        if not self.can_undo():
            return None
        self.at -= 1
        return self.steps[self.at]

    def redo(self) -> Step | None:
        """Step forward again; the state to restore (None when there is nothing to redo)."""
        if not self.can_redo():
            return None
        self.at += 1
        return self.steps[self.at]

    def recent(self, n: int = 8) -> list[tuple[str, str]]:
        """The last `n` edits around the current one, newest first, as (mark, label): mark is
        'now' for the current state, 'undone' for states after it (redo brings them back), '' before."""
        out = []
        for i in range(len(self.steps) - 1, -1, -1):
            mark = "now" if i == self.at else ("undone" if i > self.at else "")
            out.append((mark, self.steps[i].label))
        if len(out) <= n:
            return out
        here = len(self.steps) - 1 - self.at
        lo = max(0, min(here - n // 2, len(out) - n))
        return out[lo:lo + n]


def describe(before: Mapping[str, Any], after: Mapping[str, Any], labels: Mapping[str, str],
             show: Any = None) -> str:
    """Words for the edit from `before` to `after`: 'English learners: 0.4 → 0.5' for one setting,
    'English learners, Poverty' for a few, '7 settings' for many. `labels` maps settings keys to
    control labels; `show(key, value)` formats a value (default: str).

    >>> describe({"a": 0.4, "b": 1}, {"a": 0.5, "b": 1}, {"a": "English learners"})
    'English learners: 0.4 → 0.5'
    >>> describe({"a": 1, "b": 1}, {"a": 2, "b": 2}, {"a": "A", "b": "B"})
    'A, B'
    """
    keys = [k for k in after if before.get(k) != after.get(k)]
    if not keys:
        return "no change"
    show = show or (lambda key, value: str(value))
    names = list(dict.fromkeys(labels.get(k, k) for k in keys))
    if len(keys) == 1:
        k = keys[0]
        return f"{names[0]}: {show(k, before.get(k))} → {show(k, after.get(k))}"
    if len(names) == 1:
        return names[0]
    if len(names) <= 3:
        return ", ".join(names)
    return f"{len(keys)} settings"
