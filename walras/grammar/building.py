"""What the tree-to-AST builders share: a statement's trailing documentation string."""

from __future__ import annotations


def split_doc(items: list) -> tuple[list, str | None]:
    """Split a trailing `doc` string off a rule's children."""
    if items and isinstance(items[-1], Doc):
        return items[:-1], items[-1].text
    return items, None


class Doc:
    """A statement's documentation string, as the tree gives it to the rule that holds it."""

    def __init__(self, text: str):
        self.text = text
