"""The diff model: aligning the paragraphs (lines) of two versions."""

from dataclasses import dataclass
from difflib import SequenceMatcher


@dataclass(frozen=True)
class LineStats:
    """Paragraphs added, removed and changed between two texts."""

    added: int
    removed: int
    changed: int

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def line_stats(old: str, new: str) -> LineStats:
    """Count paragraphs added, removed and changed; a replaced block pairs its lines as changes."""
    added = removed = changed = 0
    matcher = SequenceMatcher(None, old.split("\n"), new.split("\n"), autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        old_count, new_count = old_end - old_start, new_end - new_start
        if tag == "replace":
            changed += min(old_count, new_count)
            added += max(0, new_count - old_count)
            removed += max(0, old_count - new_count)
        elif tag == "insert":
            added += new_count
        elif tag == "delete":
            removed += old_count
    return LineStats(added, removed, changed)
