#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of tests/fuzz/rope_fuzz.cpp into tests/fuzz/corpus/ (deterministic:
running it again rewrites the same files).

The target reads its input front to back (byte_reader), and a byte that runs out reads as 0,
which is always the common, valid choice. Its first bytes choose the big things:

    byte 0     mode: % 3 -> 0 one operand, 1 q + k, 2 rotate_into_cache
    byte 1     angle source: % 6 -> table, table held by the rope, cos_sin_view,
               on_the_fly_angles, multi_axis_angles, xpos_angles
    byte 2     compute type: % 4 == 3 -> double, else float
    byte 3     storage pair: % 9 (float, bfloat16, float16 in and out)
    byte 4     % 3 == 2 -> rank-4 views
    bytes 5-8  the seed of the element values
    byte 9     % 3 == 2 -> special values (0, -0, inf, NaN, subnormals, large), then one
               byte for their rate
    next       % 4 == 3 -> large values allowed
and everything after that (rotary_dim, rows, scheme, options, shapes, strides, aliasing,
positions) is decoded as the target goes. Each seed here fixes the first bytes for one
(mode, source, type) combination and follows them with a short tail, mostly zeros (valid
calls) with some random bytes (the rarer paths), so that every mode and source starts out
covered; libFuzzer mutates from there.
"""

import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
SOURCES = ["table", "table_owned", "view", "on_the_fly", "multi_axis", "xpos"]
MODES = ["single", "pair", "cache"]


def tail(rng, n, zero_share):
    return bytes(0 if rng.random() < zero_share else rng.randrange(256) for _ in range(n))


def main():
    rng = random.Random(20261204)
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    count = 0
    for mode, mode_name in enumerate(MODES):
        for source, source_name in enumerate(SOURCES):
            for double in (False, True):
                for variant in range(2 if not double else 1):
                    combo = rng.randrange(9)
                    rank4 = 2 if (variant == 1 and rng.random() < 0.5) else 0
                    seed = rng.randrange(1 << 32).to_bytes(4, "little")
                    special = bytes([2, rng.randrange(256)]) if variant == 1 else bytes([0])
                    head = bytes([mode, source, 3 if double else 0, combo, rank4]) + seed + special
                    head += bytes([3 if variant == 1 and rng.random() < 0.3 else 0])
                    body = tail(rng, 40 if variant == 0 else 64, 0.75 if variant == 0 else 0.45)
                    kind = "double" if double else "float"
                    path = os.path.join(OUT, f"{mode_name}-{source_name}-{kind}-{variant}")
                    with open(path, "wb") as f:
                        f.write(head + body)
                    count += 1
    print(f"wrote {count} seeds to {OUT}")


if __name__ == "__main__":
    main()
