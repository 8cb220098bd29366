#!/usr/bin/python3
"""A small HF checkpoint whose matrices are quantisable (every input dimension a multiple of 32), and what
`clara convert --dtype q8_0` must write for it, computed with PyTorch.

Writes tests/fixtures/q8/:
  hf-q8/config.json, hf-q8/model.safetensors   the float32 HF model (2 layers, hidden 32, mlp 64, vocab 50)
  expected_q8_0.safetensors                    engine names: projections and lm_head as I8 values + `<name>.q8_0_scales`
                                               F16 (llama.cpp's quantize_row_q8_0_ref, see make_kernel_fixtures.q8_quantise),
                                               the embedding F16, norms F32
Read by tests/Clara.Engine.Tests/Convert/Q8ConvertTests.cs. Run: /usr/bin/python3 tests/oracle/make_q8_fixtures.py
"""
import collections
import json
from pathlib import Path

import torch

from make_kernel_fixtures import q8_quantise, write_safetensors

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "q8"
HIDDEN, INTER, LAYERS, HEADS, KV_HEADS, HEAD_DIM, VOCAB = 32, 64, 2, 4, 2, 8, 50
PROJECTIONS = [  # HF module, engine name, out, in
    ("self_attn.q_proj", "wq", HEADS * HEAD_DIM, HIDDEN),
    ("self_attn.k_proj", "wk", KV_HEADS * HEAD_DIM, HIDDEN),
    ("self_attn.v_proj", "wv", KV_HEADS * HEAD_DIM, HIDDEN),
    ("self_attn.o_proj", "wo", HIDDEN, HEADS * HEAD_DIM),
    ("mlp.gate_proj", "w_gate", INTER, HIDDEN),
    ("mlp.up_proj", "w_up", INTER, HIDDEN),
    ("mlp.down_proj", "w_down", HIDDEN, INTER),
]


def main() -> None:
    gen = torch.Generator().manual_seed(8)
    hf, expected = collections.OrderedDict(), collections.OrderedDict()

    def matrix(hf_name, engine_name, rows, columns):
        w = torch.randn(rows, columns, generator=gen) / columns ** 0.5
        hf[hf_name] = w
        q, scales = q8_quantise(w)
        expected[engine_name] = q
        expected[engine_name + ".q8_0_scales"] = scales

    def norm(hf_name, engine_name):
        v = 1.0 + 0.1 * torch.randn(HIDDEN, generator=gen)
        hf[hf_name] = v
        expected[engine_name] = v

    embedding = torch.randn(VOCAB, HIDDEN, generator=gen)
    hf["model.embed_tokens.weight"] = embedding
    expected["tok_embeddings"] = embedding.to(torch.float16)
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        norm(p + "input_layernorm.weight", f"layers.{i}.attn_norm")
        for module, engine, rows, columns in PROJECTIONS:
            matrix(p + module + ".weight", f"layers.{i}.{engine}", rows, columns)
        norm(p + "post_attention_layernorm.weight", f"layers.{i}.mlp_norm")
    norm("model.norm.weight", "norm")
    matrix("lm_head.weight", "lm_head", VOCAB, HIDDEN)

    (OUT / "hf-q8").mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": HIDDEN, "intermediate_size": INTER,
        "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "num_key_value_heads": KV_HEADS, "head_dim": HEAD_DIM,
        "vocab_size": VOCAB, "rms_norm_eps": 1e-5, "rope_theta": 1000000.0, "max_position_embeddings": 128,
        "hidden_act": "silu", "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32",
    }
    (OUT / "hf-q8" / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    write_safetensors(OUT / "hf-q8" / "model.safetensors", hf)
    write_safetensors(OUT / "expected_q8_0.safetensors", expected)


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
