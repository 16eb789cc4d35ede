"""A few-line ONNX writer for tests: the protobuf wire format of a ModelProto, by hand.

Only what a tiny graph needs: nodes with int / ints / float attributes,
float32 and int64 initializers (raw_data), float32 graph inputs and outputs
with fixed shapes.  Field numbers are those of onnx/onnx.proto (IR version 7).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence

import numpy as np


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1                      # negative int64 as two's complement
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _int(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(value)


def _bytes(field: int, value: bytes) -> bytes:
    return _key(field, 2) + _varint(len(value)) + value


def _text(field: int, value: str) -> bytes:
    return _bytes(field, value.encode())


def _float(field: int, value: float) -> bytes:
    return _key(field, 5) + struct.pack("<f", value)


def tensor(name: str, array: np.ndarray) -> bytes:
    """TensorProto: dims (1), data_type (2: FLOAT 1, INT64 7), name (8), raw_data (9)."""
    kinds = {np.dtype(np.float32): 1, np.dtype(np.int64): 7}
    array = np.ascontiguousarray(array)
    body = b"".join(_int(1, d) for d in array.shape)
    body += _int(2, kinds[array.dtype]) + _text(8, name)
    return body + _bytes(9, array.astype(array.dtype.newbyteorder("<")).tobytes())


def attribute(name: str, value: int | float | Sequence[int]) -> bytes:
    """AttributeProto: name (1), f (2), i (3), ints (8), type (20: FLOAT 1, INT 2, INTS 7)."""
    if isinstance(value, float):
        return _text(1, name) + _float(2, value) + _int(20, 1)
    if isinstance(value, int):
        return _text(1, name) + _int(3, value) + _int(20, 2)
    return _text(1, name) + b"".join(_int(8, v) for v in value) + _int(20, 7)


def node(op: str, inputs: Sequence[str], outputs: Sequence[str],
         attributes: Mapping[str, int | float | Sequence[int]] | None = None) -> bytes:
    """NodeProto: input (1), output (2), name (3), op_type (4), attribute (5)."""
    body = b"".join(_text(1, i) for i in inputs) + b"".join(_text(2, o) for o in outputs)
    body += _text(3, f"{op}_{outputs[0]}") + _text(4, op)
    for key, value in (attributes or {}).items():
        body += _bytes(5, attribute(key, value))
    return body


def value_info(name: str, shape: Sequence[int]) -> bytes:
    """ValueInfoProto: name (1), type (2) = TypeProto.tensor_type (1) = elem_type (1),
    shape (2) = TensorShapeProto.dim (1) = dim_value (1)."""
    dims = b"".join(_bytes(1, _int(1, d)) for d in shape)
    tensor_type = _int(1, 1) + _bytes(2, dims)
    return _text(1, name) + _bytes(2, _bytes(1, tensor_type))


def model(nodes: Sequence[bytes], initializers: Mapping[str, np.ndarray],
          inputs: Mapping[str, Sequence[int]], outputs: Mapping[str, Sequence[int]],
          opset: int = 13) -> bytes:
    """ModelProto: ir_version (1), producer_name (2), graph (7), opset_import (8).

    GraphProto: node (1), name (2), initializer (5), input (11), output (12).
    """
    graph = b"".join(_bytes(1, n) for n in nodes) + _text(2, "tiny")
    graph += b"".join(_bytes(5, tensor(k, v)) for k, v in initializers.items())
    graph += b"".join(_bytes(11, value_info(k, v)) for k, v in inputs.items())
    graph += b"".join(_bytes(12, value_info(k, v)) for k, v in outputs.items())
    opset_id = _text(1, "") + _int(2, opset)
    return _int(1, 7) + _text(2, "annotator-tests") + _bytes(7, graph) + _bytes(8, opset_id)
