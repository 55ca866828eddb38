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


def overlap_add_note(tiles: dict[str, dict[str, dict[str, Any]]]) -> str:
    """One sentence naming the convs overlap-add tiled (empty when none is)."""
    tiled = [
        f"{layer} ({t['tiles_per_map']} tiles of {t['tile_size']}×{t['tile_size']} per map on "
        f"{t['points']}-point transforms)"
        for layer, t in tiles.get("fwd", {}).items()
        if t.get("overlap_add")
    ]
    if not tiled:
        return ""
    return (
        "overlap-add tiling: " + ", ".join(tiled) + " — each tile's (tile + k − 1)² window is "
        "added into the output maps on the crop unit"
    )
