#!/usr/bin/python3
"""Turns the benchmark outputs of one run into a Markdown report with plots.

usage: bench/report.py [--results DIR] [--out DIR] [--cpuinfo FILE]

Reads from DIR (default build-release/results, where scripts/run.sh writes):

  rnn-peers-bench.json   Google Benchmark JSON of bench/rnn-peers-bench
                         (arnn's recurrent layer and oneDNN, with the FMA peak
                         and the L2 bound measured in the same run)
  torch-rnn.json         bench/peer-torch-rnn.py --json (PyTorch's layer)
  vmath-bench.json       Google Benchmark JSON of bench/vmath-bench
  attention-bench.json   Google Benchmark JSON of bench/attention-bench
  model-bench.json       bench/model-bench.py --json
  cpuinfo.txt            a copy of /proc/cpuinfo taken with the run (else the
                         current machine's /proc/cpuinfo, --cpuinfo overrides)

and writes OUT/index.md (default bench/report) with PNG plots next to it.
An input that is missing or unreadable leaves a note in its section. Plots need
matplotlib (Debian: python3-matplotlib); without it the report has the tables
only and says so. Exit status 0 unless the output cannot be written.
"""
import argparse
import datetime
import glob
import json
import math
import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    PLOT_ERROR = None
except ImportError as e:  # the report is still written, without plots
    plt = None
    PLOT_ERROR = str(e)

# Files this script writes into --out; stale ones are removed first so a
# benchmark that did not run this time leaves no old picture behind.
PLOT_PATTERNS = ("rnn-*.png", "vmath-*.png", "attention*.png", "model-*.png")

# ---------------------------------------------------------------------------
# Inputs


class Missing(Exception):
    """An input that is absent (absent=True) or unreadable; the message says
    which and why."""

    def __init__(self, message, absent=False):
        super().__init__(message)
        self.absent = absent


def missing_note(e, program):
    return note("%s: %s (%s)." % ("Not run" if e.absent else "No results", e, program))


def load_json(path):
    if not os.path.exists(path):
        raise Missing("`%s` not found" % path, absent=True)
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError) as e:
        raise Missing("`%s` could not be read (%s)" % (path, e))


GB_STANDARD_KEYS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
    "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit", "aggregate_name",
    "aggregate_unit", "label", "error_occurred", "error_message", "skipped", "skip_message",
}
TIME_TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


class GBench:
    """One Google Benchmark JSON file: its context and, per benchmark, the
    median over repetitions (the "median" aggregate when present, else the
    median of the single runs)."""

    def __init__(self, path):
        doc = load_json(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
            raise Missing("`%s` is not Google Benchmark JSON (no \"benchmarks\" list)" % path)
        self.path = path
        self.context = doc.get("context", {}) or {}
        self.rows = {}    # name -> {"ms", "cpu_ms", "label", "counters"}
        self.errors = {}  # name -> message
        singles, medians = {}, {}
        for b in doc["benchmarks"]:
            if not isinstance(b, dict):
                continue
            name = b.get("run_name") or b.get("name", "")
            name = re.sub(r"/(real_time|process_time|manual_time)$", "", name)
            if b.get("error_occurred") or b.get("skipped"):
                self.errors[name] = b.get("error_message") or b.get("skip_message") or "error"
                continue
            kind = b.get("run_type", "iteration")
            if kind == "aggregate":
                if b.get("aggregate_name") == "median":
                    medians[name] = b
            else:
                singles.setdefault(name, []).append(b)
        for name in list(medians) + [n for n in singles if n not in medians]:
            runs = [medians[name]] if name in medians else singles[name]
            unit = TIME_TO_MS.get(runs[0].get("time_unit", "ns"), 1e-6)
            counters = {}
            for key in runs[0]:
                if key in GB_STANDARD_KEYS:
                    continue
                vals = [r.get(key) for r in runs]
                if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
                    counters[key] = statistics.median(vals)
            self.rows[name] = {
                "ms": statistics.median(float(r.get("real_time", math.nan)) for r in runs) * unit,
                "cpu_ms": statistics.median(float(r.get("cpu_time", math.nan)) for r in runs) * unit,
                "label": runs[0].get("label", ""),
                "counters": counters,
            }

    def describe(self):
        c = self.context
        load = c.get("load_avg")
        return "%s; load average %s" % (c.get("date", "date unknown"),
                                         ", ".join("%.1f" % v for v in load) if load else "unknown")


def parse_cpuinfo(text):
    """Summary of /proc/cpuinfo: model, family/model/stepping, logical CPUs,
    physical cores, SIMD flags present."""
    blocks = [b for b in text.split("\n\n") if b.strip()]
    procs = []
    for b in blocks:
        d = {}
        for line in b.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                d[k.strip()] = v.strip()
        if "processor" in d:
            procs.append(d)
    if not procs:
        return None
    p0 = procs[0]
    flags = (p0.get("flags") or p0.get("Features") or "").split()
    cores = {(p.get("physical id"), p.get("core id")) for p in procs if "core id" in p}
    simd = [f for f in ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512cd", "avx512bw",
                        "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx512vbmi", "amx_tile",
                        "amx_bf16", "amx_int8", "asimd", "asimddp", "sve", "sve2") if f in flags]
    info = {
        "model name": p0.get("model name") or p0.get("Model name") or p0.get("CPU part", "unknown"),
        "vendor": p0.get("vendor_id") or p0.get("CPU implementer", ""),
        "logical": len(procs),
        "cores": len(cores) if cores else None,
        "simd": simd,
        "n_flags": len(flags),
        "hypervisor": "hypervisor" in flags,
        "cache": p0.get("cache size"),
    }
    if "cpu family" in p0:
        fam, mod = p0["cpu family"], p0.get("model", "?")
        info["family"] = "family %s, model %s%s, stepping %s" % (
            fam, mod, " (0x%x)" % int(mod) if mod.isdigit() else "", p0.get("stepping", "?"))
    return info


