#!/usr/bin/python3
"""ctest: replays tests/hostile/cases against the arnn CLI.

Each case runs the CLI with its arguments and stdin and must end with the
expected exit status and a stderr matching the pattern. Every case, whatever
its status, must also keep stderr printable ASCII (no input byte reaches a
terminal raw) with a bounded first line, and a failing case must print
nothing on stdout (no partial results before an input error).
usage: run-hostile.py ARNN HOSTILE_DIR EXAMPLES_DIR FUZZ_CORPUS_DIR [--emulator "qemu-aarch64 -L ROOT"]
Standard library only.
"""
import os
import re
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import printable  # noqa: E402

MAX_FIRST_LINE = 300


# A case tagged [tokenizer] needs the tokenizer (utf8proc); a build without it
# must refuse the same command with this message instead.
TOKENIZER_TAG = "[tokenizer]"
NO_TOKENIZER_PATTERN = r"built without utf8proc: no tokenizer"


def main(argv):
    arnn, here, examples, corpus = argv[:4]
    emulator = argv[argv.index("--emulator") + 1].split() if "--emulator" in argv else []
    has_tokenizer = "--no-tokenizer" not in argv
    subst = {"model": os.path.join(examples, "imdb-mini.safetensors"), "in": os.path.join(here, "inputs"),
             "corpus": corpus}
    failures = cases = 0
    with open(os.path.join(here, "cases"), encoding="utf-8") as fh:
        lines = list(enumerate(fh, 1))
    for line_no, line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.rstrip("\n").split("|", 4)]
        if len(fields) != 5:
            print("FAIL: cases:%d: expected NAME | STDIN | EXIT | PATTERN | ARGUMENTS" % line_no)
            failures += 1
            continue
        name, stdin_name, status, pattern, args = fields
        if name.startswith(TOKENIZER_TAG):
            name = name[len(TOKENIZER_TAG):].strip()
            if not has_tokenizer:
                status, pattern = "1", NO_TOKENIZER_PATTERN
        cases += 1
        # shell-style split, then \xNN escapes decoded to raw bytes
        argv_bytes = [a.format(**subst).encode("latin-1").decode("unicode_escape").encode("latin-1")
                      for a in shlex.split(args)]
        stdin = b""
        if stdin_name != "-":
            with open(os.path.join(here, "inputs", stdin_name), "rb") as f:
                stdin = f.read()
        r = subprocess.run([os.fsencode(a) for a in emulator + [arnn]] + argv_bytes, input=stdin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        err = r.stderr.decode("latin-1")
        problems = []
        if r.returncode != int(status):
            problems.append("exit %d, expected %s" % (r.returncode, status))
        if not re.search(pattern, err):
            problems.append("stderr does not match %r" % pattern)
        if not printable(r.stderr):
            problems.append("stderr has raw non-printable bytes")
        if len(r.stderr.split(b"\n")[0]) >= MAX_FIRST_LINE:
            problems.append("first stderr line of %d bytes" % len(r.stderr.split(b"\n")[0]))
        if r.returncode != 0 and r.stdout:
            problems.append("output on stdout despite the failure: %r" % r.stdout[:100])
        if problems:
            failures += 1
            print("FAIL: %s (cases:%d): %s\n  stderr: %r" % (name, line_no, "; ".join(problems), r.stderr[:400]))
    print("%d cases, %d failures" % (cases, failures))
    return 1 if failures or cases == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
