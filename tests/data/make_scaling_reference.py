#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes scaling_reference.inc: the inverse frequencies and attention factors of RoPE
scaling schemes, computed independently in numpy (float64), for schemes/scaling_test.cpp. Run with
Debian's /usr/bin/python3 (python3-numpy):

    /usr/bin/python3 tests/data/make_scaling_reference.py

The output is committed so that the test suite needs only C++.

Each function below follows the formulas of HF transformers' modeling_rope_utils.py
(_compute_default_rope_parameters, _compute_linear_scaling_rope_parameters,
_compute_dynamic_ntk_parameters, _compute_yarn_parameters, _compute_llama3_parameters,
_compute_longrope_parameters, _compute_proportional_rope_parameters) with every array in
float64 instead of HF's float32, written from the formulas, not from the library's code:
  inv_freq = 1 / base**(arange(0, d, 2) / d)  (a division of a power, where the library
  computes pow(base, -2i/d)), ramps and masks with numpy's clip and where.
"""

import json
import math
import os

import numpy as np


def default(d, base):
    return 1.0 / base ** (np.arange(0, d, 2, dtype=np.float64) / d), 1.0, 1.0


def linear(d, base, factor):
    f, a, s = default(d, base)
    return f / factor, a, s


def ntk_base(d, base, factor):
    return default(d, base * factor ** (d / (d - 2)))


def dynamic(d, base, factor, max_pos, seq_len):
    seq_len = max(seq_len, max_pos)
    scaled = base * ((factor * seq_len / max_pos) - (factor - 1)) ** (d / (d - 2))
    return default(d, scaled)


def mscale(scale, m=1.0):
    return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0


def yarn(d, base, factor, original_max, beta_fast=None, beta_slow=None, truncate=True,
         attention_factor=None, m=None, m_all=None):
    if attention_factor is None:
        if m and m_all:
            attention_factor = mscale(factor, m) / mscale(factor, m_all)
        else:
            attention_factor = mscale(factor)
    beta_fast = beta_fast or 32
    beta_slow = beta_slow or 1

    def correction_dim(rotations):
        return (d * math.log(original_max / (rotations * 2 * math.pi))) / (2 * math.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, d - 1)
    if low == high:
        high += 0.001
    ramp = np.clip((np.arange(d // 2, dtype=np.float64) - low) / (high - low), 0, 1)
    pos_freqs = base ** (np.arange(0, d, 2, dtype=np.float64) / d)
    extrapolation = 1.0 / pos_freqs
    interpolation = 1.0 / (factor * pos_freqs)
    keep = 1 - ramp
    inv_freq = interpolation * (1 - keep) + extrapolation * keep
    softmax = mscale(factor, m_all) ** 2 if m_all else 1.0
    return inv_freq, attention_factor, softmax


def llama3(d, base, factor, low_ff, high_ff, original_max):
    inv_freq, _, _ = default(d, base)
    low_wavelen = original_max / low_ff
    high_wavelen = original_max / high_ff
    wavelen = 2 * math.pi / inv_freq
    scaled = np.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    with np.errstate(divide="ignore", invalid="ignore"):  # low_ff == high_ff: no band (Llama 4)
        smooth = (original_max / wavelen - low_ff) / (high_ff - low_ff)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
    return np.where(medium, smoothed, scaled), 1.0, 1.0


def longrope(d, base, short, long, original_max, max_pos, seq_len, factor=None):
    s = factor or max_pos / original_max
    attention = 1.0 if s <= 1 else math.sqrt(1 + math.log(s) / math.log(original_max))
    ext = np.array(long if seq_len > original_max else short, dtype=np.float64)
    shape = np.arange(0, d, 2, dtype=np.float64) / d
    return 1.0 / (ext * base ** shape), attention, 1.0


def proportional(head_dim, base, factor, fraction):
    pairs = int(fraction * head_dim // 2)
    rotated = 1.0 / base ** (np.arange(0, 2 * pairs, 2, dtype=np.float64) / head_dim)
    return rotated / factor, 1.0, 1.0


HERE = os.path.dirname(os.path.abspath(__file__))
def config(name):
    with open(os.path.join(HERE, "configs", name)) as f:
        return json.load(f)


PHI35 = config("phi35_mini.json")["rope_scaling"]
PHI3_128K = config("phi3_mini_128k.json")["rope_scaling"]
PHI4 = config("phi4_mini.json")["rope_scaling"]

SHORT = [1.0 + 0.01 * i for i in range(48)]
LONG = [1.0 + 0.5 * i for i in range(48)]

# name, (inv_freq, attention_factor, softmax_scale_factor). Configurations of real models
# where the name says so (their config.json RoPE keys), illustrative otherwise.
CASES = [
    ("default_llama2", default(128, 10000.0)),
    ("default_partial_phi2", default(32, 10000.0)),  # head_dim 80 x partial 0.4
    ("linear_x4", linear(128, 10000.0, 4.0)),
    ("ntk_x4", ntk_base(128, 10000.0, 4.0)),
    ("ntk_alpha_1000", ntk_base(128, 10000.0, 1000.0)),  # Hunyuan's alpha: the same formula
    ("dynamic_at_max", dynamic(128, 10000.0, 2.0, 4096, 4096)),
    ("dynamic_past_max", dynamic(128, 10000.0, 2.0, 4096, 10000)),
    ("yarn_qwen25", yarn(128, 1000000.0, 4.0, 32768)),
    ("yarn_gpt_oss", yarn(64, 150000.0, 32.0, 4096, 32.0, 1.0, truncate=False)),
    ("yarn_deepseek_v3", yarn(64, 10000.0, 40.0, 4096, 32, 1, m=1.0, m_all=1.0)),
    ("yarn_mscale_ratio", yarn(64, 10000.0, 40.0, 4096, 32, 1, m=0.707, m_all=1.0)),
    ("yarn_given_factor", yarn(128, 10000.0, 8.0, 2048, attention_factor=0.8)),
    ("llama31", llama3(128, 500000.0, 8.0, 1.0, 4.0, 8192)),
    ("longrope_short", longrope(96, 10000.0, SHORT, LONG, 4096, 131072, 4096)),
    ("longrope_long", longrope(96, 10000.0, SHORT, LONG, 4096, 131072, 4097)),
    # Phi-3.5-mini-instruct (configs/phi35_mini.json): 3072 / 32 = 96, original 4096.
    ("longrope_phi35_short", longrope(96, 10000.0, PHI35["short_factor"], PHI35["long_factor"],
                                      4096, 131072, 4096)),
    ("longrope_phi35_long", longrope(96, 10000.0, PHI35["short_factor"], PHI35["long_factor"],
                                     4096, 131072, 131072)),
    # Qwen3-8B (configs/qwen3_8b.json): plain RoPE, theta 1e6.
    ("default_qwen3", default(128, 1000000.0)),
    # GPT-NeoX-20B (configs/gpt_neox_20b.json): 6144 / 64 = 96, rotary_pct 0.25 -> 24.
    ("default_partial_gpt_neox", default(24, 10000.0)),
    # Llama 4 Scout (configs/llama4_scout.json): llama3 with low = high = 1 (no band).
    ("llama3_llama4_scout", llama3(128, 500000.0, 16.0, 1.0, 1.0, 8192)),
    # Phi-3-mini-128k (configs/phi3_mini_128k.json, type "su"): 3072 / 32 = 96.
    ("longrope_phi3_mini_short", longrope(96, 10000.0, PHI3_128K["short_factor"],
                                          PHI3_128K["long_factor"], 4096, 131072, 4096)),
    ("longrope_phi3_mini_long", longrope(96, 10000.0, PHI3_128K["short_factor"],
                                         PHI3_128K["long_factor"], 4096, 131072, 8192)),
    # Phi-4-mini (configs/phi4_mini.json): 3072 / 24 = 128, partial 0.75 -> 96.
    ("longrope_phi4_mini_short", longrope(96, 10000.0, PHI4["short_factor"], PHI4["long_factor"],
                                          4096, 131072, 4096)),
    ("longrope_phi4_mini_long", longrope(96, 10000.0, PHI4["short_factor"], PHI4["long_factor"],
                                         4096, 131072, 131072)),
    # Devstral Small 2 (Mistral 3, configs/devstral_small2.json): YaRN x48 over 8192,
    # mscale = mscale_all_dim = 1 -> cos/sin factor 1.
    ("yarn_devstral_small2", yarn(128, 100000000.0, 48.0, 8192, 32.0, 1.0, m=1.0, m_all=1.0)),
    # Gemma 4 (configs/gemma4.json): sliding layers plain over head_dim 256; full layers
    # proportional over global_head_dim 512 with fraction 0.25 (proportional_quarter).
    ("default_gemma4_sliding", default(256, 10000.0)),
    ("proportional_quarter", proportional(512, 1000000.0, 1.0, 0.25)),
    ("proportional_factor", proportional(256, 10000.0, 8.0, 0.5)),
]


def main():
    out = [
        "// Generated by tests/data/make_scaling_reference.py; do not edit.",
        "// RoPE scaling schemes' inverse frequencies and factors, numpy float64.",
        "// Included by scaling_reference.hpp, which defines ScalingReference.",
        "",
    ]
    for name, (inv_freq, attention, softmax) in CASES:
        values = [repr(float(v)) for v in inv_freq]
        rows = [", ".join(values[i : i + 4]) for i in range(0, len(values), 4)]
        body = ",\n    ".join(rows)
        out.append(f"static const double k_{name}[] = {{\n    {body}}};")
    out.append("")
    out.append("static const ScalingReference kScalingReferences[] = {")
    for name, (inv_freq, attention, softmax) in CASES:
        out.append(f'    {{"{name}", k_{name}, {len(inv_freq)}, {attention!r}, {softmax!r}}},')
    out.append("};")
    path = os.path.join(HERE, "scaling_reference.inc")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
