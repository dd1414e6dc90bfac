#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The benchmark report: what RoPE costs a model, and how close its kernels are to the
machine's limit.

    python3 bench/report.py RESULTS_DIR [--readme README.md]

RESULTS_DIR holds the Google Benchmark JSON of the bench programs (.ci/bench writes them):
matrix-<i>.json (rotary_bench_matrix, one file per run), model.json, design.json,
schemes.json, multi_axis.json, fused.json, layouts.json, and decay.csv
(rotary_decay_curve). Any file may be missing; its sections are left out. Writes into
RESULTS_DIR:
  report.md     every table below, with the machine and the plots
  results.csv   one line per benchmark row: program, row, median time, samples, counters
  heatmap.svg   the kernel matrix: baseline time / RoPE time per (shape, type, pairing, pass)
  model.svg     one forward pass: each encoding's time next to attention's
  decay.svg     RoFormer's long-term decay (section 3.4.3, Fig. 2)
and prints the summary table. --readme F rewrites the text between the markers
<!-- report:summary --> / <!-- /report:summary --> and <!-- report:matrix --> /
<!-- /report:matrix --> in F with this run's summary and kernel tables.

Times are medians over every file and repetition of a row (ratio_table.py's Rows); the
numbers come only from the JSON: no timing here. Standard library only.
"""

import csv
import glob
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ratio_table as rt  # noqa: E402

CASES = ("prefill_128", "prefill_512", "prefill_2048", "decode_4096")
ENCODINGS = (("rope_qk", "RoPE on q and k"), ("sinusoidal_table", "sinusoidal, table"),
             ("sinusoidal_on_the_fly", "sinusoidal, on the fly"), ("learned", "learned table"),
             ("t5", "T5 relative bias"))


def fmt_time(ns):
    """A time in the unit that reads best."""
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def pct(x):
    if x is None:
        return "-"
    return f"{100 * x:.2g}%" if x < 0.1 else f"{100 * x:.3g}%"


def share_range(t, hi, lo):
    """t as a share of attention: against the reference time hi and the lower bound lo."""
    if t is None or hi is None:
        return "-"
    if lo is None:
        return pct(t / hi)
    return f"{pct(t / hi)} - {pct(t / lo)}"


# --- one forward pass ----------------------------------------------------------------------

class Model:
    """The rows of rotary_bench_model, per forward pass of its 32-layer model."""

    def __init__(self, rows):
        self.rows = rows
        # The machine does at least what any row did: the GEMM row's flop rate and the read
        # row's bandwidth, or an attention row's own where that is higher (so the bound
        # never exceeds a measured time).
        def best(values):
            values = [v for v in values if v]
            return max(values) if values else None
        gemm = rows.time("machine/gemm")
        flops = rows.counter("machine/gemm", "flops")
        att = [f"model/{c}/attention" for c in CASES]
        self.gemm_rate = best([flops / gemm if gemm and flops else None] + [  # flop per ns
            (rows.counter(a, "flops") or 0) / rows.time(a) for a in att if rows.time(a)])
        self.read_rate = best([rows.counter("machine/read", "bytes_per_second")] + [  # bytes/s
            (rows.counter(a, "kv_bytes") or 0) / rows.time(a) * 1e9 for a in att if rows.time(a)])

    def per_pass(self, case, row):
        name = f"model/{case}/{row}"
        t = self.rows.time(name)
        n = self.rows.counter(name, "per_forward")
        return t * n if t is not None and n else None

    def encoding(self, case, key):
        if key == "t5":
            fill, add = self.per_pass(case, "t5_bias_fill"), self.per_pass(case, "t5_bias_add")
            return fill + add if fill is not None and add is not None else None
        return self.per_pass(case, key)

    def attention(self, case):
        return self.per_pass(case, "attention")

    def lower_bound(self, case):
        """max(flops at the GEMM rate, K and V bytes at the read bandwidth), every layer."""
        name = f"model/{case}/attention"
        flops = self.rows.counter(name, "flops")
        kv = self.rows.counter(name, "kv_bytes")
        n = self.rows.counter(name, "per_forward")
        if not (flops and kv and n and self.gemm_rate and self.read_rate):
            return None
        return n * max(flops / self.gemm_rate, kv / self.read_rate * 1e9)

    def cases(self):
        return [c for c in CASES if self.rows.time(f"model/{c}/rope_qk") is not None]


def summary_table(m):
    body = []
    for c in m.cases():
        att, lo = m.attention(c), m.lower_bound(c)
        rope, t5 = m.encoding(c, "rope_qk"), m.encoding(c, "t5")
        body.append([c.replace("_", " "), fmt_time(rope), share_range(rope, att, lo),
                     fmt_time(m.encoding(c, "sinusoidal_table")),
                     fmt_time(m.encoding(c, "sinusoidal_on_the_fly")),
                     fmt_time(m.encoding(c, "learned")), fmt_time(t5),
                     share_range(t5, att, lo), fmt_time(att), fmt_time(lo)])
    return rt.table(["forward pass", "RoPE q+k, 32 layers", "RoPE / attention",
                     "sinusoidal table, once", "sinusoidal on the fly, once", "learned, once",
                     "T5 bias (once + 32 adds)", "T5 / attention", "attention (reference)",
                     "attention lower bound"], body)


def ratio_range(pairs):
    """'a-b' over the ratios x / y of the pairs where both are known, 2 significant digits."""
    r = [x / y for x, y in pairs if x and y]
    if not r:
        return None
    lo, hi = min(r), max(r)
    f = lambda v: f"{v:.2g}" if v < 10 else f"{v:.0f}"
    return f(lo) if f(lo) == f(hi) else f"{f(lo)}-{f(hi)}"


def summary_findings(m):
    """The summary table in words, every number taken from this run."""
    cases = m.cases()
    prefill = [c for c in cases if c.startswith("prefill")]
    decode = [c for c in cases if c.startswith("decode")]
    rope = {c: m.encoding(c, "rope_qk") for c in cases}
    att = {c: m.attention(c) for c in cases}
    lines = []
    share = ratio_range([(rope[c] * 100, att[c]) for c in prefill])
    if share:
        text_ = f"RoPE costs {share}% of the reference attention's time at prefill"
        bound = ratio_range([(rope[c] * 100, m.lower_bound(c)) for c in prefill])
        if bound:
            text_ += f" ({bound}% of attention's lower bound)"
        d = ratio_range([(rope[c] * 100, att[c]) for c in decode])
        if d:
            text_ += f", and {d}% at decode, where attention reads the whole KV cache"
        lines.append(text_ + ".")
    table = ratio_range([(rope[c], m.encoding(c, k)) for c in cases
                         for k in ("sinusoidal_table", "learned")])
    fly = ratio_range([(m.encoding(c, "sinusoidal_on_the_fly"), rope[c]) for c in cases])
    t5 = ratio_range([(m.encoding(c, "t5"), rope[c]) for c in cases])
    if table:
        lines.append(f"A precomputed sinusoidal or learned table, added once, is {table}x "
                     "cheaper than RoPE in every layer.")
    if fly:
        lines.append(f"The sinusoidal encoding computed on the fly takes {fly}x RoPE's time.")
    if t5:
        lines.append(f"T5's relative bias, computed once and added to the logits in every "
                     f"layer, takes {t5}x RoPE's time: it grows with the number of logits.")
    return " ".join(lines)


def model_section(m):
    gemm = f"{m.gemm_rate:.1f} GFLOP/s" if m.gemm_rate else "-"
    read = f"{m.read_rate / 1e9:.1f} GB/s" if m.read_rate else "-"
    return ("## One forward pass: RoPE next to the encodings it replaces, and to attention\n\n"
            "A 32-layer model, 32 heads x 128 (d_model 4096), float, one thread. RoPE runs on the "
            "new tokens' q and k in every layer; a sinusoidal or learned table is added once to "
            "the embeddings; T5's relative bias is computed once and added to the logits in "
            "every layer. Attention is the reference SDPA (Eigen; exact, not optimized), one "
            "layer measured and multiplied by 32; its lower bound is the larger of its flops at "
            f"this machine's GEMM rate ({gemm}: Eigen 512^3 on one thread, or an attention row's own "
            f"rate where higher) and its K and V bytes at the read bandwidth ({read}: a read-only "
            "pass in 8 streams, or an attention row's own), so each share is a range: "
            "against the reference time, and against the bound. Prefill N: N new tokens over "
            "themselves (causal); decode 4096: one token over a 4096-token cache.\n\n"
            + summary_table(m) + "\n\n" + summary_findings(m)
            + "\n\n![one forward pass](model.svg)")


# --- the kernels against the machine -------------------------------------------------------

def matrix_cells(rows):
    """[(type, shape, pairing, pass, ratio)] of the kernel matrix."""
    out = []
    for t in rt.TYPES:
        prefix = f"matrix/{t}/"
        for s in rows.shapes(prefix):
            base = prefix + s + "/"
            memcpy, scale = rows.time(base + "memcpy"), rows.time(base + "scale")
            for p in rt.PAIRINGS:
                for mode, baseline in (("in_place", scale), ("out_of_place", memcpy)):
                    out.append((t, s, p, mode, rt.ratio(baseline, rows.time(f"{base}{p}/{mode}"))))
    return out


def matrix_section(rows):
    parts = rt.matrix_tables(rows) + rt.storage_rate_table(rows) + rt.decode_table(rows)
    parts += rt.angles_table(rows) + rt.threads_table(rows) + rt.kv_cache_table(rows)
    return ("## The kernels against the machine\n\n" + rt.machine_line(rows)
            + "\n\nEach RoPE row against its streaming pass in the same process: out of place "
            "against memcpy of the same bytes, in place against x *= c over the rotated "
            "elements (1.00 = at the limit).\n\n![kernel matrix](heatmap.svg)\n\n"
            + "\n\n".join(p.replace("### ", "#### ") for p in parts))


# --- what the design card warns against ----------------------------------------------------

DESIGN = ("fast", "rope_per_call", "plain_loop", "scalar_reference", "dense_matrix",
          "eigen_dense", "eigen_sparse")


def design_section(rows):
    body = []
    for s in rows.shapes("design/"):
        memcpy = rows.time(f"design/{s}/memcpy")
        for p in rt.PAIRINGS:
            fast = rows.time(f"design/{s}/{p}/fast")
            for r in DESIGN:
                t = rows.time(f"design/{s}/{p}/{r}")
                if t is None:
                    continue
                body.append([s, p, r.replace("_", " "), fmt_time(t), rt.cell(rt.ratio(t, fast), digits=1),
                             rt.cell(rt.ratio(t, memcpy), digits=1)])
    if not body:
        return None
    return ("## What the design card warns against\n\nThe fast path against what one might "
            "write instead, out of place, float: a plain scalar loop over the table, the shipped "
            "scalar reference (rotate_reference), the rotation matrix R_m (d x d) built per token "
            "and applied to each head by a mat-vec, the same as one Eigen product per token "
            "(Y = X R_m^T), and R_m as an Eigen sparse block-diagonal matrix (values set per "
            "token); 'rope per call' builds the rope object inside the loop.\n\n"
            + rt.table(["shape", "pairing", "row", "time", "x fast path", "x memcpy"], body))


# --- schemes, axes, xPos, fused passes -------------------------------------------------------

def relative_rows(rows, prefix, reference, names=None):
    """[name, time, reference time / time] for the rows under prefix."""
    ref = rows.time(prefix + reference)
    out = []
    for n in rows.order:
        if n.startswith(prefix) and "/" not in n[len(prefix):]:
            r = n[len(prefix):]
            if names is None or r in names:
                out.append([r.replace("_", " "), fmt_time(rows.time(n)), rt.cell(rt.ratio(ref, rows.time(n)))])
    return out


def layout_row(name):
    """bench_layouts' template names in words: BM_Rotate<pairing::interleaved, true,
    mode::ids> -> "interleaved, in place, ids"."""
    kind, _, args = name.partition("<")
    a = [x.strip().split("::")[-1] for x in args.rstrip(">").split(",") if x.strip()]
    if kind == "BM_Rotate" and len(a) == 3:
        return f"{a[0]}, {'in place' if a[1] == 'true' else 'out of place'}, {a[2]} positions"
    if kind == "BM_RotateQk" and len(a) == 2:
        return f"{a[0]}, q + k ({'one call' if a[1] == 'true' else 'two calls'})"
    if kind == "BM_RotateBhsd" and a:
        return f"{a[0]}, BHSD batch of 4 at their own starts"
    return name


def feature_tables(rows):
    """The tables of schemes, multi-axis, fused and layouts rows found in rows."""
    parts = []
    body = relative_rows(rows, "schemes/512x32x128/", "default")
    if body:
        parts.append("### Angle sources and scaling schemes: one q + k call, 512 tokens, q 32 x 128, "
                     "k 8 x 128, out of place (default time / row time)\n\n"
                     + rt.table(["source", "time", "relative speed"], body))
    build = []
    for n in rows.order:
        if n.startswith("schemes/table_build/"):
            _, _, positions, scheme = n.split("/")
            t = rows.time(n)
            build.append([positions, scheme, fmt_time(t), f"{t / int(positions):.0f} ns"])
    if build:
        parts.append("### Table construction, rotary_dim 128 (cos and sin of the exact angle, "
                     "in double)\n\n" + rt.table(["positions", "scheme", "build", "per position"], build))
    ma = []
    for s in rows.shapes("multi_axis/"):
        for r in relative_rows(rows, f"multi_axis/{s}/", "one_d"):
            ma.append([s] + r)
    if ma:
        parts.append("### Several position axes against 1-D RoPE, in place (1-D time / row time; "
                     "target >= 0.9 with integer positions)\n\n"
                     + rt.table(["shape", "positions", "time", "relative speed"], ma))
    kv = []
    for s in rows.shapes("fused_kv/"):
        for cache in ("float", "bfloat16"):
            base = f"fused_kv/{s}/{cache}/"
            copy, fused, unfused = (rows.time(base + r) for r in ("copy", "fused", "unfused"))
            if copy is None:
                continue
            kv.append([s, cache, fmt_time(copy), rt.cell(rt.ratio(fused, copy), bad=(rt.ratio(fused, copy) or 0) > 1.05),
                       rt.cell(rt.ratio(unfused, copy)), rt.cell(rt.ratio(unfused, fused))])
    if kv:
        parts.append("### RoPE fused with the KV-cache write (keys rotated into their slots, "
                     "values copied; target fused <= 1.05 x the copy alone, bold above)\n\n"
                     + rt.table(["tokens x kv heads x dim", "cache", "copy alone", "fused / copy",
                                 "unfused / copy", "unfused / fused"], kv))
    qk = []
    for s in rows.shapes("qk_norm/"):
        u, f = rows.time(f"qk_norm/{s}/unfused"), rows.time(f"qk_norm/{s}/fused")
        qk.append([s, fmt_time(u), fmt_time(f), rt.cell(rt.ratio(u, f))])
    if qk:
        parts.append("### QK-norm + RoPE: two passes against one (Qwen3's RMSNorm, q 32 heads, "
                     "k 8)\n\n" + rt.table(["shape", "two passes", "fused", "speed-up"], qk))
    lay = []
    for n in rows.order:
        if n.startswith("BM_") and not n.startswith("BM_Memcpy"):
            shape = "/".join(n.split("/")[1:])
            base = "BM_Memcpy/" + shape
            lay.append([layout_row(n.split("/")[0]), shape.replace("/", "x"), fmt_time(rows.time(n)),
                        rt.cell(rt.ratio(rows.time(base), rows.time(n)))])
    if lay:
        parts.append("### Layouts, positions and q + k in one call (memcpy time of the same "
                     "bytes / row time)\n\n" + rt.table(["row", "shape", "time", "memcpy / row"], lay))
    return parts


# --- long-term decay -------------------------------------------------------------------------

def read_decay(path):
    with open(path) as f:
        return [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]


def decay_section(decay):
    picks = [r for r in decay if int(r["distance"]) in (0, 1, 4, 16, 64, 256, 1024)]
    body = [[f"{r['distance']:.0f}", f"{r['bound']:.2f}", f"{r['random_mean']:.3f}",
             f"{r['all_ones']:.1f}"] for r in picks]
    return ("## RoFormer's long-term decay (section 3.4.3, Fig. 2)\n\nThe relative upper bound "
            "(1/(d/2)) sum_j |S_j| (d = 128, base 10000) next to the measured q_m . k_n for "
            "q = k: the mean over 4096 random unit vectors, and the all-ones vector; rotated by "
            "the library. The plot divides each curve by its value at distance 0; normalized, the "
            "random mean and the all-ones curve are the same function in expectation, "
            "(2/d) sum_i cos((m - n) theta_i), so they lie on each other.\n\n"
            + rt.table(["m - n", "bound", "random unit q = k", "all ones"], body)
            + "\n\n![long-term decay](decay.svg)")


# --- SVG -------------------------------------------------------------------------------------

def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg(width, height, body):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">\n'
            f'<rect width="{width}" height="{height}" fill="white"/>\n' + "\n".join(body) + "\n</svg>\n")


def text(x, y, s, anchor="start", size=11, weight="normal", rotate=None):
    t = f' transform="rotate({rotate} {x} {y})"' if rotate is not None else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'font-weight="{weight}"{t}>{esc(s)}</text>')


def ratio_colour(r):
    """Red (0.3 and below) through yellow to green (1.0 and above)."""
    if r is None:
        return "#dddddd"
    x = min(max((r - 0.3) / 0.7, 0.0), 1.0)
    red = int(230 if x < 0.5 else 230 - (x - 0.5) * 2 * 150)
    green = int(80 + x * 2 * 120 if x < 0.5 else 200)
    return f"#{red:02x}{green:02x}60"


def heatmap_svg(cells, title):
    shapes, columns = [], []
    for t, s, p, mode, _ in cells:
        if s not in shapes:
            shapes.append(s)
        if (t, p, mode) not in columns:
            columns.append((t, p, mode))
    value = {(t, s, p, m): r for t, s, p, m, r in cells}
    cw, ch, left, top = 46, 20, 150, 70
    body = [text(10, 20, title, size=13, weight="bold")]
    short = {"interleaved": "il", "half_split": "hs", "in_place": "in", "out_of_place": "out"}
    for j, (t, p, m) in enumerate(columns):
        x = left + j * cw + cw / 2
        if j == 0 or columns[j - 1][0] != t:  # the type over its group of columns
            span = sum(1 for c in columns if c[0] == t)
            body.append(text(left + j * cw + span * cw / 2, top - 24, t, anchor="middle", weight="bold"))
        body.append(text(x, top - 6, f"{short[p]} {short[m]}", anchor="middle", size=10))
    for i, s in enumerate(shapes):
        y = top + i * ch
        body.append(text(left - 6, y + ch * 0.68, s, anchor="end"))
        for j, (t, p, m) in enumerate(columns):
            r = value.get((t, s, p, m))
            x = left + j * cw
            body.append(f'<rect x="{x}" y="{y}" width="{cw - 1}" height="{ch - 1}" fill="{ratio_colour(r)}"/>')
            body.append(text(x + cw / 2, y + ch * 0.68, "-" if r is None else f"{r:.2f}", anchor="middle", size=10))
    h = top + len(shapes) * ch + 30
    body.append(text(10, h - 10, "baseline time / RoPE time: 1.00 = the streaming limit (memcpy "
                     "out of place, x *= c in place); red 0.3, green >= 1; il interleaved, hs "
                     "half_split", size=10))
    return svg(left + len(columns) * cw + 20, h, body)


def model_svg(m):
    series = [(k, label) for k, label in ENCODINGS] + [("attention", "attention (reference)"),
                                                       ("lower", "attention lower bound")]
    colours = ["#1f77b4", "#ff7f0e", "#ffbb78", "#2ca02c", "#9467bd", "#555555", "#aaaaaa"]
    values = {}
    for c in m.cases():
        for k, _ in series:
            v = m.attention(c) if k == "attention" else m.lower_bound(c) if k == "lower" else m.encoding(c, k)
            values[(c, k)] = v
    known = [v for v in values.values() if v]
    if not known:
        return None
    lo = 10 ** math.floor(math.log10(min(known)))
    hi = 10 ** math.ceil(math.log10(max(known)))
    left, top, bar, width = 150, 40, 11, 560
    decades = max(1, round(math.log10(hi / lo)))
    x_of = lambda v: left + width * math.log10(v / lo) / math.log10(hi / lo)  # noqa: E731
    body = [text(10, 20, "One forward pass (32 layers, 32 x 128 heads): time per pass, log scale",
                 size=13, weight="bold")]
    y = top
    for c in m.cases():
        body.append(text(left - 8, y + bar * len(series) / 2 + 4, c.replace("_", " "), anchor="end", weight="bold"))
        for (k, label), col in zip(series, colours):
            v = values[(c, k)]
            if v:
                body.append(f'<rect x="{left}" y="{y}" width="{x_of(v) - left:.1f}" height="{bar - 2}" fill="{col}"/>')
                body.append(text(x_of(v) + 4, y + bar - 3, fmt_time(v), size=9))
            y += bar
        y += 12
    for d in range(decades + 1):
        v = lo * 10 ** d
        x = x_of(v)
        body.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{y}" stroke="#cccccc"/>')
        body.append(text(x, y + 14, fmt_time(v), anchor="middle", size=9))
    ly = y + 32
    for i, ((k, label), col) in enumerate(zip(series, colours)):
        lx = left + (i % 4) * 150
        yy = ly + (i // 4) * 16
        body.append(f'<rect x="{lx}" y="{yy - 9}" width="10" height="10" fill="{col}"/>')
        body.append(text(lx + 14, yy, label, size=10))
    return svg(left + width + 90, ly + 40, body)


def decay_svg(decay):
    left, top, width, height = 60, 40, 600, 300
    series = [("random_mean", "mean q.k, random unit q = k", "#9ecae1", 4.0),
              ("all_ones", "q.k, all-ones q = k", "#2ca02c", 1.0),
              ("bound", "relative upper bound (RoFormer eq. 37)", "#d62728", 1.2)]
    max_d = max(r["distance"] for r in decay) or 1
    body = [text(10, 20, "RoPE's long-term decay, d = 128: each curve / its value at distance 0",
                 size=13, weight="bold")]
    y_of = lambda v: top + height * (1.0 - (v + 0.2) / 1.2)  # noqa: E731  (range -0.2 .. 1)
    x_of = lambda d: left + width * d / max_d  # noqa: E731
    for v in (-0.2, 0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        body.append(f'<line x1="{left}" y1="{y_of(v):.1f}" x2="{left + width}" y2="{y_of(v):.1f}" stroke="#dddddd"/>')
        body.append(text(left - 6, y_of(v) + 4, f"{v:.1f}", anchor="end", size=9))
    for d in range(0, int(max_d) + 1, max(1, int(max_d) // 8)):
        body.append(text(x_of(d), top + height + 16, str(d), anchor="middle", size=9))
    body.append(text(left + width / 2, top + height + 32, "relative distance m - n", anchor="middle"))
    for key, label, col, w in series:
        v0 = decay[0][key] or 1.0
        pts = " ".join(f"{x_of(r['distance']):.1f},{y_of(r[key] / v0):.1f}" for r in decay)
        body.append(f'<polyline fill="none" stroke="{col}" stroke-width="{w}" points="{pts}"/>')
    for i, (key, label, col, _) in enumerate(series):
        y = top + 14 + 16 * i
        body.append(f'<line x1="{left + width - 230}" y1="{y - 4}" x2="{left + width - 210}" y2="{y - 4}" stroke="{col}" stroke-width="2"/>')
        body.append(text(left + width - 205, y, label, size=10))
    return svg(left + width + 20, top + height + 50, body)


# --- files -----------------------------------------------------------------------------------

def write_csv(path, programs):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["program", "row", "median_time_ns", "samples", "bytes_per_second", "counters"])
        for program, rows in programs:
            for n in rows.order:
                counters = {k: rt.statistics.median(v) for k, v in rows.counters[n].items()}
                bps = counters.pop("bytes_per_second", "")
                w.writerow([program, n, f"{rows.time(n):.1f}", len(rows.times[n]), bps,
                            ";".join(f"{k}={v:g}" for k, v in sorted(counters.items()))])


def replace_between(text_, name, new):
    begin, end = f"<!-- report:{name} -->", f"<!-- /report:{name} -->"
    i, j = text_.find(begin), text_.find(end)
    if i < 0 or j < i:
        raise SystemExit(f"report.py: markers {begin} ... {end} not found")
    return text_[: i + len(begin)] + "\n" + new + "\n" + text_[j:]


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    folder = argv[1]
    readme = argv[argv.index("--readme") + 1] if "--readme" in argv else None

    def rows_of(pattern):
        paths = sorted(glob.glob(os.path.join(folder, pattern)))
        return rt.Rows(paths) if paths else None

    programs = [(name, rows_of(pattern)) for name, pattern in (
        ("model", "model.json"), ("matrix", "matrix-*.json"), ("design", "design.json"),
        ("schemes", "schemes.json"), ("multi_axis", "multi_axis.json"), ("fused", "fused.json"),
        ("layouts", "layouts.json"))]
    programs = [(n, r) for n, r in programs if r is not None and r.order]
    if not programs:
        print(f"report.py: no benchmark JSON in {folder}", file=sys.stderr)
        return 1
    by = dict(programs)
    first = next(iter(by.values()))
    sections = ["# rotary benchmark report", rt.machine_line(first)]
    summary = None
    if "model" in by:
        m = Model(by["model"])
        summary = summary_table(m) + "\n\n" + summary_findings(m)
        sections.append(model_section(m))
        plot = model_svg(m)
        if plot:
            with open(os.path.join(folder, "model.svg"), "w") as f:
                f.write(plot)
    matrix_text = None
    if "matrix" in by:
        matrix_text = matrix_section(by["matrix"])
        sections.append(matrix_text)
        cells = matrix_cells(by["matrix"])
        if cells:
            with open(os.path.join(folder, "heatmap.svg"), "w") as f:
                f.write(heatmap_svg(cells, "RoPE kernels against the streaming limit, one thread"))
    if "design" in by:
        s = design_section(by["design"])
        if s:
            sections.append(s)
    features = [t for n, r in programs if n in ("schemes", "multi_axis", "fused", "layouts")
                for t in feature_tables(r)]
    if features:
        sections.append("## Scaling schemes, several axes, xPos and the fused passes\n\n"
                        + "\n\n".join(features))
    decay_path = os.path.join(folder, "decay.csv")
    if os.path.exists(decay_path):
        decay = read_decay(decay_path)
        if decay:
            sections.append(decay_section(decay))
            with open(os.path.join(folder, "decay.svg"), "w") as f:
                f.write(decay_svg(decay))
    with open(os.path.join(folder, "report.md"), "w") as f:
        f.write("\n\n".join(sections) + "\n")
    write_csv(os.path.join(folder, "results.csv"), programs)
    if summary:
        print("One forward pass of a 32-layer, 32 x 128 model (float, one thread):\n")
        print(summary)
        print()
    if readme:
        with open(readme) as f:
            content = f.read()
        if summary:
            content = replace_between(content, "summary", rt.machine_line(by["model"]) + "\n\n" + summary)
        if matrix_text:
            content = replace_between(content, "matrix", matrix_text.split("\n\n", 1)[1].replace("![kernel matrix](heatmap.svg)\n\n", ""))
        with open(readme, "w") as f:
            f.write(content)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
