#!/usr/bin/env python3
"""ctest: `arnn predict MODEL --text FILE --tokenizer tokenizer.json` end to end
on the shipped example model, and the progress line.

 - a tokenizer whose word_index maps word "wN" (and a few non-ASCII words) to
   id N: texts made of the example's sequences give exactly the output of
   --ids on the same sequences (text and --json --attention), from a file
   and from stdin;
 - texts longer than T: truncating=pre keeps the last T ids, post the first T
   (checked against --ids of the cut sequences), and stderr says how many
   texts were cut; --quiet drops that line;
 - malformed tokenizer files, invalid UTF-8 text, ids outside the model's
   vocabulary and usage mistakes exit 1 or 2 with one printable line;
 - progress: under a pseudo-terminal (pty) stderr gets '\\r' lines with the
   count, rate and time left for more than 2000 sequences; not with --quiet,
   not when stderr is a pipe, not for a few sequences.
usage: test-cli-text.py ARNN EXAMPLES_DIR
Standard library only."""
import json
import os
import pty
import select
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


def printable(data):
    return all(0x20 <= b <= 0x7E or b == 0x0A for b in data)


def run(args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, timeout=300)


def tokenizer_json(word_index, **config):
    cfg = {"num_words": None, "filters": '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n', "lower": True, "split": " ",
           "char_level": False, "oov_token": None, "document_count": 0, "word_counts": "{}", "word_docs": "{}",
           "index_docs": "{}", "index_word": "{}", "word_index": json.dumps(word_index)}
    cfg.update(config)
    return json.dumps({"class_name": "Tokenizer", "config": cfg})


