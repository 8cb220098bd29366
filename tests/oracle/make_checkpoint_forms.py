#!/usr/bin/python3
"""Writes the checkpoint-conversion fixtures under tests/fixtures/checkpoint-forms/.

Run with the system interpreter, which has PyTorch 1.13:  /usr/bin/python3 tests/oracle/make_checkpoint_forms.py

One tiny Mistral-shaped model (2 layers, hidden 24, 4 heads, 2 KV heads, head_dim 6, MLP 40, vocab 50)
and its LoRA adapters are written in every form the converter must read, together with the values the
converted file must hold ("expected/*.safetensors", engine tensor names). The expected values are made
here by PyTorch (including its round-to-nearest-even bfloat16 cast), never by the C# code under test.

The malicious pickles are assembled from raw opcode bytes: nothing in this script ever unpickles them.
Everything is deterministic (fixed seed, fixed zip timestamps), so re-running gives identical bytes.
"""

import collections
import hashlib
import json
import os
import shutil
import struct
import zipfile
import zlib

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "checkpoint-forms")

LAYERS, HIDDEN, HEADS, KV_HEADS, HEAD_DIM, INTER, VOCAB = 2, 24, 4, 2, 6, 40, 50
LORA_R, LORA_ALPHA = 4, 8
ADDED_TOKENS = ["<MEM>", "<AE>", "<ENC>", "<SEP>"]  # the reference's order when mem tokens are shared
RESIZED_VOCAB = VOCAB + len(ADDED_TOKENS)
ADAPTER_NAMES = ["encoder_adapter", "query_reasoner_adapter", "decoder_adapter"]

# HF module name -> engine name, per block (spec section 7 and the converter's contract).
PROJECTIONS = [
    ("self_attn.q_proj", "wq", HEADS * HEAD_DIM, HIDDEN),
    ("self_attn.k_proj", "wk", KV_HEADS * HEAD_DIM, HIDDEN),
    ("self_attn.v_proj", "wv", KV_HEADS * HEAD_DIM, HIDDEN),
    ("self_attn.o_proj", "wo", HIDDEN, HEADS * HEAD_DIM),
    ("mlp.gate_proj", "w_gate", INTER, HIDDEN),
    ("mlp.up_proj", "w_up", INTER, HIDDEN),
    ("mlp.down_proj", "w_down", HIDDEN, INTER),
]

FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------- safetensors (written by hand: no package)

ST_DTYPES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16", torch.int64: "I64"}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = tensor_bytes(t)
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def max_differences(a, b):
    a, b = a.to(torch.float64), b.to(torch.float64)
    diff = (a - b).abs()
    scale = torch.maximum(a.abs(), b.abs())
    rel = torch.where(diff == 0, torch.zeros_like(diff), diff / scale)
    return [diff.max().item(), rel.max().item()]


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


# ---------------------------------------------------------------- the model

def make_base(gen):
    """HF-named state dict of the tiny Mistral, float32, values with enough mantissa bits to make bf16 rounding matter."""
    sd = collections.OrderedDict()
    sd["model.embed_tokens.weight"] = torch.randn(VOCAB, HIDDEN, generator=gen)
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        sd[p + "input_layernorm.weight"] = 1.0 + 0.1 * torch.randn(HIDDEN, generator=gen)
        for hf, _, out_f, in_f in PROJECTIONS:
            sd[p + hf + ".weight"] = torch.randn(out_f, in_f, generator=gen) / in_f ** 0.5
        sd[p + "post_attention_layernorm.weight"] = 1.0 + 0.1 * torch.randn(HIDDEN, generator=gen)
    sd["model.norm.weight"] = 1.0 + 0.1 * torch.randn(HIDDEN, generator=gen)
    sd["lm_head.weight"] = torch.randn(VOCAB, HIDDEN, generator=gen)
    return sd


def make_adapter(gen, targets):
    """LoRA tensors keyed by (layer, hf module) -> (A [r, in], B [out, r])."""
    out = collections.OrderedDict()
    for i in range(LAYERS):
        for hf, _, out_f, in_f in PROJECTIONS:
            if hf.split(".")[1] in targets:
                out[(i, hf)] = (torch.randn(LORA_R, in_f, generator=gen) * 0.1, torch.randn(out_f, LORA_R, generator=gen) * 0.1)
    return out


