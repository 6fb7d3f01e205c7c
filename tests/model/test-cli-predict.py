#!/usr/bin/python3
"""ctest: `arnn predict` as a user runs it, on the shipped example model.

 - the ids file as shipped (rows of T ids, front padding) gives the reference
   probabilities (examples/imdb-mini.expected) within 1e-5;
 - the same sequences without their padding (variable-length lines, the CLI
   pads them as the model was trained), from a file and from stdin, and as an
   int32 .npy [N,T], give the same output, byte for byte;
 - --json [--attention] prints one object per line with probs, label and T
   attention weights;
 - bad inputs exit 1 with a message naming the problem (id outside the
   vocabulary, a line longer than T, not a number, --dense on an ids model),
   usage errors exit 2;
 - hostile input: control bytes, NULs and huge tokens are quoted escaped and
   bounded (stderr stays printable and short), long ids are quoted whole,
   .npy files of the wrong dtype or rank are named as such, blank lines are
   errors unless --empty-lines says otherwise, --threads is checked against
   the library's limit and for a missing or empty value while the options
   are read.
usage: test-cli-predict.py ARNN EXAMPLES_DIR [--emulator "qemu-aarch64 -L ROOT"]
Standard library only (the .npy file is written by hand).
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

failures = 0


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print("FAIL: " + msg)
    return cond


def write_npy(path, descr, shape, payload):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as fh:
        fh.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin-1") + payload)


def printable(data):
    """stderr bytes a terminal shows as text: printable ASCII and newlines."""
    return all(0x20 <= b <= 0x7E or b == 0x0A for b in data)


def hostile(run, emulator, arnn, model, tmp, T, shipped):
    def run_bytes(args, stdin):
        return subprocess.run(emulator + [arnn, "predict", model] + args, input=stdin, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)

    def expect(args, stdin, status, texts, what):
        r = run_bytes(args, stdin)
        ok = r.returncode == status and all(t.encode() in r.stderr for t in texts)
        # the message line is bounded; a usage error adds the usage text after it
        ok = check(ok and printable(r.stderr) and len(r.stderr.split(b"\n")[0]) < 300,
                   "%s: exit %d, stderr %r (expected %d, %r, printable and short)"
                   % (what, r.returncode, r.stderr[:300], status, texts))
        return r

    # .npy inputs: the dtype and the rank are named
    f8 = os.path.join(tmp, "f8.npy")
    write_npy(f8, "<f8", "(1, %d)" % T, b"\0" * 8 * T)
    expect(["--ids", f8], None, 1, ["dtype '<f8' (float64), expected '<i4' (int32)"], "float64 .npy")
    r5 = os.path.join(tmp, "rank5.npy")
    write_npy(r5, "<i4", "(1, 2, 3, 4, 5)", b"\0" * 4 * 120)
    expect(["--ids", r5], None, 1, ["array has 5 dimensions, expected 2"], "rank-5 .npy")
    esc = os.path.join(tmp, "escape-dtype.npy")
    write_npy(esc, "\x1b]0;x\x07", "(1, %d)" % T, b"")
    expect(["--ids", esc], None, 1, ["dtype '\\x1b]0;x\\x07'"], ".npy dtype with control bytes")

    # token ids: quoted whole when short, bounded with their length when long
    expect([], b"1 99999999999999999999999\n", 1,
           ["<stdin>:1: token id 99999999999999999999999 is outside the vocabulary [0, 200)"], "23-digit id")
    expect([], b"9" * 1000 + b"\n", 1, ["token id " + "9" * 32 + "... (1000 bytes) is outside"], "1000-digit id")
    expect([], b"1 -99999999999999999999999\n", 1, ["token id -99999999999999999999999 is outside"], "negative id")
    # raw bytes never reach the terminal: escapes, bells, NULs, 10 MB tokens
    expect([], b"1 \x1b[31m\x07\x1b]0;owned\x07\n", 1, ['not a token id: "\\x1b[31m\\x07\\x1b]0;owned\\x07"'],
           "escape sequences in a line")
    expect([], b"1 2\x00abc 3\n", 1, ['<stdin>:1: not a token id: "2\\x00abc"'], "NUL inside a line")
    expect([], b"1 \xff\xfe\n", 1, ['not a token id: "\\xff\\xfe"'], "non-UTF-8 bytes")
    expect([], b"1 2\n" + b"a" * (10 << 20) + b"\n", 1, ['<stdin>:2: not a token id: "' + "a" * 32 + '..." (10485760 bytes)'],
           "10 MB token")

    # blank lines: an error naming the line unless --empty-lines says otherwise
    expect([], b"1 2\n\n3\n", 1, ["<stdin>:2: blank line", "--empty-lines"], "empty line")
    expect([], b"1 2\n \t\r\n", 1, ["<stdin>:2: blank line"], "whitespace-only line")
    expect([], b" " * (10 << 20) + b"\n", 1, ["<stdin>:1: blank line"], "10 MB line of spaces")
    one = run([], "1 2\n")
    three = run([], "3\n")
    r = run(["--empty-lines=skip"], "1 2\n\n  \n3\n")
    check(r.returncode == 0 and r.stdout == one.stdout + three.stdout and "skipped 2 blank lines" in r.stderr,
          "--empty-lines=skip: %r %r" % (r.stdout, r.stderr))
    r = run(["--empty-lines", "predict"], "1 2\n\n3\n")
    lines = r.stdout.splitlines()
    check(r.returncode == 0 and len(lines) == 3 and lines[0] + "\n" == one.stdout and lines[2] + "\n" == three.stdout,
          "--empty-lines predict: %r %r" % (r.stdout, r.stderr))
    r = run([], "1 2\n")
    check(r.returncode == 0 and len(r.stdout.splitlines()) == 1, "the final newline adds no sequence")
    expect(["--empty-lines=maybe"], b"", 2, ['bad value for --empty-lines: "maybe"'], "--empty-lines value")

    # --threads: the library's limit, a missing or empty value, at parse time
    for n in ("1025", "4096", "99999999999999999999999"):
        expect(["--threads", n], b"1 2\n", 2, ["--threads %s: at most 1024 threads" % n], "--threads " + n)
    expect(["--threads", ""], b"1 2\n", 2, ["--threads needs a value, got an empty one"], "--threads ''")
    expect(["--threads="], b"1 2\n", 2, ["--threads needs a value, got an empty one"], "--threads=")
    expect(["--threads"], b"1 2\n", 2, ["--threads needs a value (a number of threads"], "--threads without a value")
    expect(["--threads", " 2"], b"1 2\n", 2, ['bad value for --threads: " 2"'], "--threads ' 2'")
    expect(["--batch", "0"], b"1 2\n", 2, ['bad value for --batch: "0"'], "--batch 0")
    expect(["--json=yes"], b"1 2\n", 2, ["--json takes no value"], "--json=yes")
    expect(["--\x1b[2J"], b"", 2, ["unknown option --\\x1b[2J"], "escape sequence as an option")
    # options parsed as getopt_long does: --opt=value, anywhere, and -- ends them
    r = run(["--ids=" + os.path.join(tmp, "stripped.txt"), "--threads=2", "--empty-lines=predict"])
    check(r.returncode == 0 and r.stdout == shipped, "--ids=FILE --threads=2: %s" % r.stderr)
    r = subprocess.run(emulator + [arnn, "predict", "--threads", "1", "--", model], input="1 2\n",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    check(r.returncode == 0 and r.stdout == one.stdout, "options before MODEL and --: %s" % r.stderr)


def main(argv):
    arnn, examples = argv[0], argv[1]
    emulator = argv[argv.index("--emulator") + 1].split() if "--emulator" in argv else []
    model = os.path.join(examples, "imdb-mini.safetensors")
    ids_path = os.path.join(examples, "imdb-mini.ids")

    def run(args, stdin=None):
        return subprocess.run(emulator + [arnn, "predict", model] + args, input=stdin, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True)

    expected = [float(v) for v in open(os.path.join(examples, "imdb-mini.expected")).read().split()]
    rows = [[int(v) for v in line.split()] for line in open(ids_path)]
    T = len(rows[0])
    r = run(["--ids", ids_path])
    check(r.returncode == 0, "predict failed: %s" % r.stderr)
    got = [float(v) for v in r.stdout.split()]
    check(len(got) == len(expected), "%d outputs for %d sequences" % (len(got), len(expected)))
    for i, (g, e) in enumerate(zip(got, expected)):
        check(abs(g - e) <= 1e-5, "sequence %d: %.9g, reference %.9g" % (i, g, e))
    shipped = r.stdout

    with tempfile.TemporaryDirectory() as tmp:
        # an all-padding row becomes a blank line, predicted only on request
        stripped = "".join(" ".join(str(v) for v in row if v != 0) + "\n" for row in rows)
        path = os.path.join(tmp, "stripped.txt")
        open(path, "w").write(stripped)
        r = run(["--ids", path, "--empty-lines=predict"])
        check(r.returncode == 0 and r.stdout == shipped, "unpadded lines differ: %s%s" % (r.stdout, r.stderr))
        r = run(["--ids", "-", "--threads", "2", "--empty-lines=predict"], stdin=stripped)
        check(r.returncode == 0 and r.stdout == shipped, "stdin with 2 threads differs: %s%s" % (r.stdout, r.stderr))
        r = run(["--empty-lines=predict"], stdin=stripped)
        check(r.returncode == 0 and r.stdout == shipped, "stdin by default differs")

        header = "{'descr': '<i4', 'fortran_order': False, 'shape': (%d, %d), }" % (len(rows), T)
        header += " " * (63 - (10 + len(header)) % 64) + "\n"
        npy = os.path.join(tmp, "ids.npy")
        with open(npy, "wb") as fh:
            fh.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
            for row in rows:
                fh.write(struct.pack("<%di" % T, *row))
        r = run(["--ids", npy, "--batch", "4"])
        check(r.returncode == 0 and r.stdout == shipped, ".npy input differs: %s%s" % (r.stdout, r.stderr))

        r = run(["--ids", ids_path, "--json", "--attention"])
        check(r.returncode == 0, "--json failed: %s" % r.stderr)
        for i, line in enumerate(r.stdout.splitlines()):
            obj = json.loads(line)
            check(abs(obj["probs"][0] - expected[i]) <= 1e-5, "json sequence %d probs" % i)
            check(obj["label"] == ("positive" if obj["probs"][0] >= 0.5 else None), "json label %r" % obj["label"])
            check(len(obj["attention"]) == T, "json attention length")
        r = run(["--ids", ids_path, "--json"])
        check(r.returncode == 0 and "attention" not in r.stdout, "--json without --attention")

        def bad(args, stdin, status, text):
            r = run(args, stdin)
            check(r.returncode == status and text in r.stderr,
                  "%s: exit %d, stderr %r (expected %d and %r)" % (args, r.returncode, r.stderr.strip(), status, text))

        bad([], "1 2 200\n", 1, "outside the vocabulary [0, 200)")
        bad([], "1 2 -3\n", 1, "outside the vocabulary")
        bad([], " ".join(["5"] * (T + 1)) + "\n", 1, "more than T=%d" % T)
        bad([], "1 2 x\n", 1, "not a token id")
        bad(["--dense", npy], None, 1, "takes token ids")
        bad(["--ids", os.path.join(tmp, "missing.txt")], None, 1, "cannot open")
        bad(["--threads", "x"], "", 2, "bad value for --threads")
        bad(["--attention"], "", 2, "--attention needs --json")
        bad(["--bogus"], "", 2, "unknown option --bogus")
        hostile(run, emulator, arnn, model, tmp, T, shipped)
    print("PASS" if failures == 0 else "%d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
