#!/usr/bin/env python3
"""Instructions per element in the main (unrolled) loop of each vmath kernel,
from the disassembly: the body of the first backward branch in the function.
Used to compare NEON with AVX2 / AVX-512 without Arm hardware (bench/README.md).

usage: tools/count-loop-insns.py OBJDUMP LIBRARY ELEMENTS_PER_ITERATION FUNCTION...
  e.g. tools/count-loop-insns.py aarch64-linux-gnu-objdump build-aarch64/libarnn.a 8 arnn_f32_vtanh__neon
"""
import re
import subprocess
import sys


def loop_body(lines):
    addrs = []
    for line in lines:
        m = re.match(r"\s*([0-9a-f]+):\s+(\S.*)$", line)
        if m:
            addrs.append((int(m.group(1), 16), m.group(2)))
    for addr, text in addrs:
        m = re.search(r"\b(j\w+|b(?:\.\w+)?|b\w+|cbn?z|tbn?z)\s+([0-9a-f]+)\b", text)
        if m:
            target = int(m.group(2), 16)
            if target < addr:
                return [t for a, t in addrs if target <= a <= addr]
    return []


def main():
    objdump, lib, per_iter = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for fn in sys.argv[4:]:
        out = subprocess.run([objdump, "-d", "--no-show-raw-insn", f"--disassemble={fn}", lib],
                             capture_output=True, text=True, check=True).stdout
        body = loop_body(out.splitlines())
        print(f"{fn:32s} {len(body):4d} instructions per {per_iter} elements = {len(body) / per_iter:.2f} per element")


if __name__ == "__main__":
    main()
