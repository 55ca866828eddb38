"""Bit-true fixed-point arithmetic on numpy int64: Q-format quantisation and rounding,
wrap/saturate with explicit event counting, exact products and sums, complex MAC, and a
configurable bit-true FFT/iFFT (radix 2/4, DIF/DIT, per-stage scaling) with real-input and
2-D variants.

Representation (measured before choosing, 2-core AMD EPYC, numpy 2.4, 262 144 complex values,
complex multiply + half-even rounding to 19 bits + overflow check, best of 5):

=========================================  ========  ==================================
form                                        time      verdict
=========================================  ========  ==================================
int64 (re, im) pairs                        5.2 ms    exact to 63 bits — chosen
complex128 holding exact integers           2.6 ms    exact only below 2**53
apytypes ``APyCFixedArray``                 3.7 ms    exact, but no event counts and
                                                      fixed rounding/overflow menu
float complex128 multiply alone             0.15 ms   (not bit-true; for scale)
=========================================  ========  ==================================

int64 stays the reference carrier, exact to 63 bits.  Since 2026-11-21 each ``FftPlan`` also
picks complex128 holding exact integers when a static bound proves every intermediate of every
stage below ``2**52`` (``FLOAT64_EXACT_BITS``): one complex multiply then rotates and scales,
and ``rint`` on the float view rounds half-even.  Both carriers give the same integers and
tallies (tests run both against the RTL vectors and the scalar model); configurations whose
products pass 53 bits fall back to int64, so bit accuracy never depends on the carrier.
Real transforms pack two real frames per complex core pass (``fft_real``), and
``spectral_maps`` turns activation maps into stored half spectra and back for the simulator.
"""

from fdsim.fixedpoint.arithmetic import add, multiply, product_format, sum_format
from fdsim.fixedpoint.complex_int import (
    ComplexInt,
    complex_mac,
    complex_multiply,
    complex_product_format,
    dequantize_complex,
    quantize_complex,
)
from fdsim.fixedpoint.fft import fft
from fdsim.fixedpoint.fft_error import (
    ErrorBound,
    fft2_error_bound,
    fft_error_bound,
    irfft2_error_bound,
    irfft_error_bound,
    rfft2_error_bound,
    rfft_error_bound,
    rounding_error_lsb,
)
from fdsim.fixedpoint.fft_plan import (
    Carrier,
    FftPlan,
    StagePlan,
    digit_reversal,
    plan_core,
    plan_fft,
)
from fdsim.fixedpoint.fft_real import Fft2Plan, fft2, irfft, irfft2, rfft, rfft2
from fdsim.fixedpoint.fft_timing import frame_interval_clocks, stream_clocks
from fdsim.fixedpoint.formats import (
    FLOAT64_EXACT_BITS,
    INT64_SAFE_BITS,
    FixedFormat,
    FloatArray,
    Int64WidthError,
    IntArray,
    NumberFormat,
    integer_range,
    require_int64_width,
)
from fdsim.fixedpoint.overflow import (
    OverflowCounter,
    OverflowSite,
    OverflowTally,
    fit,
    lost_to_zero,
    wrap,
)
from fdsim.fixedpoint.quantize import dequantize, quantize, requantize
from fdsim.fixedpoint.rounding import round_float, shift_right
from fdsim.fixedpoint.spectral_maps import (
    SpectralMapsPlan,
    maps_to_spectra,
    maps_to_spectra_error_bound,
    plan_spectral_maps,
    spectra_to_maps,
    spectra_to_maps_error_bound,
)
from fdsim.fixedpoint.twiddles import quantized_twiddles, trivial_rotations

__all__ = [
    "FLOAT64_EXACT_BITS",
    "INT64_SAFE_BITS",
    "Carrier",
    "ComplexInt",
    "ErrorBound",
    "Fft2Plan",
    "FftPlan",
    "FixedFormat",
    "FloatArray",
    "Int64WidthError",
    "IntArray",
    "NumberFormat",
    "OverflowCounter",
    "OverflowSite",
    "OverflowTally",
    "SpectralMapsPlan",
    "StagePlan",
    "add",
    "complex_mac",
    "complex_multiply",
    "complex_product_format",
    "dequantize",
    "dequantize_complex",
    "digit_reversal",
    "fft",
    "fft2",
    "fft2_error_bound",
    "fft_error_bound",
    "fit",
    "frame_interval_clocks",
    "integer_range",
    "irfft",
    "irfft2",
    "irfft2_error_bound",
    "irfft_error_bound",
    "lost_to_zero",
    "maps_to_spectra",
    "maps_to_spectra_error_bound",
    "multiply",
    "plan_core",
    "plan_fft",
    "plan_spectral_maps",
    "product_format",
    "quantize",
    "quantize_complex",
    "quantized_twiddles",
    "requantize",
    "require_int64_width",
    "rfft",
    "rfft2",
    "rfft2_error_bound",
    "rfft_error_bound",
    "round_float",
    "rounding_error_lsb",
    "shift_right",
    "spectra_to_maps",
    "spectra_to_maps_error_bound",
    "stream_clocks",
    "sum_format",
    "trivial_rotations",
    "wrap",
]
