"""The value sets that sibling layers share: storage stores them and analysis makes them.

Storage and analysis may not import each other, so what both name lives here, in the lowest layer,
which imports nothing of the project. Value sets that only storage and the layers above it use (check
outcomes, failure kinds, delivery kinds and states) live beside their columns in ``storage/models.py``.
"""

from enum import StrEnum


class Severity(StrEnum):
    """How much a change matters, least first; stored on alerts and as a subscriber's threshold."""

    NONE = "none"
    MINOR = "minor"
    MODERATE = "moderate"
    MAJOR = "major"

    @property
    def rank(self) -> int:
        """The severity's place in the order above: NONE is 0, MAJOR is 3."""
        return list(Severity).index(self)
