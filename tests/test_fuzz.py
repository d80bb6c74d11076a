"""The fuzz test (issue 13, deliverable 9): 300 seeded mutants of the sample returns — bytes
flipped, truncated, members dropped, duplicated or reordered, XML edited (attributes
removed, values and texts replaced by odd ones: "inf", "NaN", "1e400", "", very long
strings, control characters, full-width digits, "=cmd|..."; tags broken; ``<c\\tr=`` cells),
odd values typed through openpyxl — read with ``xlkit.read_many`` (a tenth also with the
openpyxl engine): no exception escapes, every file is read or rejected, every rejection has
a Chinese reason without Python's names, every finding's message is Chinese.

The mutants are made by ``bench/fuzz.py`` (which runs thousands); the seed is printed and
``XLKIT_FUZZ_SEED=S`` reproduces or varies a run, ``XLKIT_FUZZ_N`` changes the count.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from fuzz import DEFAULT_SEED, run  # noqa: E402

N = int(os.environ.get("XLKIT_FUZZ_N", "300"))
SEED = int(os.environ.get("XLKIT_FUZZ_SEED", str(DEFAULT_SEED)))


def test_mutated_returns_are_read_or_rejected_in_chinese():
    got = run(N, SEED, jobs=1, openpyxl_every=10)
    print(f"fuzz seed {SEED} (XLKIT_FUZZ_SEED={SEED} reproduces): {got['mutants']} mutants, "  # noqa: T201
          f"read {got['read']}, rejected {got['rejected']} {got['codes']}, "
          f"{got['make_s'] + got['read_s']:.1f} s, peak {got['peak_mb']:.0f} MB")
    assert got["problems"] == [], f"seed {SEED}:\n" + "\n".join(got["problems"][:30])
    assert got["mutants"] >= 300 or "XLKIT_FUZZ_N" in os.environ
    assert got["read"] + got["rejected"] == got["mutants"], got
    # both outcomes are exercised: the mutants are not all broken, nor all harmless
    assert got["read"] > N // 10 and got["rejected"] > N // 10, got
