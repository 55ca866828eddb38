"""The one lowering of a workload: its layers as a chain of primitive operators
(:mod:`fdsim.operators`), each with the representation it reads and writes. The compiler
(``fdsim.schedule.lower``, which fuses and tiles them) and the numerical model
(``fdsim.model.passes``, float64 or bit-true) both read this graph.

Between primitives a tensor is spatial maps or spectra on a grid G (:class:`Rep`):

* **conv, spectral** — FFT (G = next power of two ≥ map size, maps zero-padded at the top left)
  unless already spectral; circular cross-correlation on G (padding ignored); stride s folds G to
  G/s. **conv, hybrid** — iFFT if spectral; FFT onto G = next power of two ≥ n + 2p with the maps
  at offset p (linear, zero-padded semantics); fold; the output is a spectrum on G/s whose
  top-left ``(n + 2p − k)/s + 1`` maps are kept by the next iFFT. A spectral kernel larger than
  its grid wraps around; its trainable support is then the whole grid (kernel ``min(k, G)``).
  A hybrid conv whose grid exceeds the FFT engine (``max_points``), or whose ``mapping`` pins a
  ``tile_size``, is **overlap-add tiled** (:class:`~fdsim.geometry.OverlapAddTiles`): FFT of
  L×L tiles on P = ``max_points`` (default L = P − k + 1; pinned: P = next power of two
  ≥ L + k − 1), the convolution on P with the tiles on the batch axis, iFFT of each tile's
  (L + k − 1)² window, overlap-add into the output maps (stride and padding as untiled).
  **conv, spatial** — iFFT if spectral; zero-padded strided cross-correlation on the maps
  (output side ``(n + 2p − k) // s + 1``), an im2col GEMM on the matrix unit.
* **pool** — ``spectral``: centred crop to the output size (spectral domain only); any other
  registered method (:data:`fdsim.operators.registry.SPATIAL_POOLS`) runs on maps, over
  ``kernel``/``stride`` windows, or adaptive windows for ``output_size``, of the maps it reads.
  In the spectral domain that is a round trip: iFFT → pool → FFT at the next spectral layer.
* **activation** — spectral domain on maps: affine/linear sigmoid on bins, quadratic as a
  spectral self-convolution, relu an error; otherwise (hybrid, spatial, or on vectors)
  elementwise.
* **fc** — iFFT if spectral; dense on the flattened maps. **loss** — iFFT if spectral; softmax
  cross-entropy over ``classes`` features.
* An iFFT of a grid that is not a power of two reads the spectrum zero-padded in frequency to the
  next power of two, so maps come back interpolated to that size.

Parameters (:class:`ParamSpec`): conv weights are spectral half-spectra of k×k kernels on the
layer's grid (``"<layer>.weight"``; a spatial conv's are the real kernels), FC layers have
a real ``"<layer>.weight"`` ``(out, in)`` and ``"<layer>.bias"``. The graph is
hardware-independent; which units and transform sizes the hardware must have is the
compiler's check.
"""

from __future__ import annotations

from fdsim.errors import FieldPath, SpecFieldError
from fdsim.geometry import OverlapAddTiles, PoolWindows, Rep, next_power_of_two
from fdsim.network.graph import LayerKind, Network, NetworkLayer, Node, ParamRole, ParamSpec
from fdsim.operators.base import Coefficients, Primitive
from fdsim.operators.dense import Dense
from fdsim.operators.fold import Fold
from fdsim.operators.loss import SoftmaxCrossEntropy
from fdsim.operators.overlap_add import OverlapAdd, TileSpectra
from fdsim.operators.polynomial import Polynomial
from fdsim.operators.registry import SPATIAL_POOLS, SPECTRAL_POOL_METHOD, pool_method_names
from fdsim.operators.relu import Relu
from fdsim.operators.spatial_conv import SpatialConv
from fdsim.operators.spectral_affine import SpectralAffine
from fdsim.operators.spectral_conv import SpectralConv
from fdsim.operators.spectral_crop import Crop
from fdsim.operators.spectral_quadratic import SpectralQuadratic
from fdsim.operators.topology_row import TopologyRow
from fdsim.operators.transforms import ToMaps, ToSpectra
from fdsim.spec.workload import (
    ActivationFunction,
    ActivationLayer,
    ConvLayer,
    ConvRowLayer,
    Domain,
    FcLayer,
    PoolLayer,
    Workload,
)


