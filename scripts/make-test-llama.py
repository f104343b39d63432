#!/usr/bin/python3
"""Generate a small random LLaMA-architecture model folder in Hugging Face layout, and reference
hidden states for it computed by an independent float64 forward written from the architecture
definition (Touvron et al. 2023; Hugging Face's LlamaModel weight layout and output_hidden_states).

    /usr/bin/python3 scripts/make-test-llama.py --out test/fixtures/tiny-llama

Writes into --out:
  config.json, tokenizer.json, tokenizer_config.json, model.safetensors (float32)
  sharded/  the same model as model-00001-of-00002.safetensors (float16) and
            model-00002-of-00002.safetensors (bfloat16) + model.safetensors.index.json
  onnx/model.onnx  the float32 model for onnxruntime: inputs input_ids, attention_mask; outputs
            hidden_state_0 … hidden_state_L (padded batches, positions counted over real tokens)
  reference.json  {"texts", "input_ids", "hidden_states": [layer][text][token][dim]}
  texts.txt  the texts, one a line (input of `unictr embed`)

Weights are rounded so that float32, float16 and bfloat16 hold them exactly: every copy is the same
model, and one reference serves all. The tokenizer is a byte-fallback BPE (the LLaMA tokenizer's
layout) whose merges are learnt here from a small corpus; its encoder is re-implemented below so
the reference also fixes the token ids.
"""
import argparse
import collections
import json
import math
import os
import struct

import torch

CORPUS = """the quick brown fox jumps over the lazy dog . i like strawberries and cheap guitars .
wireless noise cancelling headphones with long battery life . this product is great , the price is
right and the sound is clear . the user has clicked on books , music , kindle and magazines before .
will the user click on this item ? yes or no . amazon reviews of the best selling electronics ,
fashion and home goods . a cat watches the window while the dog sleeps on the sofa ."""

TEXTS = [
    "i like strawberries",
    "The quick brown fox jumps over the lazy dog, while the unaffable cat watches from a windowsill.",
    "ok",
    "Wireless noise-cancelling headphones with 30 hours of battery life",
    "Price: 12€ — café crème",
    "will the user click on this item? yes",
]

SPECIALS = ["<unk>", "<s>", "</s>"]
SPACE = "\u2581"

CONFIG = dict(
    architectures=["LlamaForCausalLM"],
    model_type="llama",
    hidden_size=64,
    intermediate_size=172,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=128,
    rms_norm_eps=1e-5,
    rope_theta=20000.0,
    rope_scaling=None,
    hidden_act="silu",
    attention_bias=False,
    attention_dropout=0.0,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=None,
    tie_word_embeddings=False,
    torch_dtype="float32",
    initializer_range=0.02,
)


# ---- tokenizer -------------------------------------------------------------------------------

def learn_bpe(corpus, n_merges):
    words = collections.Counter(SPACE + w for w in corpus.split())
    splits = {w: list(w) for w in words}
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, c in words.items():
            s = splits[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        for w in words:
            s, out, i = splits[w], [], 0
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            splits[w] = out
    return merges


def build_vocab(corpus):
    vocab = list(SPECIALS) + ["<0x%02X>" % b for b in range(256)]
    chars = sorted(set(SPACE + corpus.replace(" ", "").replace("\n", "")))
    vocab += [c for c in chars if c not in vocab]
    merges = learn_bpe(corpus, 150)
    for a, b in merges:
        if a + b not in vocab:
            vocab.append(a + b)
    return vocab, merges


def bpe_encode(text, vocab, merges):
    """LLaMA-style: prepend "▁", spaces to "▁", lowest-rank merge first, unknown chars as UTF-8 bytes, BOS first."""
    ids = {t: i for i, t in enumerate(vocab)}
    rank = {m: i for i, m in enumerate(merges)}
    parts = list(SPACE + text.replace(" ", SPACE))
    while True:
        cands = [(rank[(a, b)], i) for i, (a, b) in enumerate(zip(parts, parts[1:])) if (a, b) in rank]
        if not cands:
            break
        r, _ = min(cands)
        pair = merges[r]
        out, i = [], 0
        while i < len(parts):
            if i + 1 < len(parts) and (parts[i], parts[i + 1]) == pair:
                out.append(parts[i] + parts[i + 1])
                i += 2
            else:
                out.append(parts[i])
                i += 1
        parts = out
    result = [ids["<s>"]]
    for p in parts:
        if p in ids:
            result.append(ids[p])
        else:
            result += [ids["<0x%02X>" % b] for b in p.encode("utf-8")]
    return result


def tokenizer_json(vocab, merges):
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for i, t in enumerate(SPECIALS)
        ],
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": SPACE}, {"type": "Replace", "pattern": {"String": " "}, "content": SPACE}]},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}},
        },
        "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": SPACE}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": "<unk>",
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": True,
            "byte_fallback": True,
            "vocab": {t: i for i, t in enumerate(vocab)},
            "merges": ["%s %s" % m for m in merges],
        },
    }


