"""Totals of one training step derived from its tables: per image and per second, operation
counts and rates, and how layer and phase spans add up (sum − overlap + gap = span)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from fdsim.schedule.ops import Phase, Schedule
from fdsim.spec.workload import ConvLayer, ConvRowLayer, Workload


def spatial_equivalent_ops(schedule: Schedule, workload: Workload) -> int:
    """Real operations (2 per multiply-accumulate) of the direct, spatial-domain convolutions
    and matrix products that produce the same outputs as the conv and fc layers of the phases
    simulated (fwd, bwd_data and bwd_weight each cost the layer's forward MACs); pooling,
    activation, loss, bias and update arithmetic are not counted."""
    layers = {layer.name: layer for layer in workload.layers}
    macs = 0
    for plan in schedule.layers:
        if plan.phase is Phase.UPDATE or plan.kind not in ("conv", "fc", "conv_row"):
            continue
        # shapes are (channels, map side) or (features,): an fc layer reads channels × side²
        channels, *side = plan.input_shape
        layer = layers[plan.name]
        if isinstance(layer, ConvRowLayer):
            per_image = layer.macs
        elif isinstance(layer, ConvLayer):
            out_channels, out_side = plan.output_shape
            per_image = channels * out_channels * layer.kernel**2 * out_side**2
        else:
            per_image = channels * math.prod(side) ** 2 * plan.output_shape[0]
        macs += workload.batch_size * per_image
    return 2 * macs


def throughput(
    seconds: float, layers: pd.DataFrame, batch_size: int, spatial_ops: int
) -> dict[str, Any]:
    """Per-image and per-second totals of one training step of ``seconds``: ``performed_ops``
    are the real multiplies and adds the hardware counted, ``spatial_equivalent_ops`` those of
    ``spatial_equivalent_ops``; GOPS = ops / step time / 1e9 (the energy-dependent totals,
    per-image energy and GOPS/W, are priced in ``cost/pricing.py``)."""
    performed = int(layers["mults"].sum() + layers["adds"].sum())
    totals: dict[str, Any] = {
        "batch_size": batch_size,
        "images_per_s": batch_size / seconds if seconds else 0.0,
    }
    for name, ops in (("performed", performed), ("spatial_equivalent", spatial_ops)):
        totals[f"{name}_ops"] = ops
        totals[f"{name}_gops"] = ops / seconds / 1e9 if seconds else 0.0
    return totals


def phase_overlap(phases: dict[str, dict[str, Any]], total_cycles: int) -> dict[str, int]:
    """How the phases' spans add up to the step: ``phase_cycles_sum − phase_overlap_cycles +
    phase_gap_cycles = total_cycles`` (bwd_data and bwd_weight interleave, prefetches overlap
    phase boundaries; the gap is cycles of the step no phase's span covers)."""
    spans = [(p["start_cycle"], p["end_cycle"]) for p in phases.values()]
    phase_sum, overlap, gap = span_breakdown(spans, total_cycles)
    return {
        "phase_cycles_sum": phase_sum,
        "phase_overlap_cycles": overlap,
        "phase_gap_cycles": gap,
    }


def span_breakdown(intervals: list[tuple[int, int]], span_cycles: int) -> tuple[int, int, int]:
    """How half-open ``intervals`` inside a span of ``span_cycles`` add up to it: (sum of their
    lengths, cycles covered more than once counted per extra cover, cycles none covers), so
    ``sum − overlap + gap = span_cycles``."""
    covered = union_cycles(intervals)
    total = sum(end - start for start, end in intervals)
    return total, total - covered, span_cycles - covered


def union_cycles(intervals: list[tuple[int, int]]) -> int:
    """Length of the union of half-open cycle intervals."""
    covered, reach = 0, None
    for low, high in sorted(intervals):
        if reach is None or low > reach:
            covered, reach = covered + high - low, high
        elif high > reach:
            covered, reach = covered + high - reach, high
    return covered