def lower_network(workload: Workload, max_points: int | None = None) -> Network:
    """The graph ``workload`` describes, hybrid convs overlap-add tiled where their grid
    exceeds ``max_points`` (the FFT engine's largest transform; None: no limit) or a pin asks;
    raises ``SpecFieldError`` for a layer the representation rules reject."""
    walk = _Walk(workload, max_points)
    layers = []
    for index, layer in enumerate(workload.layers):
        rep_in = walk.rep
        domain = workload.domain_of(layer)
        walk.nodes = []
        if isinstance(layer, ConvLayer):
            walk.conv(index, layer, domain)
        elif isinstance(layer, PoolLayer):
            walk.pool(index, layer, domain)
        elif isinstance(layer, ActivationLayer):
            walk.activation(index, layer, domain)
        elif isinstance(layer, FcLayer):
            walk.fc(index, layer)
        elif isinstance(layer, ConvRowLayer):
            walk.conv_row(index, layer)
        else:
            walk.loss(index)
        kind = LayerKind(layer.kind)
        nodes = tuple(walk.nodes)
        layers.append(NetworkLayer(index, layer.name, kind, domain, rep_in, walk.rep, nodes))
    return Network(workload, tuple(layers), tuple(walk.params))


def _error(index: int, field: str | None, message: str) -> SpecFieldError:
    path: FieldPath = ("layers", index) if field is None else ("layers", index, field)
    return SpecFieldError("workload", path, message)


