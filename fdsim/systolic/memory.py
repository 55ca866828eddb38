"""The double-buffered scratchpad SCALE-Sim 3.0 puts in front of the array."""

from __future__ import annotations

from dataclasses import dataclass

MIN_SRAM_WORDS = 100
"""SCALE-Sim splits each read buffer into 100 sets of floor(words / 100) words."""


@dataclass(frozen=True, slots=True)
class ScratchpadSpec:
    """SRAM sizes (words; SCALE-Sim's word is one byte, so kB · 1024) and the DRAM interface.

    ``bandwidth_words_per_cycle`` None is SCALE-Sim's CALC mode (read buffers fill at 10
    words/cycle ahead of use, the OFMAP drains at ``cols`` words/cycle: never a read stall); an
    int is USER mode, where it is the OFMAP drain ``Bandwidth`` and the read buffers fill at
    ``ifmap_fill_words_per_cycle`` / ``filter_fill_words_per_cycle`` — SCALE-Sim 3.0 reads those
    from the ``[layout]`` keys ``IfmapSRAMBankBandwidth`` / ``FilterSRAMBankBandwidth`` (10 in
    its bundled configs), not from ``Bandwidth``. The request-buffer sizes only matter with
    SCALE-Sim's Ramulator replay (not modelled): they change no report value otherwise.
    """

    ifmap_sram_words: int
    filter_sram_words: int
    ofmap_sram_words: int
    bandwidth_words_per_cycle: int | None = None
    read_request_buffer: int = 32
    write_request_buffer: int = 32
    ifmap_fill_words_per_cycle: int = 10
    filter_fill_words_per_cycle: int = 10

    def __post_init__(self) -> None:
        for name in ("ifmap_sram_words", "filter_sram_words", "ofmap_sram_words"):
            if getattr(self, name) < MIN_SRAM_WORDS:
                raise ValueError(f"ScratchpadSpec.{name} must be >= {MIN_SRAM_WORDS} words")
        for name in ("ifmap_fill_words_per_cycle", "filter_fill_words_per_cycle"):
            if getattr(self, name) < 1:
                raise ValueError(f"ScratchpadSpec.{name} must be >= 1")
        if self.bandwidth_words_per_cycle is not None and self.bandwidth_words_per_cycle < 1:
            raise ValueError("ScratchpadSpec.bandwidth_words_per_cycle must be >= 1 or None")

    @classmethod
    def from_kb(
        cls, ifmap_kb: int, filter_kb: int, ofmap_kb: int, bandwidth: int | None = None
    ) -> ScratchpadSpec:
        """From SCALE-Sim's ``*SramSzkB`` keys (1 kB = 1024 one-byte words)."""
        return cls(ifmap_kb * 1024, filter_kb * 1024, ofmap_kb * 1024, bandwidth)
