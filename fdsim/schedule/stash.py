"""What the backward needs from the forward, and where it waits: the stash rule.

Two kinds of forward values are needed again by the backward:

* **step inputs** — a convolution's input spectra X (for ∂W), an FC layer's input (for ∂W), a
  spectral quadratic activation's input (for G ⊛ X) and the logits (for dL/dlogits). The forward
  already writes them to DRAM at the step boundary, so the backward re-reads them from there, as
  DRAM tensor ``stash``; nothing is written twice.
* **values made inside a fused step** — what a primitive's ``stash`` rule names
  (``fdsim.operators``): a ReLU mask (1 bit per element), a max pool's argmax (⌈log₂ window⌉
  bits per output element, window = the largest window's area, whether the windows overlap or
  not; a window of 1 needs no argmax and stashes nothing) and a spatial quadratic activation's
  input (one activation per element). They exist nowhere else, so the
  forward op that makes them also writes them to the gradients buffer (idle during the
  forward). In forward program order, a slot stays there (**kept**) while the running total of
  kept slots, whole batch, fits in half of the gradients buffer; a slot that does not fit is
  **spilled**: written to DRAM by the forward and loaded back by the backward, as tensor
  ``stash``. Kept bytes are reserved for the whole step, so the backward tiles the gradients
  buffer without them.

A slot is a bit stream: a tile of n elements takes the bytes between the rounded-up byte
offsets of its first and last element, so any tiling (forward or backward) writes, reads and
frees exactly ⌈elements·bits/8⌉ bytes in all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fdsim.spec.hardware import HardwareSpec

KEPT_FRACTION_DENOMINATOR = 2  # kept stash may fill at most 1/2 of the gradients buffer


@dataclass
class StashSlot:
    """One in-step stash tensor of ``items`` maps (or image vectors) × ``elements_per_item``
    values of ``bits`` each."""

    layer: int  # workload layer that makes it
    bits: int
    elements_per_item: int
    items: int
    kept: bool
    producers: list[int] = field(default_factory=list)  # forward ops that wrote it (kept)
    written: int = 0  # elements written so far (forward cursor)
    read: int = 0  # elements read back so far (backward cursor)

    @property
    def total_bytes(self) -> int:
        return item_bytes(self.items * self.elements_per_item, self.bits)

    @property
    def tiling_bytes_per_item(self) -> int:
        """An upper bound of one item's share of any tile, for choosing tile sizes."""
        return item_bytes(self.elements_per_item, self.bits) + 1

    def write(self, elements: int) -> int:
        """Bytes the next forward tile of ``elements`` values writes."""
        start, self.written = self.written, self.written + elements
        return item_bytes(self.written, self.bits) - item_bytes(start, self.bits)

    def take(self, elements: int) -> int:
        """Bytes the next backward tile of ``elements`` values reads (and, if kept, frees)."""
        start, self.read = self.read, self.read + elements
        return item_bytes(self.read, self.bits) - item_bytes(start, self.bits)


class StashPlan:
    """Decides, in forward order, which in-step stash slots are kept in the gradients buffer."""

    def __init__(self, hardware: HardwareSpec, enabled: bool) -> None:
        self.enabled = enabled
        self.budget_bytes = hardware.buffers.gradients.size_bytes // KEPT_FRACTION_DENOMINATOR
        self.kept_bytes = 0
        self.slots: dict[int, StashSlot] = {}

    def slot(self, layer: int, bits: int, elements_per_item: int, items: int) -> StashSlot:
        """The slot of ``layer`` (created on first use: kept if it still fits the budget)."""
        if layer not in self.slots:
            slot = StashSlot(layer, bits, elements_per_item, items, kept=False)
            slot.kept = self.kept_bytes + slot.total_bytes <= self.budget_bytes
            self.kept_bytes += slot.total_bytes if slot.kept else 0
            self.slots[layer] = slot
        return self.slots[layer]


def item_bytes(elements: int, bits: int) -> int:
    return -(-elements * bits // 8)
