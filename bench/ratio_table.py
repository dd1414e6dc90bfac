#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Markdown tables from rotary_bench_matrix's Google Benchmark JSON output.

    python3 bench/ratio_table.py matrix-1.json [matrix-2.json ...]

Each file is one run of the program (--benchmark_out=F --benchmark_out_format=json). A
row's time is the median of its wall-clock times over every file and repetition (aggregate
rows are ignored). Each RoPE row is paired with its baseline from the same runs:

  matrix    baseline time / RoPE time: in place against scale (x *= c over the rotated
            elements), out of place against memcpy of the same bytes; 1.00 = at the limit
  decode    ns per call, RoPE time / memcpy time, callgrind instructions per call
  angles    throughput of on-the-fly angles relative to the table (table time / its time)
  threads   speed-up from a second thread, RoPE's next to memcpy's
  kv_cache  memcpy time / RoPE time, float keys written into a bfloat16 cache
and the element rate of bfloat16 (and float16) relative to float at 4096x32x128 out of
place. Cells that miss a target are bold. Standard library only.
"""

import json
import statistics
import sys

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
PAIRINGS = ("interleaved", "half_split")
TYPES = ("float", "double", "bfloat16", "float16")
# Google Benchmark's own numeric fields of a row; every other number is a counter.
NOT_COUNTERS = {"family_index", "per_family_instance_index", "repetitions", "repetition_index",
                "threads", "iterations", "real_time", "cpu_time"}


def load(paths):
    """Returns ({row: [ns]}, {row: {counter: [values]}}, labels, contexts, row order)."""
    times, counters, labels, contexts, order = {}, {}, {}, [], []
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        contexts.append(data.get("context", {}))
        for b in data.get("benchmarks", []):
            if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
                continue
            name = b.get("run_name", b["name"])
            if name.endswith("/real_time"):
                name = name[: -len("/real_time")]
            if name not in times:
                times[name] = []
                counters[name] = {}
                order.append(name)
            times[name].append(b["real_time"] * UNIT_NS[b.get("time_unit", "ns")])
            for key, value in b.items():  # rates and the rows' own counters
                if key not in NOT_COUNTERS and isinstance(value, (int, float)):
                    counters[name].setdefault(key, []).append(value)
            if b.get("label"):
                labels[name] = b["label"]
    return times, counters, labels, contexts, order


class Rows:
    def __init__(self, paths):
        self.times, self.counters, self.labels, self.contexts, self.order = load(paths)

    def time(self, name):
        t = self.times.get(name)
        return statistics.median(t) if t else None

    def counter(self, name, key):
        values = self.counters.get(name, {}).get(key)
        return statistics.median(values) if values else None

    def counter_values(self, name, key):
        return self.counters.get(name, {}).get(key, [])

    def shapes(self, prefix):
        """Shapes of the rows named prefix<shape>/..., in the order the program ran them."""
        seen = []
        for name in self.order:
            if name.startswith(prefix):
                s = name[len(prefix):].split("/")[0]
                if s not in seen:
                    seen.append(s)
        return seen


def ratio(numerator, denominator):
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def cell(value, bad=False, digits=2):
    if value is None:
        return "-"
    text = f"{value:.{digits}f}"
    return f"**{text}**" if bad else text


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def heads_of(shape):
    return int(shape.split("x")[1])


def size(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:g} {unit}"
        n /= 1024


def machine_line(rows):
    ctx = rows.contexts[0] if rows.contexts else {}
    cpus = ctx.get("num_cpus", "?")
    caches = []
    for c in ctx.get("caches", []):
        kind = {"Data": "d", "Instruction": "i"}.get(c.get("type"), "")
        count = cpus // c["num_sharing"] if isinstance(cpus, int) and c.get("num_sharing") else "?"
        caches.append(f"L{c.get('level')}{kind} {size(c.get('size', 0))} (x{count})")
    dates = ", ".join(str(c.get("date", "?")) for c in rows.contexts)
    simd = f"rotary SIMD {ctx['rotary_simd']}; " if "rotary_simd" in ctx else ""
    load = ctx.get("load_avg")
    load = ", ".join(f"{v:.2f}" for v in load) if isinstance(load, list) else "?"
    line = (f"Machine: {cpus} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
            f"caches {', '.join(caches) or '?'}; host {ctx.get('host_name', '?')}; {simd}"
            f"Google Benchmark library: {ctx.get('library_build_type', '?')} build; "
            f"{len(rows.contexts)} run(s): {dates}; load average at start {load}")
    hosts = {(c.get("host_name"), c.get("num_cpus"), c.get("mhz_per_cpu")) for c in rows.contexts}
    if len(hosts) > 1:
        line += "\n\n**Warning: the files come from different machines.**"
    return line


def matrix_tables(rows):
    out = []
    for t in TYPES:
        prefix = f"matrix/{t}/"
        shapes = rows.shapes(prefix)
        if not shapes:
            continue
        body = []
        for s in shapes:
            base = prefix + s + "/"
            memcpy, scale = rows.time(base + "memcpy"), rows.time(base + "scale")
            cells = [s]
            for p in PAIRINGS:
                for mode, baseline in (("in_place", scale), ("out_of_place", memcpy)):
                    r = ratio(baseline, rows.time(f"{base}{p}/{mode}"))
                    cells.append(cell(r, bad=t == "float" and r is not None and r < 0.8))
            for b in ("memcpy", "scale"):
                rate = rows.counter(base + b, "bytes_per_second")
                cells.append(cell(rate / 1e9 if rate else None, digits=1))
            body.append(cells)
        note = " (bold: below 0.8)" if t == "float" else ""
        out.append(f"### {t}: baseline time / RoPE time, 1.00 = at the streaming limit{note}\n\n"
                   "in place: against scale (x *= c over the rotated elements); out of place: "
                   "against memcpy of the same bytes. GB/s: bytes read + written per second.\n\n"
                   + table(["shape", "interleaved in", "interleaved out", "half_split in",
                            "half_split out", "memcpy GB/s", "scale GB/s"], body))
    return out


def storage_rate_table(rows, shape="4096x32x128"):
    body = []
    for p in PAIRINGS:
        f = rows.time(f"matrix/float/{shape}/{p}/out_of_place")
        cells = [p]
        for t in ("bfloat16", "float16"):
            r = ratio(f, rows.time(f"matrix/{t}/{shape}/{p}/out_of_place"))
            cells.append(cell(r, bad=t == "bfloat16" and r is not None and r < 1.6))
        body.append(cells)
    if all(c == "-" for r in body for c in r[1:]):
        return []
    return [f"### 16-bit element rate relative to float, {shape}, out of place "
            "(float time / 16-bit time; target for bfloat16 >= 1.6, bold below)\n\n"
            + table(["pairing", "bfloat16 / float", "float16 / float"], body)]


def instructions(rows, name):
    values = rows.counter_values(name, "instructions_per_call")
    if not values:
        return "-"
    text = f"{statistics.median(values):.0f}"
    lo, hi = min(values), max(values)
    return text if hi - lo < 0.5 else f"{text} (varies: {lo:.0f} .. {hi:.0f})"


def decode_table(rows):
    prefix = "decode/float/"
    shapes = rows.shapes(prefix)
    if not shapes:
        return []
    body = []
    for s in shapes:
        base = prefix + s + "/"
        memcpy, scale = rows.time(base + "memcpy"), rows.time(base + "scale")
        for row in ["memcpy", "scale"] + [f"{p}/{m}" for p in PAIRINGS
                                          for m in ("in_place", "out_of_place")]:
            t = rows.time(base + row)
            to_memcpy = ratio(t, memcpy)
            bad = row.endswith("out_of_place") and to_memcpy is not None and to_memcpy > 1.12
            body.append([s, row, cell(t, digits=1), cell(to_memcpy, bad=bad),
                         cell(ratio(t, scale)), instructions(rows, base + row)])
    label = next((rows.labels[n] for n in rows.order if n.startswith(prefix) and n in rows.labels), "")
    return ["### decode: fixed cost per call, float (bold: out of place above 1.12 x memcpy)\n\n"
            + table(["shape", "row", "ns per call", "x memcpy", "x scale",
                     "instructions per call"], body)
            + (f"\n\n{label}. Under valgrind, memcpy of 16 KiB runs as rep movsb, counted as one "
               "instruction per byte." if label else "")]


def angles_table(rows):
    prefix = "angles/float/"
    shapes = rows.shapes(prefix)
    if not shapes:
        return []
    body = []
    for s in shapes:
        target = 0.8 if heads_of(s) >= 32 else 0.5
        for p in PAIRINGS:
            table_t = rows.time(f"{prefix}{s}/{p}/table")
            fly_t = rows.time(f"{prefix}{s}/{p}/on_the_fly")
            r = ratio(table_t, fly_t)
            body.append([s, p, cell(table_t / 1e3 if table_t else None, digits=1),
                         cell(fly_t / 1e3 if fly_t else None, digits=1),
                         cell(r, bad=r is not None and r < target), f">= {target}"])
    return ["### table-free: on_the_fly_angles throughput relative to the table, out of place "
            "(bold: below target)\n\n"
            + table(["shape", "pairing", "table us", "on the fly us", "on the fly / table",
                     "target"], body)]


def threads_table(rows):
    prefix = "threads/float/"
    shapes = rows.shapes(prefix)
    if not shapes:
        return []
    body = []
    for s in shapes:
        base = prefix + s + "/"
        m1, m2 = rows.time(base + "memcpy/1"), rows.time(base + "memcpy/2")
        memcpy_speedup = ratio(m1, m2)
        for row in ("memcpy",) + PAIRINGS:
            t1, t2 = rows.time(f"{base}{row}/1"), rows.time(f"{base}{row}/2")
            speedup = ratio(t1, t2)
            rel = ratio(speedup, memcpy_speedup)
            body.append([s, row, cell(t1 / 1e6 if t1 else None, digits=3),
                         cell(t2 / 1e6 if t2 else None, digits=3), cell(speedup),
                         cell(rel, bad=rel is not None and rel < 0.9)])
    return ["### threads: 2-thread speed-up, out of place, next to memcpy's own "
            "(bold: RoPE's more than 10% below memcpy's)\n\n"
            + table(["shape", "row", "1 thread ms", "2 threads ms", "speed-up",
                     "/ memcpy's speed-up"], body)]


def kv_cache_table(rows):
    prefix = "kv_cache/float_to_bfloat16/"
    shapes = rows.shapes(prefix)
    if not shapes:
        return []
    body = []
    for s in shapes:
        memcpy = rows.time(prefix + s + "/memcpy")
        body.append([s] + [cell(ratio(memcpy, rows.time(f"{prefix}{s}/{p}/out_of_place")))
                           for p in PAIRINGS])
    return ["### float keys into a bfloat16 KV cache: memcpy time / RoPE time (memcpy of 3 bytes "
            "per element: the same read + write traffic)\n\n"
            + table(["shape", "interleaved", "half_split"], body)]


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    rows = Rows(argv[1:])
    if not rows.order:
        print("ratio_table.py: no benchmark rows in " + ", ".join(argv[1:]), file=sys.stderr)
        return 1
    samples = sorted({len(v) for v in rows.times.values()})
    sections = [machine_line(rows) + f"; samples per row: {', '.join(map(str, samples))} "
                "(median taken)"]
    sections += matrix_tables(rows) + storage_rate_table(rows) + decode_table(rows)
    sections += angles_table(rows) + threads_table(rows) + kv_cache_table(rows)
    print("\n\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
