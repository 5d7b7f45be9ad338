"""One list of steps, each a heading, a paragraph in the page's words and its code: the single source
that `render` turns into both the script and the notebook."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    title: str
    text: str  # markdown: what the step does, in the words of the page
    code: str
    notebook_only: bool = False  # the learning-curve plot: the script prints, the notebook draws


def python_literal(value) -> str:
    """`repr` for the plain values a run records (numbers, text, lists, dicts, None, booleans)."""
    return repr(value)
