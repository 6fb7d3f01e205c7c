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
 - 10 MB tokens and blank lines give one short printable line; blank lines
   are skipped or predicted on request (tests/hostile holds the rest of the
   hostile input, case by case).
usage: test-cli-predict.py ARNN EXAMPLES_DIR [--emulator "qemu-aarch64 -L ROOT"]
Standard library only (the .npy file is written by hand).
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import checks  # noqa: E402
from checks import check, printable  # noqa: E402


def hostile(run, emulator, arnn, model, tmp, shipped):
    """What the case list of tests/hostile cannot hold: 10 MB inputs, and
    outputs compared with other runs."""
    def expect(args, stdin, status, texts, what):
        r = subprocess.run(emulator + [arnn, "predict", model] + args, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        check(r.returncode == status and all(t.encode() in r.stderr for t in texts) and printable(r.stderr)
              and len(r.stderr) < 300,
              "%s: exit %d, stderr %r (expected %d, %r, printable and short)"
              % (what, r.returncode, r.stderr[:300], status, texts))

    expect([], b"1 2\n" + b"a" * (10 << 20) + b"\n", 1,
           ['<stdin>:2: not a token id: "' + "a" * 32 + '..." (10485760 bytes)'], "10 MB token")
    expect([], b"1 2\n" + b"\x1b" * (10 << 20) + b"\n", 1, ["<stdin>:2: not a token id", "(10485760 bytes)"],
           "10 MB of ESC")
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
    check(one.returncode == 0 and len(one.stdout.splitlines()) == 1, "the final newline adds no sequence")
    # getopt_long's forms: --opt=value, options before MODEL, -- ends the options
    r = run(["--ids=" + os.path.join(tmp, "stripped.txt"), "--threads=2", "--empty-lines=predict"])
    check(r.returncode == 0 and r.stdout == shipped, "--ids=FILE --threads=2: %s" % r.stderr)
    r = subprocess.run(emulator + [arnn, "predict", "--threads", "1", "--", model], input="1 2\n",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    check(r.returncode == 0 and r.stdout == one.stdout, "options before MODEL and --: %s" % r.stderr)
    env = dict(os.environ, POSIXLY_CORRECT="1")
    r = subprocess.run(emulator + [arnn, "predict", model, "--threads", "1"], input="1 2\n", env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    check(r.returncode == 0 and r.stdout == one.stdout, "options after MODEL with POSIXLY_CORRECT: %s" % r.stderr)


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
        hostile(run, emulator, arnn, model, tmp, shipped)
    print("PASS" if checks.failures == 0 else "%d failures" % checks.failures)
    return 1 if checks.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
