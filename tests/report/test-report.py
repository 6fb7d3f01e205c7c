#!/usr/bin/python3
"""bench/report.py on canned benchmark outputs (tests/report/data/): the
Markdown names the machine and every section, the PNGs exist and are images of
a sensible size, and missing, truncated or foreign inputs give a report that
says so instead of a crash.

usage: test-report.py [--report bench/report.py] [--workdir DIR]
Exit 0 on success, 1 on a failure, 77 (skip) when matplotlib is missing.
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL: " + what)


def run(report, results, out):
    p = subprocess.run([sys.executable, report, "--results", results, "--out", out], capture_output=True, text=True)
    check(p.returncode == 0, "report.py on %s exited %d: %s" % (results, p.returncode, p.stderr[-2000:]))
    path = os.path.join(out, "index.md")
    check(os.path.exists(path), "no index.md for %s" % results)
    return open(path).read() if os.path.exists(path) else ""


def png_size(path):
    """(width, height) from the IHDR chunk, None when not a PNG."""
    with open(path, "rb") as fh:
        head = fh.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def pngs(out):
    return sorted(f for f in os.listdir(out) if f.endswith(".png"))


def copy_inputs(dst, names):
    os.makedirs(dst, exist_ok=True)
    for n in names:
        shutil.copy(os.path.join(DATA, n), dst)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--report", default=os.path.join(HERE, "..", "..", "bench", "report.py"))
    ap.add_argument("--workdir")
    args = ap.parse_args()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("matplotlib not available under %s (python3-matplotlib): skipped" % sys.executable)
        return 77
    work = args.workdir or tempfile.mkdtemp(prefix="arnn-report-test-")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    all_inputs = sorted(os.listdir(DATA))

    # 1. Every input present.
    full = os.path.join(work, "full")
    md = run(args.report, DATA, full)
    for text in ("# arnn benchmark report", "## Machine", "INTEL(R) XEON(R) PLATINUM 8592+",
                 "family 6, model 207 (0xcf), stepping 2", "2 logical CPUs, 2 physical cores, under a hypervisor",
                 "avx512f", "amx_tile", "## Recurrent layer", "### imdb", "### elmo", "## Whole model",
                 "## Activations", "### n = 4096", "## Attention pooling", "FMA peak time", "torch 1.13",
                 "True-division bound", "read/L2_512KiB", "Largest |arnn - PyTorch|", "oneDNN create failed"):
        check(text in md, "full report lacks %r" % text)
    for text in ("Not run", "not run", "section failed", "Plot failed", "could not be read"):
        check(text not in md, "full report says %r" % text)
    # The GRU case came as three single runs (no aggregates): their median, 5.1 ms.
    check("| gru | 1 | 1 | 5.10 |" in md, "GRU row (median of single runs) missing")
    # An infinite max ULP is reported as inf, not dropped.
    check("| exp | eigen |" in md and "| inf |" in md, "infinite max ULP not shown")
    expected = ["attention.png", "model-predictions.png", "rnn-elmo.png", "rnn-imdb.png", "vmath-4096.png"]
    check(pngs(full) == expected, "PNGs %s, expected %s" % (pngs(full), expected))
    for f in pngs(full):
        size = png_size(os.path.join(full, f))
        check(size is not None, "%s is not a PNG" % f)
        if size:
            check(400 <= size[0] <= 3000 and 300 <= size[1] <= 2000, "%s has an odd size %s" % (f, size))
        check(os.path.getsize(os.path.join(full, f)) > 10000, "%s is suspiciously small" % f)
        check("](%s)" % f in md, "%s is not referenced by index.md" % f)

    # 2. Nothing ran: every section says so, no pictures; stale ones removed.
    empty = os.path.join(work, "empty")
    os.makedirs(empty)
    md = run(args.report, empty, full)
    for section in ("## Recurrent layer", "## Whole model", "## Activations", "## Attention pooling"):
        check(section in md, "empty report lacks %s" % section)
    check(md.count("Not run") == 4, "empty report: %d 'Not run' notes, expected 4" % md.count("Not run"))
    check(pngs(full) == [], "stale PNGs left behind: %s" % pngs(full))

    # 3. Only some inputs, one truncated, one not JSON at all, one foreign.
    part = os.path.join(work, "partial")
    copy_inputs(part, [n for n in all_inputs if n not in ("torch-rnn.json", "attention-bench.json")])
    with open(os.path.join(part, "vmath-bench.json")) as fh:
        text = fh.read()
    with open(os.path.join(part, "vmath-bench.json"), "w") as fh:
        fh.write(text[:len(text) // 2])  # a run killed while writing
    with open(os.path.join(part, "model-bench.json"), "w") as fh:
        fh.write("Traceback (most recent call last):\n")
    with open(os.path.join(part, "attention-bench.json"), "w") as fh:
        fh.write('{"rows": []}\n')
    with open(os.path.join(part, "rnn-bench-t1.json"), "w") as fh:
        fh.write('{"context": {"date": "2026-01-01"}, "benchmarks": []}\n')
    out = os.path.join(work, "partial-out")
    md = run(args.report, part, out)
    check("PyTorch not run" in md, "partial: no note that PyTorch did not run")
    check(md.count("could not be read") >= 2, "partial: truncated/garbled inputs not reported")
    check("not Google Benchmark JSON" in md, "partial: foreign attention-bench.json not reported")
    check("rnn-bench-t1.json" in md and "kept, not in the report" in md, "partial: extra JSON not listed")
    check(pngs(out) == ["rnn-elmo.png", "rnn-imdb.png"], "partial: PNGs %s" % pngs(out))

    if FAILURES:
        print("%d failure(s); outputs in %s" % (len(FAILURES), work))
        return 1
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    print("report test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
