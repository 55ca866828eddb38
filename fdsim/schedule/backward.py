"""The backward phases, derived step by step from the forward's steps, in reverse order.

Each forward step is run backwards by the same units: a transform becomes its transpose (an
iFFT of the forward becomes an FFT of the gradient and vice versa), a crop becomes a zero-pad
(its adjoint), a fold a replication, an activation a multiply by its derivative, a max pool a
routing through the stashed argmax, a spectral convolution two complex-MAC products (bwd_data
∂X = Σ_o G·W, bwd_weight ∂W = Σ_b X·conj(G)) and an FC layer two GEMMs. The gradient between
steps lives in DRAM (tensor ``gradients``), as activations do in the forward.

Nobody needs ∂input: a layer's input gradient is computed only when a layer with parameters
(conv, fc) comes before it, so the first convolution has no bwd_data and every transform before
it is skipped.
"""

from __future__ import annotations

from fdsim.operators.base import StreamPrimitive
from fdsim.schedule.emit import Emitter
from fdsim.schedule.emit_bwd_conv import emit_spectral_conv_backward
from fdsim.schedule.emit_bwd_gemm import emit_gemm_backward
from fdsim.schedule.forward import forward_links
from fdsim.schedule.links import GRADIENT_IO, ChainIo, Link
from fdsim.schedule.lower import Lowered, StepKind, StepPlan, TailKind
from fdsim.schedule.ops import Buffer, OpKind, Phase, Tensor

# the transposes of the structural links; a stream link's primitive names its backward kind
_BACKWARD_KIND = {
    OpKind.FFT: OpKind.IFFT,
    OpKind.IFFT: OpKind.FFT,
    OpKind.SELF_CONV: OpKind.SELF_CONV,
}
LOGITS_IO = ChainIo(Tensor.STASH, Buffer.ACTIVATIONS, Tensor.GRADIENTS)


def emit_backward(emitter: Emitter, lowered: Lowered, *, weights: bool) -> dict[int, list[int]]:
    """Emit bwd_data (and bwd_weight when ``weights``) for every step, last step first.
    Returns, per parametric workload layer, the ops storing its final weight gradient."""
    first_param = emitter.first_param
    # the step of the first parametric layer's product: gradients flow back to it, not past it
    # (an overlap-add tiled first conv has its own iFFT step after that product)
    first_product = next(
        (
            index
            for index, plan in enumerate(lowered.steps)
            if plan.kind is not StepKind.MAPS and plan.head_layer == first_param
        ),
        len(lowered.steps),
    )
    gradient_stores: dict[int, list[int]] = {}
    for index in reversed(range(len(lowered.steps))):
        plan = lowered.steps[index]
        if plan.tails and plan.tails[-1].kind is TailKind.LOSS:
            _loss(emitter, plan)
        elif plan.kind is StepKind.SPECTRAL_CONV:
            data = plan.head_layer > first_param
            stores = emit_spectral_conv_backward(emitter, plan, data=data, weight=weights)
            if weights:
                gradient_stores[plan.head_layer] = stores
        elif plan.kind is StepKind.GEMM:
            data = plan.head_layer > first_param
            stores = emit_gemm_backward(emitter, plan, data=data, weight=weights)
            if weights:
                gradient_stores[plan.head_layer] = stores
        elif index > first_product:
            _maps(emitter, plan)
    return gradient_stores


def _loss(emitter: Emitter, plan: StepPlan) -> None:
    """dL/dlogits from the logits, which the forward stored (re-read as stash)."""
    items, classes, logit_bytes, _vectors = emitter.map_items(plan.rep_in)
    layer = emitter.plan(plan.tails[-1].layer, Phase.BACKWARD_DATA)
    loss = plan.tails[-1].op
    link = Link(OpKind.LOSS_GRAD, layer, classes, classes, emitter.bytes.gradient, False, op=loss)
    tile = emitter.chain(layer, items, classes, logit_bytes, [link], LOGITS_IO, "image")
    emitter.note(layer, f"loss_grad: {tile} images per tile")
    emitter.program.end_step()


def _maps(emitter: Emitter, plan: StepPlan) -> None:
    """A map-tiled step backwards: its links in reverse, each as its adjoint."""
    items, _elems, _eb, vectors = emitter.map_items(plan.rep_in)
    forward = forward_links(emitter, plan, items)
    b = emitter.bytes
    links: list[Link] = []
    for link in reversed(forward):
        # the forward link's input domain is the backward link's output domain
        spectral_in = link.kind is OpKind.IFFT or (link.kind is not OpKind.FFT and link.spectral)
        out_eb = b.gradient_spectral if spectral_in else b.gradient
        op = link.op
        kind = op.backward_kind if isinstance(op, StreamPrimitive) else _BACKWARD_KIND[link.kind]
        self_conv = link.kind is OpKind.SELF_CONV
        links.append(
            Link(
                kind,
                emitter.plan(link.layer, Phase.BACKWARD_DATA),
                link.n_out,
                link.n_in,
                out_eb,
                spectral_in and link.kind not in (OpKind.FFT, OpKind.IFFT),
                link.points,
                # G ⊛ X (the linear term c1·G is combined in the lanes: sim/units.py cmac)
                link.products if self_conv else 0,
                link.stash,
                b.spectral if self_conv else 0,
                op,
                link.transforms,
            )
        )
    last = forward[-1]
    last_spectral = last.kind is OpKind.FFT or (last.kind is not OpKind.IFFT and last.spectral)
    in_eb = b.gradient_spectral if last_spectral else b.gradient
    what = "image" if vectors else "map"
    head = links[0].layer
    tile = emitter.chain(head, items, last.n_out, in_eb, links, GRADIENT_IO, what)
    emitter.note(head, f"{links[0].kind.value}: {tile} {what}s per tile")
    for link in links[1:]:
        if link.layer != head:
            emitter.note(
                link.layer, f"fused into {emitter.names[emitter.plan_keys[head][0]]}'s tiles"
            )
    emitter.program.end_step()