class _Walk:
    """Tracks the tensor between primitives and appends each layer's nodes."""

    def __init__(self, workload: Workload, max_points: int | None) -> None:
        self.workload = workload
        self.max_points = max_points
        # a topology has no input: each row sets its own (``conv_row``)
        start = workload.input
        self.rep = Rep(start.channels, start.height) if start is not None else Rep(0, 0)
        self.nodes: list[Node] = []
        self.params: list[ParamSpec] = []

    def add(self, op: Primitive, rep_out: Rep) -> None:
        self.nodes.append(Node(op, self.rep, rep_out))
        self.rep = rep_out

    def to_spectral(self, grid: int, offset: int = 0) -> None:
        if self.rep.spectral and self.rep.grid == grid:
            return
        if self.rep.spectral:
            self.to_spatial()
        self.add(ToSpectra(self.rep.size, grid, offset), Rep(self.rep.channels, grid, grid))

    def to_spatial(self) -> None:
        if not self.rep.spectral:
            return
        points = next_power_of_two(self.rep.grid)
        size = self.rep.size if points == self.rep.grid else points
        self.add(ToMaps(self.rep.grid, size), Rep(self.rep.channels, size))

    def conv(self, index: int, layer: ConvLayer, domain: Domain) -> None:
        if domain is Domain.SPATIAL:
            self.spatial_conv(index, layer)
            return
        if domain is Domain.SPECTRAL:
            if _pinned_tile(layer) is not None:
                raise _tile_error(
                    index,
                    f"layer {layer.name}: overlap-add tiles a hybrid conv; a spectral-mode conv "
                    "is a circular convolution on its whole grid and cannot be tiled (set "
                    "domain: hybrid on this layer)",
                )
            self.to_spectral(self.rep.grid or next_power_of_two(self.rep.size))
            size_out = self.rep.grid // layer.stride
        else:
            self.to_spatial()
            padded = self.rep.size + 2 * layer.padding
            if layer.kernel > padded:
                raise _error(
                    index,
                    "kernel",
                    f"larger than the padded input map ({padded}), got {layer.kernel}",
                )
            tiling = self.overlap_add_tiles(index, layer)
            if tiling is not None:
                self.tiled_conv(layer, tiling)
                return
            self.to_spectral(next_power_of_two(padded), offset=layer.padding)
            size_out = (padded - layer.kernel) // layer.stride + 1
        grid = self.rep.grid
        if grid % layer.stride:
            raise _error(
                index, "stride", f"must divide the spectral grid ({grid}), got {layer.stride}"
            )
        # A kernel larger than a (spectral) grid wraps around it: its taps alias onto the whole
        # grid, so the trainable support is min(k, G) and the projection keeps all of it.
        kernel = min(layer.kernel, grid)
        weight = f"{layer.name}.weight"
        channels = self.rep.channels
        shape = (layer.out_channels, channels, grid, grid // 2 + 1)
        fan_in = channels * layer.kernel**2
        self.params.append(
            ParamSpec(weight, layer.name, ParamRole.CONV_WEIGHT, shape, fan_in, kernel, grid)
        )
        grid_out = grid // layer.stride
        if layer.stride > 1:
            self.add(SpectralConv(weight, kernel), Rep(layer.out_channels, grid, grid))
            self.add(Fold(layer.stride), Rep(layer.out_channels, size_out, grid_out))
        else:
            self.add(SpectralConv(weight, kernel), Rep(layer.out_channels, size_out, grid_out))

    def overlap_add_tiles(self, index: int, layer: ConvLayer) -> OverlapAddTiles | None:
        """The overlap-add tiling of a hybrid conv reading ``self.rep`` (None: untiled)."""
        size, k = self.rep.size, layer.kernel
        padded = size + 2 * layer.padding
        limit = self.max_points
        tile = _pinned_tile(layer)
        if tile is None:
            if limit is None or next_power_of_two(padded) <= limit:
                return None
            if k > limit:
                raise SpecFieldError(
                    "hardware",
                    ("fft", "max_points"),
                    f"too small for layer {layer.name}: overlap-add tiles need at least "
                    f"{k}-point transforms for its {k}×{k} kernel, got {limit}",
                )
            points = limit
            tile = points - k + 1
        else:
            if tile > padded:
                raise _tile_error(
                    index,
                    f"layer {layer.name}: a tile of {tile} samples exceeds the padded input "
                    f"map ({padded})",
                )
            points = next_power_of_two(tile + k - 1)
            if limit is not None and points > limit:
                raise _tile_error(
                    index,
                    f"layer {layer.name}: tiles of {tile} samples need {tile + k - 1}-point "
                    f"transforms (tile_size + kernel − 1), more than fft.max_points ({limit})",
                )
        return OverlapAddTiles(size, layer.padding, k, layer.stride, tile, points)

    def tiled_conv(self, layer: ConvLayer, tiling: OverlapAddTiles) -> None:
        """The overlap-add conv: FFT of the tiles, CMAC and iFFT per tile on the P grid (tiles
        on the batch axis), overlap-add of the windows into the output maps."""
        grid, channels, tiles = tiling.points, self.rep.channels, tiling.tiles
        weight = f"{layer.name}.weight"
        shape = (layer.out_channels, channels, grid, grid // 2 + 1)
        fan_in = channels * layer.kernel**2
        self.params.append(
            ParamSpec(weight, layer.name, ParamRole.CONV_WEIGHT, shape, fan_in, layer.kernel, grid)
        )
        fft = TileSpectra(tiling.tile, grid, layer.kernel - 1, tiling=tiling)
        self.add(fft, Rep(channels, grid, grid, tiles=tiles))
        window = tiling.window
        self.add(
            SpectralConv(weight, layer.kernel), Rep(layer.out_channels, window, grid, tiles=tiles)
        )
        self.add(ToMaps(grid, window), Rep(layer.out_channels, window, tiles=tiles))
        self.add(OverlapAdd(tiling), Rep(layer.out_channels, tiling.out_size))

    def spatial_conv(self, index: int, layer: ConvLayer) -> None:
        """Zero-padded strided cross-correlation on maps (an im2col GEMM on the matrix unit)."""
        _refuse_tile_pin(index, layer)
        self.to_spatial()
        padded = self.rep.size + 2 * layer.padding
        if layer.kernel > padded:
            raise _error(
                index, "kernel", f"larger than the padded input map ({padded}), got {layer.kernel}"
            )
        size_out = (padded - layer.kernel) // layer.stride + 1
        weight = f"{layer.name}.weight"
        channels = self.rep.channels
        shape = (layer.out_channels, channels, layer.kernel, layer.kernel)
        fan_in = channels * layer.kernel**2
        role = ParamRole.SPATIAL_CONV_WEIGHT
        self.params.append(ParamSpec(weight, layer.name, role, shape, fan_in, layer.kernel))
        op = SpatialConv(weight, layer.kernel, layer.stride, layer.padding)
        self.add(op, Rep(layer.out_channels, size_out))

    def conv_row(self, index: int, layer: ConvRowLayer) -> None:
        """A topology row reads its own input (rows are not chained) and writes its ofmaps."""
        _refuse_tile_pin(index, layer)
        self.rep = Rep(layer.channels, layer.ifmap_height, width=layer.ifmap_width)
        weight = f"{layer.name}.weight"
        taps = layer.filter_height * layer.filter_width
        shape = (layer.num_filters, layer.channels, layer.filter_height, layer.filter_width)
        self.params.append(
            ParamSpec(
                weight, layer.name, ParamRole.SPATIAL_CONV_WEIGHT, shape, layer.channels * taps
            )
        )
        op = TopologyRow(
            weight,
            layer.channels,
            layer.num_filters,
            layer.ifmap_height,
            layer.ifmap_width,
            layer.filter_height,
            layer.filter_width,
            layer.stride,
            layer.ofmap_height,
            layer.ofmap_width,
        )
        self.add(op, Rep(layer.num_filters, layer.ofmap_height, width=layer.ofmap_width))

    def pool(self, index: int, layer: PoolLayer, domain: Domain) -> None:
        method = layer.method
        if method != SPECTRAL_POOL_METHOD and method not in SPATIAL_POOLS:
            raise _error(
                index,
                "method",
                f"unknown pooling method {method!r}; expected one of: "
                + ", ".join(pool_method_names()),
            )
        in_spectra = domain is Domain.SPECTRAL and method == SPECTRAL_POOL_METHOD
        if domain is not Domain.SPECTRAL and method == SPECTRAL_POOL_METHOD:
            raise _error(
                index,
                "method",
                "spectral pooling runs in the spectral domain; use "
                + " or ".join(sorted(SPATIAL_POOLS))
                + " here",
            )
        if not in_spectra:
            # A spatial method cannot stay in the spectral domain: its maps come back by an
            # iFFT (a round trip; the next spectral layer transforms them again). Its windows
            # are sized on the maps it reads, after that iFFT.
            self.to_spatial()
        size_in = self.rep.size
        size_out = layer.output_size_for(size_in)
        if not 1 <= size_out <= size_in:
            raise _error(
                index,
                "output_size" if layer.output_size else "kernel",
                f"gives a {size_out}×{size_out} output from a {size_in}×{size_in} input",
            )
        if in_spectra:
            self.to_spectral(self.rep.grid or next_power_of_two(size_in))
            self.add(Crop(self.rep.grid, size_out), Rep(self.rep.channels, size_out, size_out))
            return
        if layer.kernel is not None:
            stride = layer.stride if layer.stride is not None else layer.kernel
            windows = PoolWindows.sliding(size_in, layer.kernel, stride)
        else:
            windows = PoolWindows.adaptive(size_in, size_out)
        self.add(SPATIAL_POOLS[method](windows), Rep(self.rep.channels, windows.out_size))

    def activation(self, index: int, layer: ActivationLayer, domain: Domain) -> None:
        relu = layer.function is ActivationFunction.RELU
        quadratic = layer.function is ActivationFunction.QUADRATIC
        if domain is Domain.SPECTRAL and self.rep.size > 1:
            if relu:
                raise _error(
                    index,
                    "function",
                    "relu has no spectral-domain form; set domain: hybrid on this layer",
                )
            self.to_spectral(self.rep.grid or next_power_of_two(self.rep.size))
            c0, c1, c2 = _coefficients(layer)
            if quadratic:
                self.add(SpectralQuadratic((c0, c1, c2)), self.rep)
            else:
                self.add(SpectralAffine(scale=c1, offset=c0), self.rep)
            return
        self.to_spatial()
        self.add(Relu() if relu else Polynomial(_coefficients(layer), quadratic), self.rep)

    def fc(self, index: int, layer: FcLayer) -> None:
        _refuse_tile_pin(index, layer)
        self.to_spatial()
        in_shape = (self.rep.channels, self.rep.size, self.rep.size)
        features = in_shape[0] * in_shape[1] * in_shape[2]
        weight, bias = f"{layer.name}.weight", f"{layer.name}.bias"
        out = layer.out_features
        self.params.append(
            ParamSpec(weight, layer.name, ParamRole.FC_WEIGHT, (out, features), features)
        )
        self.params.append(ParamSpec(bias, layer.name, ParamRole.FC_BIAS, (out,), features))
        self.add(Dense(weight, bias, in_shape), Rep(out, 1))

    def loss(self, index: int) -> None:
        self.to_spatial()
        features = self.rep.channels * self.rep.size * self.rep.size
        classes = self.workload.network_input.classes
        if features != classes:
            raise _error(
                index, None, f"the loss compares {features} features with input.classes = {classes}"
            )
        self.add(SoftmaxCrossEntropy(), Rep(1, 1))


def _pinned_tile(layer: ConvLayer | FcLayer | ConvRowLayer) -> int | None:
    return layer.mapping.tile_size if layer.mapping is not None else None


def _tile_error(index: int, message: str) -> SpecFieldError:
    return SpecFieldError("workload", ("layers", index, "mapping", "tile_size"), message)


def _refuse_tile_pin(index: int, layer: ConvLayer | FcLayer | ConvRowLayer) -> None:
    if _pinned_tile(layer) is not None:
        raise _tile_error(
            index,
            f"layer {layer.name}: tile_size is the overlap-add tile of a hybrid conv; a "
            "spatial-domain layer is tiled by its GEMM pins",
        )


def _coefficients(layer: ActivationLayer) -> Coefficients:
    """A polynomial (non-relu) activation as ascending coefficients ``(c0, c1, c2)``."""
    c = layer.coefficients
    if layer.function is ActivationFunction.LINEAR_SIGMOID:
        return (0.5, 0.25, 0.0)  # first-order Taylor expansion of the sigmoid at 0
    if layer.function is ActivationFunction.AFFINE:
        return (c[0], c[1], 0.0)
    return (c[0], c[1], c[2])
