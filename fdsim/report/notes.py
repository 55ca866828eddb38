"""Sentences a report states about a run, shared by the terminal and the Markdown report."""

from __future__ import annotations

from typing import Any


def linearity_note(linearity: dict[str, Any]) -> str:
    """One sentence on the affine stretches of a network (empty when there are none)."""
    spans = linearity["affine_spans"]
    if linearity["linear_classifier"]:
        return (
            "no layer is nonlinear, so the whole network is one affine map of its input: "
            "a linear classifier however deep (add relu on a hybrid or spatial layer, max "
            "pooling, or a quadratic activation)"
        )
    if not spans:
        return ""
    listed = ", ".join(f"{s['first']}…{s['last']} ({s['layers']} layers)" for s in spans)
    each = " each" if len(spans) > 1 else ""
    return f"layers {listed}{each} compose to one affine map (no nonlinearity inside)"