TOKENIZER_CONFIG = {
    "tokenizer_class": "LlamaTokenizer",
    "add_bos_token": True,
    "add_eos_token": False,
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "pad_token": None,
    "model_max_length": 128,
    "clean_up_tokenization_spaces": False,
}


# ---- weights ---------------------------------------------------------------------------------

def exact_in_all_dtypes(t):
    """Round to bfloat16, and zero what float16 cannot hold exactly (its subnormals)."""
    t = t.to(torch.bfloat16).to(torch.float32)
    t[t.abs() < 1e-4] = 0.0
    assert torch.equal(t.to(torch.float16).to(torch.float32), t)
    return t


def make_weights(cfg, gen):
    d, f, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    dh = d // cfg["num_attention_heads"]
    q, kv = cfg["num_attention_heads"] * dh, cfg["num_key_value_heads"] * dh
    V = cfg["vocab_size"]

    def lin(out, inp):
        return torch.randn(out, inp, generator=gen) / math.sqrt(inp)

    def norm():
        return 1.0 + 0.2 * torch.randn(d, generator=gen)

    w = {"model.embed_tokens.weight": torch.randn(V, d, generator=gen)}
    for i in range(L):
        p = "model.layers.%d." % i
        w[p + "input_layernorm.weight"] = norm()
        w[p + "self_attn.q_proj.weight"] = lin(q, d)
        w[p + "self_attn.k_proj.weight"] = lin(kv, d)
        w[p + "self_attn.v_proj.weight"] = lin(kv, d)
        w[p + "self_attn.o_proj.weight"] = lin(d, q)
        w[p + "post_attention_layernorm.weight"] = norm()
        w[p + "mlp.gate_proj.weight"] = lin(f, d)
        w[p + "mlp.up_proj.weight"] = lin(f, d)
        w[p + "mlp.down_proj.weight"] = lin(d, f)
    w["model.norm.weight"] = norm()
    w["lm_head.weight"] = lin(V, d)
    return {k: exact_in_all_dtypes(v) for k, v in w.items()}


DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def write_safetensors(path, tensors, dtype):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].to(DTYPES[dtype]).contiguous()
        raw = (t.view(torch.int16) if dtype == "BF16" else t).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":"))
    h += " " * ((8 - (8 + len(h.encode())) % 8) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(h.encode())))
        fh.write(h.encode())
        for b in blobs:
            fh.write(b)
    return off


# ---- reference forward -----------------------------------------------------------------------

def rms_norm(x, g, eps):
    return g * x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)


def rotary(x, theta):
    """x: [T, heads, dh]; Hugging Face's layout pairs feature j with j + dh/2, rotated by pos·θ^(−2j/dh)."""
    T, _, dh = x.shape
    half = dh // 2
    freqs = theta ** (-torch.arange(half, dtype=torch.float64) * 2 / dh)
    angle = torch.arange(T, dtype=torch.float64)[:, None] * freqs[None, :]
    z = torch.complex(x[..., :half], x[..., half:]) * torch.polar(torch.ones_like(angle), angle)[:, None, :]
    return torch.cat([z.real, z.imag], -1)


