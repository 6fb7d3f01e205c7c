"""What the PyTorch peers (peer-torch-rnn.py, peer-torch-attention.py) share:
which BLAS torch loaded and how to set its threads, the timing loop, and the
comma-list arguments."""
import os
import statistics
import time


def loaded_blas():
    """Path of the BLAS shared library this process mapped (after import torch)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "/" in line}
    except OSError:
        return None
    for p in sorted(paths):
        base = os.path.basename(p)
        if base.startswith(("libblas.so", "libopenblas", "libmkl_rt", "libblis")):
            return os.path.realpath(p)
    return None


def blas_thread_setter(path):
    """openblas_set_num_threads / bli_thread_set_num_threads when the loaded
    BLAS has one (torch.set_num_threads does not reach a "generic" BLAS)."""
    if not path:
        return None
    import ctypes
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    for sym in ("openblas_set_num_threads", "bli_thread_set_num_threads"):
        fn = getattr(lib, sym, None)
        if fn is not None:
            return fn
    return None


def time_call(fn, x, reps, min_time):
    """fn(x) twice untimed, then `reps` blocks of enough calls to last about
    min_time seconds: the medians over the blocks of the wall time and of the
    process CPU time per call."""
    fn(x)
    fn(x)
    t0 = time.perf_counter()
    fn(x)
    one = max(time.perf_counter() - t0, 1e-6)
    calls = max(1, int(min_time / one))
    wall, cpu = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(calls):
            fn(x)
        wall.append((time.perf_counter() - t0) / calls)
        cpu.append((time.process_time() - c0) / calls)
    return statistics.median(wall), statistics.median(cpu)


def csv_list(s):
    return [x for x in s.split(",") if x]
