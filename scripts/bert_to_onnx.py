#!/usr/bin/python3
"""Build an ONNX graph of a BERT encoder from a Hugging Face folder's model.safetensors.

Usage: /usr/bin/python3 scripts/bert_to_onnx.py MODEL_FOLDER [OUT_FILE]
Writes MODEL_FOLDER/onnx/model.onnx by default. Inputs: input_ids, attention_mask,
token_type_ids (int64, [batch, seq]); outputs: hidden_state_0 (embedding output) ...
hidden_state_L, each float32 [batch, seq, hidden]. Needs python3-onnx and python3-numpy.

The graph is written independently of the TypeScript encoder (standard ONNX ops, opset 17
LayerNormalization, Erf-based GELU, HF-style additive mask of float32 min) so that the two can be
compared as references of each other.
"""
import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        if e["dtype"] == "BF16":
            u16 = np.frombuffer(data[b:end], dtype="<u2").astype(np.uint32) << 16
            arr = u16.view(np.float32)
        else:
            arr = np.frombuffer(data[b:end], dtype=np.dtype(DTYPES[e["dtype"]]).newbyteorder("<"))
        out[name] = arr.astype(np.float32).reshape(e["shape"])
    return out


def build(folder, out_file):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    w = read_safetensors(os.path.join(folder, "model.safetensors"))

    def W(name):
        for cand in (name, "bert." + name):
            if cand in w:
                return w[cand]
        raise KeyError(name)

    d = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    dh = d // heads
    n_layers = cfg["num_hidden_layers"]
    eps = float(cfg.get("layer_norm_eps", 1e-12))
    act = cfg.get("hidden_act", "gelu")
    if act != "gelu":
        raise SystemExit(f"bert_to_onnx: hidden_act {act!r} not supported (only 'gelu')")

    nodes, inits = [], []
    counter = [0]

    def name(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(arr, prefix="c"):
        n = name(prefix)
        inits.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def op(kind, inputs, **attrs):
        out = name(kind.lower())
        nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def linear(x, prefix):
        # HF stores Linear weights [out, in]; y = x W^T + b.
        wt = const(W(prefix + ".weight").T.copy(), prefix + ".weight_t")
        b = const(W(prefix + ".bias"), prefix + ".bias")
        return op("Add", [op("MatMul", [x, wt]), b])

    def layer_norm(x, prefix):
        g = const(W(prefix + ".weight"), prefix + ".weight")
        b = const(W(prefix + ".bias"), prefix + ".bias")
        return op("LayerNormalization", [x, g, b], axis=-1, epsilon=eps)

    outputs = []

    def emit(x, i):
        out = f"hidden_state_{i}"
        nodes.append(helper.make_node("Identity", [x], [out]))
        outputs.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, ["batch", "seq", d]))

    word = op("Gather", [const(W("embeddings.word_embeddings.weight"), "word_emb"), "input_ids"], axis=0)
    seq_len = op("Gather", [op("Shape", ["input_ids"]), const(np.array(1, dtype=np.int64))], axis=0)
    pos_ids = op("Range", [const(np.array(0, dtype=np.int64)), seq_len, const(np.array(1, dtype=np.int64))])
    pos = op("Gather", [const(W("embeddings.position_embeddings.weight"), "pos_emb"), pos_ids], axis=0)
    tt = op("Gather", [const(W("embeddings.token_type_embeddings.weight"), "tt_emb"), "token_type_ids"], axis=0)
    h = layer_norm(op("Add", [op("Add", [word, pos]), tt]), "embeddings.LayerNorm")
    emit(h, 0)

    mask_f = op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    inv = op("Sub", [const(np.array(1.0, dtype=np.float32)), mask_f])
    mask_add = op("Mul", [inv, const(np.array(np.finfo(np.float32).min, dtype=np.float32))])
    mask_add = op("Unsqueeze", [mask_add, const(np.array([1, 2], dtype=np.int64))])  # [B,1,1,S]

    split_shape = const(np.array([0, 0, heads, dh], dtype=np.int64))
    merge_shape = const(np.array([0, 0, d], dtype=np.int64))
    scale = const(np.array(np.sqrt(dh), dtype=np.float32))
    half = const(np.array(0.5, dtype=np.float32))
    one = const(np.array(1.0, dtype=np.float32))
    sqrt2 = const(np.array(np.sqrt(2.0), dtype=np.float32))

    for i in range(n_layers):
        p = f"encoder.layer.{i}"
        q = op("Transpose", [op("Reshape", [linear(h, p + ".attention.self.query"), split_shape])], perm=[0, 2, 1, 3])
        k = op("Transpose", [op("Reshape", [linear(h, p + ".attention.self.key"), split_shape])], perm=[0, 2, 3, 1])
        v = op("Transpose", [op("Reshape", [linear(h, p + ".attention.self.value"), split_shape])], perm=[0, 2, 1, 3])
        scores = op("Add", [op("Div", [op("MatMul", [q, k]), scale]), mask_add])
        probs = op("Softmax", [scores], axis=-1)
        ctx = op("Reshape", [op("Transpose", [op("MatMul", [probs, v])], perm=[0, 2, 1, 3]), merge_shape])
        h1 = layer_norm(op("Add", [linear(ctx, p + ".attention.output.dense"), h]), p + ".attention.output.LayerNorm")
        x = linear(h1, p + ".intermediate.dense")
        gelu = op("Mul", [op("Mul", [x, half]), op("Add", [one, op("Erf", [op("Div", [x, sqrt2])])])])
        h = layer_norm(op("Add", [linear(gelu, p + ".output.dense"), h1]), p + ".output.LayerNorm")
        emit(h, i + 1)

    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"]) for n in ("input_ids", "attention_mask", "token_type_ids")]
    graph = helper.make_graph(nodes, "bert_encoder", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="unictr-ts bert_to_onnx")
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(out_file), exist_ok=True)
    tmp = out_file + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, out_file)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    folder = sys.argv[1]
    build(folder, sys.argv[2] if len(sys.argv) == 3 else os.path.join(folder, "onnx", "model.onnx"))