def adapter_state_dict(lora, prefix):
    sd = collections.OrderedDict()
    for (i, hf), (a, b) in lora.items():
        sd[f"{prefix}layers.{i}.{hf}.lora_A.weight"] = a
        sd[f"{prefix}layers.{i}.{hf}.lora_B.weight"] = b
    return sd


def engine_base(sd):
    """The converter's naming of the base weights."""
    out = collections.OrderedDict()
    out["tok_embeddings"] = sd["model.embed_tokens.weight"]
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        out[f"layers.{i}.attn_norm"] = sd[p + "input_layernorm.weight"]
        for hf, eng, _, _ in PROJECTIONS:
            out[f"layers.{i}.{eng}"] = sd[p + hf + ".weight"]
        out[f"layers.{i}.mlp_norm"] = sd[p + "post_attention_layernorm.weight"]
    out["norm"] = sd["model.norm.weight"]
    if "lm_head.weight" in sd:
        out["lm_head"] = sd["lm_head.weight"]
    return out


def engine_adapter(name, lora):
    eng_of = {hf: eng for hf, eng, _, _ in PROJECTIONS}
    out = collections.OrderedDict()
    for (i, hf), (a, b) in lora.items():
        out[f"adapters.{name}.layers.{i}.{eng_of[hf]}.lora_a"] = a
        out[f"adapters.{name}.layers.{i}.{eng_of[hf]}.lora_b"] = b
    return out


def as_bf16_except_norms(tensors):
    """Expected bf16 output: PyTorch's RNE cast; norm vectors are kept in float32 by the converter."""
    return collections.OrderedDict(
        (k, v if k == "norm" or k.endswith("_norm") else v.to(torch.bfloat16)) for k, v in tensors.items())


def config_json():
    return {
        "architectures": ["MistralForCausalLM"],
        "model_type": "mistral",
        "hidden_size": HIDDEN,
        "intermediate_size": INTER,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS,
        "head_dim": HEAD_DIM,
        "vocab_size": VOCAB,
        "rms_norm_eps": 1e-5,
        "rope_theta": 1000000.0,
        "max_position_embeddings": 128,
        "hidden_act": "silu",
        "tie_word_embeddings": False,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "torch_dtype": "float32",
    }


def peft_config(targets, rslora):
    return {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": "tiny-mistral",
        "r": LORA_R,
        "lora_alpha": LORA_ALPHA,
        "lora_dropout": 0.1,
        "target_modules": sorted(targets),
        "use_rslora": rslora,
        "bias": "none",
    }


def save_legacy_deterministic(obj, path):
    """torch.save in the pre-1.6 format, made reproducible.

    That format names storages by memory address and writes them in sorted-address order. Here the
    keys are renamed "0", "1", ... in order of first use in the main pickle, and the storage records
    are put in that order. The pickles are only walked with pickletools (opcodes, nothing is loaded);
    the key list is re-pickled as the plain list of strings it is. All storages here are float32.
    """
    import io
    import pickle
    import pickletools
    torch.save(obj, path, _use_new_zipfile_serialization=False)
    with open(path, "rb") as f:
        data = f.read()
    stream = io.BytesIO(data)
    bounds, keys_sorted, strings_in_main = [], [], []
    for index in range(5):
        start = stream.tell()
        for opcode, arg, _ in pickletools.genops(stream):
            if opcode.name == "BINUNICODE" and index == 3:
                strings_in_main.append(arg)
            if opcode.name == "BINUNICODE" and index == 4:
                keys_sorted.append(arg)
        bounds.append((start, stream.tell()))
    records, pos = {}, stream.tell()
    for key in keys_sorted:
        numel = struct.unpack_from("<q", data, pos)[0]
        records[key] = data[pos: pos + 8 + numel * 4]
        pos += 8 + numel * 4
    assert pos == len(data)
    key_set = set(keys_sorted)
    order = list(dict.fromkeys(k for k in strings_in_main if k in key_set))
    assert sorted(order) == sorted(keys_sorted)
    main = data[bounds[3][0]: bounds[3][1]]
    for new, old in enumerate(order):
        main = main.replace(b"X" + struct.pack("<I", len(old)) + old.encode(),
                            b"X" + struct.pack("<I", len(str(new))) + str(new).encode())
    with open(path, "wb") as f:
        f.write(data[: bounds[3][0]])
        f.write(main)
        f.write(pickle.dumps([str(k) for k in range(len(order))], protocol=2))
        for old in order:
            f.write(records[old])


