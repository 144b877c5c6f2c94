"""Scan tars into indexes and squash them, the way the image pipeline does."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence

from supplychain.catalog.layers.index import LayerIndex
from supplychain.catalog.layers.limits import DEFAULT_LAYER_LIMITS, LayerLimits
from supplychain.catalog.layers.scan import CaptureSet, scan_layer
from supplychain.catalog.layers.spool import Spool
from supplychain.catalog.layers.squash import SquashedView
from supplychain.model import Digest

EVERYTHING = CaptureSet(wants=lambda path: True)


def diff_id(tar: bytes) -> Digest:
    return Digest.parse("sha256:" + hashlib.sha256(tar).hexdigest())


def scan(
    tar: bytes,
    spool: Spool,
    *,
    capture: CaptureSet = EVERYTHING,
    limits: LayerLimits = DEFAULT_LAYER_LIMITS,
    label: str = "layer 0",
) -> LayerIndex:
    return scan_layer(
        io.BytesIO(tar),
        compression="none",
        diff_id=diff_id(tar),
        label=label,
        capture=capture,
        spool=spool,
        limits=limits,
    )


def squash(
    tars: Sequence[bytes], spool: Spool, wants: Callable[[str], bool] = lambda p: True
) -> SquashedView:
    capture = CaptureSet(wants=wants)
    return SquashedView(
        [
            (str(diff_id(t)), scan(t, spool, capture=capture, label=f"layer {i}"))
            for i, t in enumerate(tars)
        ]
    )