def main():
    arnn, examples = sys.argv[1], sys.argv[2]
    model = os.path.join(examples, "imdb-mini.safetensors")
    V, T = 200, 40
    with open(os.path.join(examples, "imdb-mini.ids")) as f:
        seqs = [[int(x) for x in line.split() if x != "0"] for line in f if line.strip()]
    seqs = [s for s in seqs if s] + [[1, 2, 3, 4, 199, 5, 3, 1]]
    # words: "wN" -> N (the text says "WN" or "wN"), and non-ASCII words on
    # ids 1..4 written in capitals: lower() must give the word
    word_index = {("w%d" % i): i for i in range(5, V)}
    word_index.update({"straße": 1, "東京": 2, "ας": 3, "café": 4})
    upper = {1: "STRAẞE", 2: "東京", 3: "ΑΣ", 4: "CAFÉ"}  # ẞ -> ß, final Σ -> ς

    def text_of(seq):
        return ", ".join(upper.get(i, ("W%d" % i) if k % 3 == 0 else ("w%d" % i)) for k, i in enumerate(seq)) + "!"

    with tempfile.TemporaryDirectory() as tmp:
        tok = os.path.join(tmp, "tokenizer.json")
        with open(tok, "w", encoding="utf-8") as f:
            f.write(tokenizer_json(word_index))
        texts = os.path.join(tmp, "texts.txt")
        with open(texts, "w", encoding="utf-8") as f:
            for s in seqs:
                f.write(text_of(s) + "\r\n")  # CRLF: the '\r' is dropped
        ids = os.path.join(tmp, "ids.txt")
        with open(ids, "w") as f:
            for s in seqs:
                f.write(" ".join(map(str, s)) + "\n")
        for extra in ([], ["--json", "--attention"], ["--batch", "2", "--threads", "2"]):
            a = run([arnn, "predict", model, "--ids", ids] + extra)
            b = run([arnn, "predict", model, "--text", texts, "--tokenizer", tok] + extra)
            check(a.returncode == 0 and b.returncode == 0, "%s: exit %d / %d: %s" % (extra, a.returncode,
                                                                                    b.returncode, b.stderr))
            check(a.stdout == b.stdout and len(a.stdout.splitlines()) == len(seqs),
                  "%s: --text differs from --ids" % extra)
        with open(texts, "rb") as f:
            c = run([arnn, "predict", model, "--text", "-", "--tokenizer", tok], stdin=f.read())
        check(c.returncode == 0 and c.stdout == a.stdout, "--text - (stdin)")

        # truncation: each text is its sequence twice plus extra words (> T ids)
        long_seqs = [s + [5, 6, 7] + s for s in seqs]
        with open(texts, "w", encoding="utf-8") as f:
            for s in long_seqs:
                f.write(text_of(s) + "\n")
        n_long = sum(len(s) > T for s in long_seqs)
        for mode, cut in (("pre", lambda s: s[-T:]), ("post", lambda s: s[:T])):
            with open(ids, "w") as f:
                for s in long_seqs:
                    f.write(" ".join(map(str, cut(s))) + "\n")
            a = run([arnn, "predict", model, "--ids", ids])
            args = [arnn, "predict", model, "--text", texts, "--tokenizer", tok]
            b = run(args + ([] if mode == "pre" else ["--truncating", "post"]))
            check(b.returncode == 0 and a.stdout == b.stdout, "truncating=%s: %s" % (mode, b.stderr))
            want = b"%d of %d texts longer than %d tokens, truncated (truncating=%s" % (n_long, len(seqs), T,
                                                                                         mode.encode())
            check(want in b.stderr, "truncating=%s: stderr %r" % (mode, b.stderr))
            q = run(args + ["--truncating", mode, "--quiet"])
            check(q.returncode == 0 and q.stderr == b"" and q.stdout == b.stdout, "--quiet: %r" % q.stderr)

        # errors: exit 1 (bad file or input) or 2 (usage), one printable line
        def expect_error(args, code, part, stdin=None):
            r = run(args, stdin)
            ok = check(r.returncode == code, "%s: exit %d, want %d (%r)" % (args[3:], r.returncode, code, r.stderr))
            ok = ok and check(part.encode() in r.stderr, "%s: %r lacks %r" % (args[3:], r.stderr, part))
            # one line, or one line and the usage (exit 2)
            ok and check(printable(r.stderr) and (code == 2 or r.stderr.count(b"\n") == 1),
                         "%s: stderr %r" % (args[3:], r.stderr))

        bad_files = {
            "not-json.json": (b"\xff\xfe garbage \x1b[31m", "not a Keras tokenizer JSON"),
            "class.json": (json.dumps({"class_name": "TextVectorizer", "config": {}}).encode(), "class_name"),
            "textvec.json": (json.dumps({"class_name": "TextVectorization", "config": {}}).encode(), "vocabulary"),
            "charlevel.json": (tokenizer_json({"a": 1}, char_level=True).encode(), "char_level"),
            "split.json": (tokenizer_json({"a": 1}, split="").encode(), "split"),
            "oov.json": (tokenizer_json({"a": 1}, oov_token="<OOV>").encode(), "oov_token"),
            "ids.json": (tokenizer_json({"a": "one"}).encode(), "integer"),
            "wi.json": (json.dumps({"class_name": "Tokenizer", "config": {"word_index": "{\"a\": "}}).encode(),
                        "word_index"),
            "empty.json": (b"", "not a Keras tokenizer JSON"),
        }
        for name, (data, part) in bad_files.items():
            p = os.path.join(tmp, name)
            with open(p, "wb") as f:
                f.write(data)
            expect_error([arnn, "predict", model, "--text", texts, "--tokenizer", p], 1, part)
        expect_error([arnn, "predict", model, "--text", texts, "--tokenizer", os.path.join(tmp, "none.json")], 1,
                     "cannot open")
        with open(texts, "wb") as f:
            f.write(b"w5 w6\nw7 \xc3( w8\n")
        expect_error([arnn, "predict", model, "--text", texts, "--tokenizer", tok], 1, ":2: the text is not valid UTF-8")
        big = os.path.join(tmp, "big.json")
        with open(big, "w") as f:
            f.write(tokenizer_json({"w5": 5, "huge": 500}))
        expect_error([arnn, "predict", model, "--text", "-", "--tokenizer", big], 1, "outside the model's vocabulary",
                     stdin=b"w5 huge\n")
        expect_error([arnn, "predict", model, "--text", "-", "--tokenizer", tok], 1, "<stdin>:2: blank line",
                     stdin=b"w5\n\nw6\n")
        r = run([arnn, "predict", model, "--text", "-", "--tokenizer", tok, "--empty-lines", "predict"],
                stdin=b"w5\n\n?!\n")
        check(r.returncode == 0 and len(r.stdout.splitlines()) == 3, "blank and all-filtered texts predicted")
        expect_error([arnn, "predict", model, "--text", texts], 1, "carries no tokenizer: --text needs --tokenizer")
        expect_error([arnn, "predict", model, "--ids", ids, "--tokenizer", tok], 2, "--tokenizer goes with --text")
        expect_error([arnn, "predict", model, "--ids", ids, "--text", texts, "--tokenizer", tok], 2, "give one of")
        expect_error([arnn, "predict", model, "--text", texts, "--tokenizer", tok, "--truncating", "middle"], 2,
                     "bad value for --truncating")

        # progress: more than 2000 sequences under a pty, then without one
        many = os.path.join(tmp, "many.txt")
        with open(many, "w") as f:
            for k in range(2500):
                f.write(" ".join(map(str, seqs[k % len(seqs)])) + "\n")

        def under_pty(args):
            """stderr through a pseudo-terminal (stdout a pipe): what it printed, the exit status."""
            master, slave = pty.openpty()
            p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
            os.close(slave)
            err = b""
            out = []
            while True:
                r, _, _ = select.select([master], [], [], 60)
                if not r:
                    break
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed its side
                    break
                if not chunk:
                    break
                err += chunk
            out = p.stdout.read()
            p.wait(timeout=120)
            os.close(master)
            return p.returncode, out, err

        code, out, err = under_pty([arnn, "predict", model, "--ids", many, "--batch", "64"])
        check(code == 0 and len(out.splitlines()) == 2500, "progress run: exit %d" % code)
        check(b"\rarnn: 2500/2500 sequences" in err and b"/s, " in err and b" left" in err,
              "progress on a terminal: %r" % err[-200:])
        code, out2, err = under_pty([arnn, "predict", model, "--ids", many, "--batch", "64", "--quiet"])
        check(code == 0 and out2 == out and b"\r" not in err and b"sequences" not in err, "--quiet: %r" % err[-200:])
        code, _, err = under_pty([arnn, "predict", model, "--ids", ids])
        check(code == 0 and b"\r" not in err, "few sequences: no progress (%r)" % err[-200:])
        r = run([arnn, "predict", model, "--ids", many, "--batch", "64"])
        check(r.returncode == 0 and r.stderr == b"" and r.stdout == out, "stderr not a terminal: %r" % r.stderr[-200:])
        # texts count too
        with open(many, "w", encoding="utf-8") as f:
            for k in range(2500):
                f.write(text_of(seqs[k % len(seqs)]) + "\n")
        code, out3, err = under_pty([arnn, "predict", model, "--text", many, "--tokenizer", tok])
        check(code == 0 and b"2500/2500 sequences" in err, "progress with --text: %r" % err[-200:])
    if failures:
        sys.exit("%d failures" % failures)
    print("cli --text and progress: all checks pass")


if __name__ == "__main__":
    main()