# ---------------------------------------------------------------- hostile and broken inputs (raw bytes, never loaded)

def op_global(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def op_unicode(s):
    data = s.encode("utf-8")
    return b"X" + struct.pack("<I", len(data)) + data


def write_zip(path, archive, members):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(f"{archive}/{name}", date_time=FIXED_ZIP_TIME)
            z.writestr(info, data)


def malicious_pickles():
    """data.pkl payloads that a naive unpickler would execute. Keyed by file stem -> (pickle bytes, global it uses)."""
    proto2 = b"\x80\x02"
    calls = {}
    # Top level is a direct call: os.system("...").
    calls["evil_os_system"] = (proto2 + op_global("os", "system") + op_unicode("echo owned > /tmp/clara-owned") +
                               b"\x85" + b"R" + b".", "os.system")
    calls["evil_posix_system"] = (proto2 + op_global("posix", "system") + op_unicode("true") + b"\x85R.", "posix.system")
    # Protocol 4 STACK_GLOBAL spelling of builtins.eval.
    calls["evil_builtins_eval"] = (b"\x80\x04" + b"\x8c\x08builtins" + b"\x8c\x04eval" + b"\x93" +
                                   b"\x8c\x0a1+1 or 0/0" + b"\x85R.", "builtins.eval")
    # The call hides as a value inside an otherwise ordinary state dict.
    calls["evil_subprocess_in_dict"] = (proto2 + b"}(" + op_unicode("model.norm.weight") +
                                        op_global("subprocess", "check_output") + b"]" + op_unicode("id") + b"a" +
                                        b"\x85R" + b"u.", "subprocess.check_output")
    # A torch-looking name that is not one of the tensor-rebuilding functions.
    calls["evil_torch_load"] = (proto2 + op_global("torch", "load") + op_unicode("/etc/passwd") + b"\x85R.", "torch.load")
    return calls


def out_of_bounds_pickle():
    """A tensor that claims 100 elements of a 24-element storage: reading it must fail, never read past the storage."""
    storage = (b"(" + op_unicode("storage") + op_global("torch", "FloatStorage") + op_unicode("0") +
               op_unicode("cpu") + b"K\x18" + b"tQ")
    tensor = (op_global("torch._utils", "_rebuild_tensor_v2") + b"(" + storage + b"K\x00" +
              b"K\x0aK\x0a\x86" + b"K\x0aK\x01\x86" + b"\x89" + op_global("collections", "OrderedDict") + b")R" + b"tR")
    return b"\x80\x02}" + op_unicode("model.norm.weight") + tensor + b"s."


# ---------------------------------------------------------------- main

def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(os.path.join(ROOT, "expected"))
    gen = torch.Generator().manual_seed(20251118)

    base = make_base(gen)
    all_targets = {hf.split(".")[1] for hf, _, _, _ in PROJECTIONS}
    adapters = {name: make_adapter(gen, all_targets) for name in ADAPTER_NAMES}
    peft_qv = make_adapter(gen, {"q_proj", "v_proj"})
    added_rows = torch.randn(len(ADDED_TOKENS), HIDDEN, generator=gen)
    added_head_rows = torch.randn(len(ADDED_TOKENS), HIDDEN, generator=gen)
    # Drawn last so the tensors above keep their values when this fixture was added.
    peft_layer1 = collections.OrderedDict((k, v) for k, v in make_adapter(gen, {"q_proj"}).items() if k[0] == 1)
    resized = collections.OrderedDict()
    resized["model.embed_tokens.weight"] = torch.cat([base["model.embed_tokens.weight"], added_rows])
    resized["lm_head.weight"] = torch.cat([base["lm_head.weight"], added_head_rows])

    # (a) HF directory, one file, float32.
    d = os.path.join(ROOT, "hf-single")
    os.makedirs(d)
    write_json(os.path.join(d, "config.json"), config_json())
    write_safetensors(os.path.join(d, "model.safetensors"), base, {"format": "pt"})

    # (b) HF directory, two shards with an index, bfloat16 (as real Mistral checkpoints are).
    d = os.path.join(ROOT, "hf-sharded-bf16")
    os.makedirs(d)
    cfg = config_json()
    cfg["torch_dtype"] = "bfloat16"
    write_json(os.path.join(d, "config.json"), cfg)
    names = list(base.keys())
    half = len(names) // 2
    weight_map, total = {}, 0
    for k, part in enumerate([names[:half], names[half:]]):
        fname = f"model-0000{k + 1}-of-00002.safetensors"
        tensors = collections.OrderedDict((n, base[n].to(torch.bfloat16)) for n in part)
        write_safetensors(os.path.join(d, fname), tensors, {"format": "pt"})
        for n, t in tensors.items():
            weight_map[n] = fname
            total += t.numel() * 2
    write_json(os.path.join(d, "model.safetensors.index.json"), {"metadata": {"total_size": total}, "weight_map": weight_map})

    # (c) PEFT adapter directories: all seven projections (plain LoRA) and q/v only with rsLoRA.
    d = os.path.join(ROOT, "peft-encoder_adapter")
    os.makedirs(d)
    write_json(os.path.join(d, "adapter_config.json"), peft_config(all_targets, False))
    write_safetensors(os.path.join(d, "adapter_model.safetensors"),
                      adapter_state_dict(adapters["encoder_adapter"], "base_model.model.model."), {"format": "pt"})
    d = os.path.join(ROOT, "peft-qv-rslora")
    os.makedirs(d)
    write_json(os.path.join(d, "adapter_config.json"), peft_config({"q_proj", "v_proj"}, True))
    write_safetensors(os.path.join(d, "adapter_model.safetensors"),
                      adapter_state_dict(peft_qv, "base_model.model.model."), {"format": "pt"})

    d = os.path.join(ROOT, "peft-layer1-q")
    os.makedirs(d)
    cfg = peft_config({"q_proj"}, False)
    cfg["layers_to_transform"] = [1]
    write_json(os.path.join(d, "adapter_config.json"), cfg)
    write_safetensors(os.path.join(d, "adapter_model.safetensors"),
                      adapter_state_dict(peft_layer1, "base_model.model.model."), {"format": "pt"})

    # (d) torch.save of the same state dict (zip format) and the pre-1.6 legacy format.
    torch.save(base, os.path.join(ROOT, "model.pth"))
    save_legacy_deterministic(base, os.path.join(ROOT, "model-legacy.pth"))
    # Protocol 4 brings FRAME, MEMOIZE, SHORT_BINUNICODE and STACK_GLOBAL into play.
    torch.save(base, os.path.join(ROOT, "model-protocol4.pth"), pickle_protocol=4)
    shutil.copy(os.path.join(ROOT, "hf-single", "config.json"), os.path.join(ROOT, "config.json"))

    # (e) The CLaRa release layout: adapters.pth (adapter name -> state dict, the key form transformers'
    # get_adapter_state_dict gives), decoder_first_last_layers.pth (resized embedding and lm_head),
    # and the CLaRa config.json (not an HF model config).
    d = os.path.join(ROOT, "clara-release")
    os.makedirs(d)
    torch.save({name: adapter_state_dict(adapters[name], "model.") for name in ADAPTER_NAMES}, os.path.join(d, "adapters.pth"))
    torch.save(resized, os.path.join(d, "decoder_first_last_layers.pth"))
    write_json(os.path.join(d, "config.json"), {
        "model_type": "CLaRa", "decoder_model_name": "tiny-mistral", "lora": True, "lora_r": LORA_R,
        "doc_max_length": 64, "compr_rate": 16, "different_mem_tokens": False, "generation_top_k": 2,
        "training_stage": "stage2", "sep": True})

    # Tensor views sharing one storage, including non-contiguous ones.
    g = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3.0
    views = collections.OrderedDict()
    views["whole"] = g
    views["rows"] = g[1:3]
    views["transposed"] = g.t()
    views["column"] = g[:, 2]
    views["strided"] = g[::2, 1::2]
    torch.save(views, os.path.join(ROOT, "views.pth"))
    write_safetensors(os.path.join(ROOT, "expected", "views.safetensors"),
                      collections.OrderedDict((k, v.contiguous()) for k, v in views.items()))

    # Hostile and broken inputs.
    evil = {}
    for stem, (payload, global_name) in malicious_pickles().items():
        write_zip(os.path.join(ROOT, f"{stem}.pth"), stem, [("data.pkl", payload), ("version", b"3\n")])
        evil[f"{stem}.pth"] = global_name
    write_zip(os.path.join(ROOT, "tensor_out_of_bounds.pth"), "tensor_out_of_bounds",
              [("data.pkl", out_of_bounds_pickle()), ("data/0", bytes(24 * 4)), ("version", b"3\n")])
    with open(os.path.join(ROOT, "model.pth"), "rb") as f:
        whole = f.read()
    with open(os.path.join(ROOT, "truncated.pth"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    with open(os.path.join(ROOT, "lfs-pointer.safetensors"), "w") as f:
        f.write("version https://git-lfs.github.com/spec/v1\n"
                f"oid sha256:{hashlib.sha256(whole).hexdigest()}\nsize {len(whole)}\n")
    with open(os.path.join(ROOT, "not-a-checkpoint.bin"), "wb") as f:
        f.write(b"this is plain text, not a checkpoint\n")

    # Expected converted values, engine names.
    e = os.path.join(ROOT, "expected")
    base_eng = engine_base(base)
    write_safetensors(os.path.join(e, "base_f32.safetensors"), base_eng)
    write_safetensors(os.path.join(e, "base_bf16.safetensors"), as_bf16_except_norms(base_eng))
    write_safetensors(os.path.join(e, "base_f16.safetensors"), collections.OrderedDict(
        (k, v if k == "norm" or k.endswith("_norm") else v.to(torch.float16)) for k, v in base_eng.items()))
    # The sharded checkpoint was stored in bf16, so its exact f32 conversion is the widened bf16 values.
    write_safetensors(os.path.join(e, "base_from_bf16_f32.safetensors"),
                      collections.OrderedDict((k, v.to(torch.bfloat16).to(torch.float32)) for k, v in base_eng.items()))
    resized_eng = engine_base(collections.OrderedDict(base, **{k: v for k, v in resized.items()}))
    write_safetensors(os.path.join(e, "resized_f32.safetensors"),
                      collections.OrderedDict((k, resized_eng[k]) for k in ("tok_embeddings", "lm_head")))
    adapters_eng = collections.OrderedDict()
    for name in ADAPTER_NAMES:
        adapters_eng.update(engine_adapter(name, adapters[name]))
    write_safetensors(os.path.join(e, "adapters_f32.safetensors"), adapters_eng)
    write_safetensors(os.path.join(e, "adapters_bf16.safetensors"),
                      collections.OrderedDict((k, v.to(torch.bfloat16)) for k, v in adapters_eng.items()))
    write_safetensors(os.path.join(e, "peft_qv_rslora_f32.safetensors"), engine_adapter("peft-qv-rslora", peft_qv))
    write_safetensors(os.path.join(e, "peft_layer1_q_f32.safetensors"), engine_adapter("peft-layer1-q", peft_layer1))
    base_bf16 = as_bf16_except_norms(base_eng)
    write_json(os.path.join(e, "facts.json"), {
        # zlib's CRC-32 of each expected bf16 tensor's bytes: what clara.checksums must record.
        "crc32_base_bf16": {k: format(zlib.crc32(tensor_bytes(v)), "08x") for k, v in base_bf16.items()},
        # Per tensor, between base_f32 and base_bf16: max |a-b| and max |a-b| / max(|a|, |b|), in float64.
        "diff_f32_vs_bf16": {k: max_differences(base_eng[k], base_bf16[k]) for k in base_eng},
        "config": config_json(),
        "lora_r": LORA_R,
        "lora_alpha": LORA_ALPHA,
        "scale_plain": LORA_ALPHA / LORA_R,
        "scale_rslora": LORA_ALPHA / LORA_R ** 0.5,
        "resized_vocab": RESIZED_VOCAB,
        # The reference tokenizer appends its added tokens after the base vocabulary, in this order.
        "added_token_ids": {tok: VOCAB + k for k, tok in enumerate(ADDED_TOKENS)},
        "malicious_globals": evil,
        "base_tensor_count": len(base_eng),
    })

    total = 0
    for dirpath, _, files in os.walk(ROOT):
        for fn in files:
            total += os.path.getsize(os.path.join(dirpath, fn))
    print(f"wrote {ROOT} ({total} bytes)")


if __name__ == "__main__":
    main()
