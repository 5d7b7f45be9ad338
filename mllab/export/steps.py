"""One list of steps, each a heading, a paragraph in the page's words and its code: the single source
that `render` turns into both the script and the notebook."""

from __future__ import annotations

import pprint
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    title: str
    text: str  # markdown: what the step does, in the words of the page
    code: str
    notebook_only: bool = False  # the learning-curve plot: the script prints, the notebook draws


def literal(value, indent: int = 0) -> str:
    """Python source for the plain values a run records (numbers, text, lists, dicts), in lines of at most
    100 characters, in the order given."""
    return pprint.pformat(value, width=100 - indent, compact=True, sort_dicts=False).replace("\n", "\n" + " " * indent)