def reference_states(w, cfg, ids):
    """Every hidden state of one unpadded sequence, in float64."""
    W = {k: v.to(torch.float64) for k, v in w.items()}
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = cfg["hidden_size"]
    dh = d // H
    eps, theta = cfg["rms_norm_eps"], cfg["rope_theta"]
    T = len(ids)
    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    states = [x]
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        a = rms_norm(x, W[p + "input_layernorm.weight"], eps)
        q = rotary((a @ W[p + "self_attn.q_proj.weight"].T).reshape(T, H, dh), theta)
        k = rotary((a @ W[p + "self_attn.k_proj.weight"].T).reshape(T, KV, dh), theta)
        v = (a @ W[p + "self_attn.v_proj.weight"].T).reshape(T, KV, dh)
        heads = []
        for h in range(H):
            g = h * KV // H  # query head h reads key/value head g
            s = (q[:, h] @ k[:, g].T) / math.sqrt(dh)
            s = s.masked_fill(future, float("-inf"))
            heads.append(torch.softmax(s, -1) @ v[:, g])
        x = x + torch.cat(heads, -1) @ W[p + "self_attn.o_proj.weight"].T
        b = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        gate = b @ W[p + "mlp.gate_proj.weight"].T
        x = x + (gate * torch.sigmoid(gate) * (b @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
        states.append(x)
    states[-1] = rms_norm(x, W["model.norm.weight"], eps)
    return [s.to(torch.float32).tolist() for s in states]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    out, sharded = args.out, os.path.join(args.out, "sharded")
    os.makedirs(sharded, exist_ok=True)
    vocab, merges = build_vocab(CORPUS)
    cfg = dict(CONFIG, vocab_size=len(vocab))
    gen = torch.Generator().manual_seed(args.seed)
    w = make_weights(cfg, gen)
    for folder in (out, sharded):
        with open(os.path.join(folder, "config.json"), "w") as fh:
            json.dump(cfg, fh, indent=2)
        with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as fh:
            json.dump(tokenizer_json(vocab, merges), fh, ensure_ascii=False, indent=1)
        with open(os.path.join(folder, "tokenizer_config.json"), "w") as fh:
            json.dump(TOKENIZER_CONFIG, fh, indent=2)
    write_safetensors(os.path.join(out, "model.safetensors"), w, "F32")
    names = sorted(w)
    first = {n: w[n] for n in names if n.startswith("model.embed_tokens") or n.startswith("model.layers.0.")}
    second = {n: w[n] for n in names if n not in first}
    files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    total = write_safetensors(os.path.join(sharded, files[0]), first, "F16")
    total += write_safetensors(os.path.join(sharded, files[1]), second, "BF16")
    index = {"metadata": {"total_size": total}, "weight_map": {n: files[0] if n in first else files[1] for n in names}}
    with open(os.path.join(sharded, "model.safetensors.index.json"), "w") as fh:
        json.dump(index, fh, indent=2)
    ids = [bpe_encode(t, vocab, merges) for t in TEXTS]
    ref = {"texts": TEXTS, "input_ids": ids, "hidden_states": [[] for _ in range(cfg["num_hidden_layers"] + 1)]}
    for seq in ids:
        for layer, s in enumerate(reference_states(w, cfg, seq)):
            ref["hidden_states"][layer].append([[float("%.7g" % v) for v in row] for row in s])
    with open(os.path.join(out, "reference.json"), "w") as fh:
        json.dump(ref, fh, separators=(",", ":"))
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    export_onnx(w, cfg, os.path.join(out, "onnx", "model.onnx"))
    with open(os.path.join(out, "texts.txt"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(TEXTS) + "\n")
    print("vocab %d, merges %d, tokens per text %s" % (len(vocab), len(merges), [len(i) for i in ids]))



# ---- ONNX export (frozen fast path) ------------------------------------------------------------

class BatchedLlama(torch.nn.Module):
    """Padded-batch forward for export: inputs input_ids, attention_mask [batch, seq] (int64);
    outputs hidden_state_0 … hidden_state_L [batch, seq, d] with the same conventions as the
    reference (positions count real tokens; keys masked causally and where padded)."""

    def __init__(self, w, cfg):
        super().__init__()
        self.cfg = cfg
        self.w = {k: v.clone() for k, v in w.items() if k != "lm_head.weight"}
        for i, (k, v) in enumerate(sorted(self.w.items())):
            self.register_buffer("w%d" % i, v)
            self.w[k] = getattr(self, "w%d" % i)

    def forward(self, input_ids, attention_mask):
        cfg, W = self.cfg, self.w
        H, KV, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["hidden_size"]
        dh, eps = d // H, cfg["rms_norm_eps"]
        B, T = input_ids.shape
        m = attention_mask.to(torch.float32)
        pos = torch.clamp(torch.cumsum(m, 1) - 1, min=0)
        freqs = cfg["rope_theta"] ** (-torch.arange(0, dh, 2, dtype=torch.float32) / dh)
        ang = pos[:, :, None] * freqs[None, None, :]
        cos = torch.cat([ang.cos(), ang.cos()], -1)[:, None]
        sin = torch.cat([ang.sin(), ang.sin()], -1)[:, None]

        def rot(x):
            x1, x2 = x[..., : dh // 2], x[..., dh // 2:]
            return x * cos + torch.cat([-x2, x1], -1) * sin

        idx = torch.arange(T)
        allowed = (idx[None, :] <= idx[:, None]).to(torch.float32)[None, None] * m[:, None, None, :]
        bias = (1.0 - allowed) * -1e9
        x = W["model.embed_tokens.weight"][input_ids]
        outs = [x]
        for i in range(cfg["num_hidden_layers"]):
            p = "model.layers.%d." % i
            a = rms_norm(x, W[p + "input_layernorm.weight"], eps)
            q = rot((a @ W[p + "self_attn.q_proj.weight"].T).reshape(B, T, H, dh).transpose(1, 2))
            k = rot((a @ W[p + "self_attn.k_proj.weight"].T).reshape(B, T, KV, dh).transpose(1, 2))
            v = (a @ W[p + "self_attn.v_proj.weight"].T).reshape(B, T, KV, dh).transpose(1, 2)
            # Query head h reads key/value head h // (H / KV).
            k = k.unsqueeze(2).expand(-1, -1, H // KV, -1, -1).flatten(1, 2)
            v = v.unsqueeze(2).expand(-1, -1, H // KV, -1, -1).flatten(1, 2)
            s = q @ k.transpose(-1, -2) / math.sqrt(dh) + bias
            o = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(B, T, H * dh)
            x = x + o @ W[p + "self_attn.o_proj.weight"].T
            b = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
            g = b @ W[p + "mlp.gate_proj.weight"].T
            x = x + (g * torch.sigmoid(g) * (b @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
            outs.append(x)
        outs[-1] = rms_norm(x, W["model.norm.weight"], eps)
        return tuple(outs)


def export_onnx(w, cfg, path):
    model = BatchedLlama(w, cfg).eval()
    L = cfg["num_hidden_layers"]
    names = ["hidden_state_%d" % i for i in range(L + 1)]
    ids = torch.ones(2, 5, dtype=torch.int64)
    mask = torch.ones(2, 5, dtype=torch.int64)
    axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}}
    axes.update({n: {0: "batch", 1: "seq"} for n in names})
    torch.onnx.export(model, (ids, mask), path, input_names=["input_ids", "attention_mask"], output_names=names, dynamic_axes=axes, opset_version=14)


if __name__ == "__main__":
    main()