# ---------------------------------------------------------------------------
# Markdown helpers


def fmt(v, digits=3):
    """A number with `digits` significant digits, '-' when absent."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float) and math.isinf(v):
        return "inf"
    if v == 0:
        return "0"
    mag = int(math.floor(math.log10(abs(v))))
    decimals = max(0, digits - 1 - mag)
    return "%.*f" % (decimals, v)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def note(text):
    return "_%s_" % text


def savefig(fig, out_dir, name):
    path = os.path.join(out_dir, name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return name


def tick_label(v):
    return ("%g" % v) if v > 0 else ""


def thin_log_labels(ax, axis="y"):
    """Drops the labels of the 2 and 5 ticks when the axis spans more than
    three decades (they would crowd each other)."""
    lo, hi = getattr(ax, "get_%slim" % axis)()
    if lo > 0 and hi / lo > 10 ** 3.2:
        getattr(ax, "%saxis" % axis).set_minor_formatter(NullFormatter())


def log_axis(ax, axis="y", minor_labels=True):
    """Log scale with plain-number tick labels (0.5, 1, 10, 200 ...)."""
    getattr(ax, "set_%sscale" % axis)("log")
    a = getattr(ax, "%saxis" % axis)
    a.set_major_formatter(FuncFormatter(lambda v, _: tick_label(v)))
    a.set_minor_locator(LogLocator(base=10, subs=(2, 5)))
    a.set_minor_formatter(FuncFormatter(lambda v, _: tick_label(v)) if minor_labels else NullFormatter())


# ---------------------------------------------------------------------------
# Recurrent layer: arnn vs oneDNN vs PyTorch, with the FMA-peak and L2 times

RNN_PEERS = [  # key, legend, colour
    ("arnn", "arnn", "#1f77b4"),
    ("onednn", "oneDNN (its own weight layout)", "#ff7f0e"),
    ("onednn_plain", "oneDNN (plain ldigo weights)", "#fdc086"),
    ("torch", "PyTorch", "#d62728"),
]
RNN_NAME = re.compile(r"^rnn/([^/]+)/b(\d+)/t(\d+)/([^/]+)/([^/]+)$")


def rnn_section(results, out_dir, plots):
    lines = ["## Recurrent layer: arnn vs oneDNN vs PyTorch", ""]
    try:
        gb = GBench(os.path.join(results, "rnn-peers-bench.json"))
    except Missing as e:
        return lines + [missing_note(e, "bench/rnn-peers-bench"), ""]
    torch_doc, torch_note = None, None
    try:
        torch_doc = load_json(os.path.join(results, "torch-rnn.json"))
    except Missing as e:
        torch_note = "PyTorch %s: %s (bench/peer-torch-rnn.py --json)." % ("not run" if e.absent else "no results", e)

    cases = {}  # (workload, cell) -> {(batch, threads): {peer: row}}
    for name, row in gb.rows.items():
        m = RNN_NAME.match(name)
        if m:
            w, b, t, cell, peer = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4), m.group(5)
            cases.setdefault((w, cell), {}).setdefault((b, t), {})[peer] = row
    if not cases:
        return lines + [note("`%s` holds no rnn/... results." % gb.path), ""]
    if torch_doc:
        for r in torch_doc.get("rows", []):
            key = (r.get("workload"), r.get("cell"))
            bt = (r.get("batch"), r.get("threads"))
            if key in cases and bt in cases[key]:  # only next to cases this run has
                cases[key][bt]["torch"] = {"ms": float(r["ms"]), "counters": {}}

    c = gb.context
    lines += [
        "Bidirectional layer (concat), dense f32 input `[B,T,E]`, forward inference; "
        "time per call (wall clock, median of the repetitions; lower is better). "
        "Run: %s. arnn %s; %s." % (gb.describe(), c.get("arnn", "?"), c.get("oneDNN", "oneDNN not built")),
        "",
        "Machine bounds from the same run (`machine-peaks`): **FMA peak time** = the call's FLOP "
        "(`B*2*(2TEGH + 2THGH)`) at threads x the one-core FMA peak measured after each repetition "
        "(at start-up: %s); **L2 time** (batch 1) = all of W_hh (both directions) read from L2 once per "
        "step at the L2 read bandwidth measured at start-up (%s), halved on 2 threads (each core streams one direction "
        "from its own L2). No implementation can beat the larger of the two." % (
            c.get("FMA peak (1 core)", "?"), c.get("read bandwidth (1 core)", "?")),
        "",
    ]
    if torch_doc:
        tc = torch_doc.get("context", {})
        lines += ["PyTorch: torch %s, BLAS_INFO=%s, BLAS loaded: `%s` (run %s)." % (
            tc.get("torch", "?"), tc.get("blas_info", "?"), tc.get("blas_loaded", "?"), tc.get("date", "?")), ""]
    else:
        lines += [note(torch_note), ""]

    workloads = []
    for (w, _cell) in cases:
        if w not in workloads:
            workloads.append(w)
    for w in workloads:
        cells = [cell for (ww, cell) in cases if ww == w]
        lines += ["### %s" % w, ""]
        if plots:
            lines += [plot_or_note("%s: time per call" % w, rnn_plot, w, cells, cases, out_dir), ""]
        rows = []
        for cell in cells:
            for (b, t) in sorted(cases[(w, cell)]):
                peers = cases[(w, cell)][(b, t)]
                fma, l2 = rnn_bounds(peers, t)
                bound = max(v for v in (fma, l2, 0.0) if v is not None)
                arnn = peers.get("arnn", {}).get("ms")
                others = [peers[p]["ms"] for p in ("onednn", "onednn_plain", "torch") if p in peers]
                rows.append([cell, b, t] + [fmt(peers[p]["ms"]) if p in peers else "-" for p, _, _ in RNN_PEERS]
                            + [fmt(fma), fmt(l2),
                               "%.0f%%" % (100 * bound / arnn) if arnn and bound else "-",
                               "%.2fx" % (min(others) / arnn) if arnn and others else "-"])
        lines += [table(["cell", "batch", "threads", "arnn ms", "oneDNN own ms", "oneDNN ldigo ms", "PyTorch ms",
                         "FMA peak ms", "L2 ms", "arnn: bound / time", "best peer / arnn"], rows), ""]
    errs = sorted(n for n in gb.errors if n.startswith("rnn/"))
    if errs:
        lines += [note("Failed or skipped: " + "; ".join("%s (%s)" % (n, gb.errors[n]) for n in errs)), ""]
    return lines


def rnn_bounds(peers, threads):
    """(FMA-peak time, L2 time) in ms for one case, None where unknown."""
    fma, l2 = [], []
    for p in ("arnn", "onednn", "onednn_plain"):
        cnt = peers.get(p, {}).get("counters", {})
        if cnt.get("FMA_frac"):
            fma.append(peers[p]["ms"] * cnt["FMA_frac"])
        if cnt.get("L2bound_ms"):
            l2.append(cnt["L2bound_ms"] / min(threads, 2))
    return (min(fma) if fma else None), (min(l2) if l2 else None)


def rnn_plot(w, cells, cases, out_dir):
    fig, axes = plt.subplots(1, len(cells), figsize=(6.4 * len(cells), 4.8), squeeze=False)
    present = [p for p in RNN_PEERS if any(p[0] in v for cell in cells for v in cases[(w, cell)].values())]
    width = 0.8 / max(1, len(present))
    for ax, cell in zip(axes[0], cells):
        groups = sorted(cases[(w, cell)])
        for gi, bt in enumerate(groups):
            peers = cases[(w, cell)][bt]
            for pi, (key, _label, colour) in enumerate(present):
                if key not in peers:
                    continue
                x = gi - 0.4 + width * (pi + 0.5)
                v = peers[key]["ms"]
                ax.bar(x, v, width * 0.92, color=colour, edgecolor="black", linewidth=0.4)
                ax.annotate(fmt(v, 2), (x, v), xytext=(0, 2), textcoords="offset points", ha="center",
                            va="bottom", fontsize=7, rotation=90)
            fma, l2 = rnn_bounds(peers, bt[1])
            if fma:
                ax.hlines(fma, gi - 0.45, gi + 0.45, colors="black", linewidth=1.8)
            if l2:
                ax.hlines(l2, gi - 0.45, gi + 0.45, colors="black", linewidth=1.8, linestyles=(0, (3, 2)))
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels(["batch %d\n%d thread%s" % (b, t, "s" if t > 1 else "") for b, t in groups])
        log_axis(ax)
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi * 4)  # room for the value labels
        thin_log_labels(ax)
        ax.set_ylabel("ms per call (log scale, lower is better)")
        ax.set_title("%s, %s" % (w, cell.upper() if cell == "lstm" else cell.upper() + " (reset_after)"))
        ax.grid(axis="y", which="major", alpha=0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=c, edgecolor="black", linewidth=0.4) for _, _, c in present]
    labels = [label for _, label, _ in present]
    handles += [Line2D([], [], color="black", linewidth=1.8),
                Line2D([], [], color="black", linewidth=1.8, linestyle=(0, (3, 2)))]
    labels += ["FMA peak time (same run)", "L2 time: W_hh from L2 each step (batch 1)"]
    ncol = 3 if len(cells) > 1 else 2
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.05 * ((len(labels) + ncol - 1) // ncol) + 0.01, 1, 1))
    return savefig(fig, out_dir, "rnn-%s.png" % re.sub(r"[^A-Za-z0-9_.-]", "_", w))


# ---------------------------------------------------------------------------
# Activations: speed vs max ULP

VMATH_NAME = re.compile(r"^BM_vunary/([^/]+)/([^/]+)/(\d+)$")
VMATH_MARKERS = "osD^vP*Xph<>"


def vmath_section(results, out_dir, plots):
    lines = ["## Activations: speed vs accuracy (tanh, exp, sigmoid)", ""]
    try:
        gb = GBench(os.path.join(results, "vmath-bench.json"))
    except Missing as e:
        return lines + [missing_note(e, "bench/vmath-bench"), ""]
    data = {}  # n -> fn -> impl -> (el/ns, maxULP)
    bound = {}
    for name, row in gb.rows.items():
        m = VMATH_NAME.match(name)
        cnt = row["counters"]
        if m and "el/ns" in cnt and "maxULP" in cnt:
            data.setdefault(int(m.group(3)), {}).setdefault(m.group(1), {})[m.group(2)] = (cnt["el/ns"], cnt["maxULP"])
        elif name.startswith("BM_bound/div-only/") and "el/ns" in cnt:
            bound[int(name.rsplit("/", 1)[1])] = cnt["el/ns"]
    if not data:
        return lines + [note("`%s` holds no BM_vunary results." % gb.path), ""]
    lines += [
        "`y = f(x)` over n floats, median elements per nanosecond (higher is faster) against the largest error "
        "in ULPs found by vmath-bench's sample (bench/README.md; lower is more accurate; arnn promises at most "
        "2 ULP). `arnn_<isa>` are arnn's kernels called by name, `arnn_dispatch` the public entry point; every "
        "other point is a peer. Run: %s; arnn ISA %s." % (gb.describe(), gb.context.get("arnn_isa", "?")),
        "",
    ]
    impls = []
    for n in data:
        for fn in data[n]:
            for impl in data[n][fn]:
                if impl not in impls:
                    impls.append(impl)
    impls.sort(key=lambda s: (not s.startswith("arnn"), s))
    for n in sorted(data):
        lines += ["### n = %d" % n, ""]
        if plots:
            lines += [plot_or_note("speed vs max ULP, n = %d" % n, vmath_plot, n, data[n], impls, bound.get(n),
                                   out_dir), ""]
        rows = []
        for fn in data[n]:
            arnn_best = max((v[0] for k, v in data[n][fn].items() if k.startswith("arnn")), default=None)
            for impl, (el, ulp) in sorted(data[n][fn].items(), key=lambda kv: -kv[1][0]):
                rows.append([fn, impl, fmt(el), fmt(ulp), "%.2fx" % (arnn_best / el) if arnn_best and el else "-"])
        lines += [table(["function", "implementation", "el/ns", "max ULP", "arnn best / this"], rows), ""]
        if n in bound:
            lines += ["True-division bound (`y = 1/x`, 16-lane vdivps and nothing else): %s el/ns." % fmt(bound[n]),
                      ""]
    return lines


def vmath_plot(n, per_fn, impls, div_bound, out_dir):
    fns = list(per_fn)
    fig, axes = plt.subplots(1, len(fns), figsize=(4.8 * len(fns), 4.8), squeeze=False)
    cmap = plt.get_cmap("tab10")
    style = {}  # impl -> (colour, marker, size, hollow)
    arnn_i = peer_i = 0
    for impl in impls:
        if impl == "arnn_dispatch":  # the same kernel as the best ISA: a ring around it
            style[impl] = ("#1f77b4", "o", 200, True)
        elif impl.startswith("arnn"):
            style[impl] = (plt.get_cmap("Blues")(0.95 - 0.3 * min(arnn_i, 2)), "osD"[arnn_i % 3], 60, False)
            arnn_i += 1
        else:
            style[impl] = (cmap(1 + peer_i % 9), VMATH_MARKERS[3 + peer_i % 9], 60, False)
            peer_i += 1
    for ax, fn in zip(axes[0], fns):
        pts = per_fn[fn]
        finite = [u for _, u in pts.values() if math.isfinite(u) and u > 0]
        x_lo = min(finite + [0.5]) / 2
        x_hi = max(finite + [4.0]) * 2
        has_inf = any(not math.isfinite(u) for _, u in pts.values())
        x_inf = x_hi * 4  # where an infinite (or NaN) error is drawn
        for impl, (el, ulp) in pts.items():
            colour, marker, size, hollow = style[impl]
            x = x_inf if not math.isfinite(ulp) else max(ulp, x_lo)
            ax.scatter([x], [el], s=size, marker=marker, zorder=3 if hollow else 4,
                       facecolors="none" if hollow else [colour], edgecolors=[colour] if hollow else "black",
                       linewidths=1.5 if hollow else 0.5)
        if div_bound and fn == "sigmoid":
            ax.axhline(div_bound, color="gray", linestyle=":", linewidth=1.2)
            ax.annotate("true-division bound %s el/ns" % fmt(div_bound, 3), (x_lo * 1.1, div_bound), xytext=(0, 2),
                        textcoords="offset points", fontsize=7, color="dimgray", va="bottom")
        ax.axvline(2.0, color="#1f77b4", linestyle="--", linewidth=0.8, alpha=0.6)
        ax.set_xscale("log")
        decades = range(math.floor(math.log10(x_lo)), math.floor(math.log10(x_hi)) + 1)
        ticks = [m * 10.0 ** k for k in decades for m in (1, 2, 5) if x_lo <= m * 10.0 ** k <= x_hi]
        if len(ticks) > 8:  # a wide range: decades and the 2 ULP line only
            ticks = [t for t in ticks if t == 2.0 or abs(math.log10(t) - round(math.log10(t))) < 1e-9]
        labels = [tick_label(t) for t in ticks]
        if has_inf:
            ax.axvline(x_hi * 1.6, color="gray", linewidth=0.6)
            ticks.append(x_inf)
            labels.append("inf")
        ax.set_xticks(ticks)
        ax.set_xticklabels(labels)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(x_lo / 1.3, (x_inf * 2.5) if has_inf else x_hi)
        log_axis(ax, "y")
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo / 1.3, hi * 1.5)
        thin_log_labels(ax)
        ax.set_title("%s, n = %d" % (fn, n))
        ax.set_xlabel("max error in ULP (log; dashed: 2 ULP)")
        ax.set_ylabel("elements per ns (log; higher is faster)")
        ax.grid(which="major", alpha=0.3)
    shown = [i for i in impls if any(i in per_fn[fn] for fn in fns)]
    handles = []
    for i in shown:
        colour, marker, _, hollow = style[i]
        handles.append(Line2D([], [], linestyle="", marker=marker, markersize=12 if hollow else 8,
                              markerfacecolor="none" if hollow else colour,
                              markeredgecolor=colour if hollow else "black", markeredgewidth=1.5 if hollow else 0.5))
    labels = [i + (" (public entry point)" if i == "arnn_dispatch" else "") for i in shown]
    ncol = min(5, len(shown))
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.01 + 0.05 * ((len(shown) + ncol - 1) // ncol), 1, 1))
    return savefig(fig, out_dir, "vmath-%d.png" % n)


# ---------------------------------------------------------------------------
# Attention pooling: fused vs unfused, GB/s of x against the read probes

ATT_NAME = re.compile(r"^attention/([^/]+)/B(\d+)/([^/]+)$")


def attention_section(results, out_dir, plots):
    lines = ["## Attention pooling: fused kernel vs unfused passes", ""]
    try:
        gb = GBench(os.path.join(results, "attention-bench.json"))
    except Missing as e:
        return lines + [missing_note(e, "bench/attention-bench"), ""]
    groups, impls = {}, []
    for name, row in gb.rows.items():
        m = ATT_NAME.match(name)
        if m and "GB/s" in row["counters"]:
            groups.setdefault((m.group(1), int(m.group(2))), {})[m.group(3)] = row["counters"]["GB/s"]
            if m.group(3) not in impls:
                impls.append(m.group(3))
    if not groups:
        return lines + [note("`%s` holds no attention/... results." % gb.path), ""]
    l2_size = next((c.get("size") for c in gb.context.get("caches", []) if isinstance(c, dict) and
                    c.get("level") == 2 and c.get("type") in ("Unified", "Data")), None)
    probes = {k: gb.rows[k]["counters"]["GB/s"] for k in ("read/L1_16KiB", "read/L2_512KiB")
              if k in gb.rows and "GB/s" in gb.rows[k]["counters"]}
    lines += [
        "GB/s of the input x (`B*T*F*4` bytes per call, CPU time, median; higher is better). `fused_<isa>`: arnn's "
        "kernel by name, `fused_public`: `arnn_attention_pool_f32`; `unfused`: the same computation as separate "
        "passes with arnn's public pieces; `unfused_keras`: the passes as Keras writes them. The lines are the "
        "streaming-read probes of the same run (machine-peaks' read loop over 16 KiB and 512 KiB, timed like "
        "the rest); where x is larger than L2%s it streams from further away and the L2 line is out of reach. "
        "Run: %s." % (" (%s per core here)" % size_text(l2_size) if l2_size else "", gb.describe()),
        "",
    ]
    if plots:
        lines += [plot_or_note("attention pooling GB/s", attention_plot, groups, impls, probes, out_dir), ""]
    l2 = probes.get("read/L2_512KiB")
    rows = []
    for (shape, b), vals in groups.items():
        for impl in impls:
            if impl in vals:
                rows.append([shape, b, size_text(x_bytes(shape, b)), impl, fmt(vals[impl]),
                             "%.0f%%" % (100 * vals[impl] / l2) if l2 else "-"])
    lines += [table(["shape", "batch", "x", "implementation", "GB/s", "of L2 read"], rows), ""]
    if probes:
        lines += ["Read probes: " + ", ".join("%s %s GB/s" % (k, fmt(v)) for k, v in probes.items()) + ".", ""]
    return lines


def x_bytes(shape, batch):
    """Bytes of x for a shape named like imdb_T400_F256, None when the name does not say."""
    m = re.search(r"_T(\d+)_F(\d+)", shape)
    return batch * int(m.group(1)) * int(m.group(2)) * 4 if m else None


def size_text(n):
    if not n:
        return "-"
    for unit, div in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div:
            return "%s %s" % (fmt(n / div, 3), unit)
    return "%d B" % n


def attention_plot(groups, impls, probes, out_dir):
    keys = list(groups)
    fig, ax = plt.subplots(figsize=(max(6.4, 2.2 * len(keys)), 4.8))
    cmap = plt.get_cmap("tab10")
    colours = {}
    for i, impl in enumerate(impls):
        if impl == "fused_public":
            colours[impl] = "#17becf"
        elif impl.startswith("fused"):
            colours[impl] = plt.get_cmap("Blues")(0.95 - 0.3 * min(i, 2))
        else:
            colours[impl] = ("#ff7f0e", "#d62728", "#9467bd", "#8c564b")[sum(1 for j in impls[:i] if
                                                                           not j.startswith("fused")) % 4]
    width = 0.8 / len(impls)
    for gi, key in enumerate(keys):
        for ii, impl in enumerate(impls):
            if impl not in groups[key]:
                continue
            x = gi - 0.4 + width * (ii + 0.5)
            v = groups[key][impl]
            ax.bar(x, v, width * 0.92, color=colours[impl], edgecolor="black", linewidth=0.4)
            ax.annotate(fmt(v, 2), (x, v), xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                        fontsize=7)
    styles = {"read/L1_16KiB": ("L1 read (16 KiB probe)", ":"), "read/L2_512KiB": ("L2 read (512 KiB probe)", "--")}
    for k, v in probes.items():
        ax.axhline(v, color="black", linestyle=styles[k][1], linewidth=1.2)
        ax.annotate("%s GB/s" % fmt(v, 3), (len(keys) - 0.5, v), xytext=(-2, 2), textcoords="offset points",
                    ha="right", va="bottom", fontsize=8)
    ax.set_xticks(range(len(keys)))
    ax.set_xticklabels(["%s\nbatch %d (x: %s)" % (s.replace("_", " "), b, size_text(x_bytes(s, b))) for s, b in keys],
                       fontsize=9)
    ax.set_ylabel("GB/s of x (higher is better)")
    ax.set_ylim(0, max([v for g in groups.values() for v in g.values()] + list(probes.values())) * 1.12)
    ax.grid(axis="y", alpha=0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=colours[i], edgecolor="black", linewidth=0.4) for i in impls]
    labels = list(impls)
    for k in probes:
        handles.append(Line2D([], [], color="black", linestyle=styles[k][1]))
        labels.append(styles[k][0])
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.05 + 0.045 * ((len(labels) + 3) // 4), 1, 1))
    return savefig(fig, out_dir, "attention.png")


# ---------------------------------------------------------------------------
# Whole model: predictions per second vs batch and threads


def model_section(results, out_dir, plots):
    lines = ["## Whole model: predictions per second, arnn vs PyTorch", ""]
    try:
        doc = load_json(os.path.join(results, "model-bench.json"))
    except Missing as e:
        return lines + [missing_note(e, "bench/model-bench.py --json"), ""]
    rows = [r for r in doc.get("rows", []) if isinstance(r, dict) and {"model", "batch", "threads"} <= set(r)]
    c = doc.get("context", {})
    if not rows:
        lines += [note("`model-bench.json` has no rows.")]
        if doc.get("failed"):
            lines += ["", note("Failed: " + ", ".join(doc["failed"]))]
        return lines + [""]
    lines += [
        "Predictions per second (batch / time of one call, median of %s blocks; higher is better) of the same "
        "network and weights in arnn (C API through ctypes) and PyTorch (torch %s); both outputs agree to 1e-4 "
        "before timing. Run: %s, load average %s; arnn ISA %s." % (
            c.get("reps", "?"), c.get("torch", "?"), c.get("date", "?"),
            ", ".join("%.1f" % v for v in c.get("load_avg", [])) or "unknown", c.get("arnn_isa", "?")),
        "",
    ]
    if plots:
        lines += [plot_or_note("predictions per second", model_plot, rows, out_dir), ""]
    lines += [table(["model", "batch", "threads", "arnn pred/s", "PyTorch pred/s", "arnn / PyTorch"],
                    [[r["model"], r["batch"], r["threads"], fmt(r.get("arnn_pred_per_s")),
                      fmt(r.get("torch_pred_per_s")), "%.1fx" % r["ratio"] if r.get("ratio") else "-"]
                     for r in rows]), ""]
    if doc.get("max_abs_diff"):
        lines += ["Largest |arnn - PyTorch|: " + ", ".join(
            "%s %.2g" % kv for kv in doc["max_abs_diff"].items()) + ".", ""]
    if doc.get("failed"):
        lines += [note("Stopped on an error or a disagreement: " + ", ".join(doc["failed"])), ""]
    return lines


def model_plot(rows, out_dir):
    models = []
    for r in rows:
        if r["model"] not in models:
            models.append(r["model"])
    ncol = min(3, len(models))
    nrow = (len(models) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.4 * ncol, 3.7 * nrow + 0.6), squeeze=False)
    threads = sorted({r["threads"] for r in rows})
    batches = sorted({r["batch"] for r in rows})
    markers = "os^Dv"
    for i, m in enumerate(models):
        ax = axes[i // ncol][i % ncol]
        for impl, key, colour, ls in (("arnn", "arnn_pred_per_s", "#1f77b4", "-"),
                                      ("PyTorch", "torch_pred_per_s", "#d62728", "--")):
            for ti, t in enumerate(threads):
                pts = sorted((r["batch"], r[key]) for r in rows if r["model"] == m and r["threads"] == t and
                             r.get(key))
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle=ls, color=colour,
                            marker=markers[ti % len(markers)], alpha=1.0 if ti == len(threads) - 1 else 0.6)
        ax.set_xscale("log", base=2)
        ax.set_xticks(batches)
        ax.set_xticklabels([str(b) for b in batches])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(batches[0] / 1.6, batches[-1] * 1.6)
        log_axis(ax)
        thin_log_labels(ax)
        ax.set_title(m)
        ax.set_xlabel("batch size")
        ax.set_ylabel("predictions/s (log)")
        ax.grid(which="major", alpha=0.3)
    for j in range(len(models), nrow * ncol):
        axes[j // ncol][j % ncol].set_visible(False)
    handles, labels = [], []
    for impl, colour, ls in (("arnn", "#1f77b4", "-"), ("PyTorch", "#d62728", "--")):
        for ti, t in enumerate(threads):
            handles.append(Line2D([], [], color=colour, linestyle=ls, marker=markers[ti % len(markers)],
                                  alpha=1.0 if ti == len(threads) - 1 else 0.6))
            labels.append("%s, %d thread%s" % (impl, t, "s" if t > 1 else ""))
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.6 / (3.7 * nrow + 0.6), 1, 1))
    return savefig(fig, out_dir, "model-predictions.png")


# ---------------------------------------------------------------------------
# The machine


def machine_section(results, cpuinfo_path):
    lines = ["## Machine", ""]
    text, source = None, None
    for path in ([cpuinfo_path] if cpuinfo_path else [os.path.join(results, "cpuinfo.txt"), "/proc/cpuinfo"]):
        try:
            with open(path) as fh:
                text, source = fh.read(), path
            break
        except OSError:
            continue
    info = parse_cpuinfo(text) if text else None
    if not info:
        lines += [note("No CPU description (%s)." % (cpuinfo_path or "no cpuinfo.txt in the results, no /proc/cpuinfo")),
                  ""]
    else:
        lines += [
            "- CPU: %s%s" % (info["model name"], " (%s)" % info["vendor"] if info["vendor"] else ""),
        ]
        if "family" in info:
            lines += ["- %s" % info["family"]]
        lines += [
            "- %d logical CPUs%s%s" % (info["logical"], ", %d physical cores" % info["cores"] if info["cores"] else "",
                                       ", under a hypervisor" if info["hypervisor"] else ""),
            "- SIMD flags: %s (of %d flags)" % (" ".join(info["simd"]) or "none of the usual", info["n_flags"]),
        ]
        if info.get("cache"):
            lines += ["- cache size (cpuinfo): %s" % info["cache"]]
        lines += ["- source: `%s`" % source]
    lines += [""]
    return lines


INPUTS = [  # file, program, what the report does with it
    ("rnn-peers-bench.json", "bench/rnn-peers-bench", "recurrent layer"),
    ("torch-rnn.json", "bench/peer-torch-rnn.py --json", "recurrent layer (PyTorch)"),
    ("model-bench.json", "bench/model-bench.py --json", "whole model"),
    ("vmath-bench.json", "bench/vmath-bench", "activations"),
    ("attention-bench.json", "bench/attention-bench", "attention pooling"),
]


def inputs_section(results):
    rows = []
    known = [f for f, _, _ in INPUTS]
    others = sorted(os.path.basename(p) for p in glob.glob(os.path.join(results, "*.json"))
                    if os.path.basename(p) not in known)
    for f, what, use in INPUTS + [(o, "-", "kept, not in the report") for o in others]:
        path = os.path.join(results, f)
        if not os.path.exists(path):
            rows.append([f, what, use, "not run"])
            continue
        try:
            doc = load_json(path)
            ctx = doc.get("context", {}) if isinstance(doc, dict) else {}
            load = ctx.get("load_avg")
            rows.append([f, what, use, "%s%s" % (ctx.get("date", "no date in the file"), ", load average %s" % ", ".join(
                "%.1f" % v for v in load) if load else "")])
        except Missing as e:
            rows.append([f, what, use, str(e)])
    return ["## Inputs", "", "From `%s`:" % results, "", table(["file", "program", "section", "run at"], rows), ""]


def plot_or_note(alt, fn, *args):
    """Markdown for one picture, or a note when drawing it failed."""
    try:
        return "![%s](%s)" % (alt, fn(*args))
    except Exception as e:  # the section's table is still worth having
        plt.close("all")
        return note("Plot failed: %s: %s" % (type(e).__name__, e))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=os.path.join(ROOT, "build-release", "results"),
                    help="directory of the benchmark outputs (default build-release/results)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "report"),
                    help="where index.md and the PNGs go (default bench/report)")
    ap.add_argument("--cpuinfo", help="CPU description to report (default RESULTS/cpuinfo.txt, else /proc/cpuinfo)")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for pattern in PLOT_PATTERNS:
        for stale in glob.glob(os.path.join(args.out, pattern)):
            os.remove(stale)
    plots = plt is not None
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# arnn benchmark report", "",
             "Generated %s by `bench/report.py` from the outputs of one benchmark run (`scripts/run.sh`). "
             "Timings from a shared or busy machine move by 10%% or more; the load average of each run is "
             "given with its section." % now, ""]
    if not plots:
        lines += [note("No plots: matplotlib is not available (%s); install python3-matplotlib." % PLOT_ERROR), ""]
    lines += machine_section(args.results, args.cpuinfo)
    lines += inputs_section(args.results)
    for section in (rnn_section, model_section, vmath_section, attention_section):
        try:
            lines += section(args.results, args.out, plots)
        except Exception as e:  # a malformed input must not cost the rest of the report
            lines += [note("This section failed: %s: %s" % (type(e).__name__, e)), ""]
    path = os.path.join(args.out, "index.md")
    with open(path, "w") as fh:
        fh.write("\n".join(lines).rstrip("\n") + "\n")
    print("report: %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
