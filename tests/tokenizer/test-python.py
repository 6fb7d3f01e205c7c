#!/usr/bin/env python3
"""ctest: python/arnn/tokenizer.py (ctypes over libarnn's tokenizer) against
the Keras reference (reference.py) on a generated corpus, its errors, and one
tokenizer used from 8 threads.
usage: test-python.py PYTHON_DIR LIBARNN_SO      (exit 77: cannot import arnn)"""
import os
import sys
import tempfile
import threading

python_dir, libarnn = sys.argv[1], sys.argv[2]
os.environ["ARNN_LIBRARY"] = libarnn
sys.path.insert(0, python_dir)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref  # noqa: E402

try:
    import arnn.tokenizer as at
except ImportError as e:  # the package's own dependencies (numpy) are missing
    print("skipped: cannot import arnn.tokenizer: %s" % e)
    sys.exit(77)

failures = 0


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print("FAIL: " + msg)


import random  # noqa: E402

rng = random.Random(7)
fit, probe = ref.make_corpus(rng, 800), ref.make_corpus(rng, 2000)
probe += ["", "ΑΣ ΑΣ. Σ", "İSTANBUL STRAẞE ß", "😀東京 😀 東京", "\u00a0\t\n"]
for cfg in ref.CONFIGS:
    k = ref.Tokenizer(**cfg)
    k.fit_on_texts(fit)
    tok = at.from_json(k.to_json())
    check(len(tok) == len(k.word_index), "%r: %d words" % (cfg, len(tok)))
    check(tok.encode(probe) == k.texts_to_sequences(probe), "%r: encode differs from Keras" % cfg)
with tempfile.TemporaryDirectory() as tmp:
    p = os.path.join(tmp, "tok.json")
    k = ref.Tokenizer(oov_token="<OOV>", num_words=30)
    k.fit_on_texts(fit)
    with open(p, "w", encoding="utf-8") as f:
        f.write(k.to_json())
    tok = at.load(p)
    want = k.texts_to_sequences(probe)
    check(tok.encode(probe) == want and tok(probe[:5]) == want[:5], "load(path)")
    # threads: the same tokenizer, the same answers
    results = [None] * 8

    def work(i):
        results[i] = tok.encode(probe)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(all(r == want for r in results), "8 threads")

    def raises(fn, part, status):
        try:
            fn()
        except at.TokenizerError as e:
            check(part in str(e) and e.status == status, "message %r / status %r, want %r / %r"
                  % (str(e), e.status, part, status))
            return
        check(False, "no exception (want %r)" % part)

    raises(lambda: at.load(os.path.join(tmp, "missing.json")), "cannot open", 3)
    raises(lambda: at.from_json('{"class_name": "Tokenizer", "config": {"char_level": true, "word_index": "{}"}}'),
           "char_level", 5)
    raises(lambda: at.from_json("{"), "not a Keras tokenizer JSON", 4)
    raises(lambda: tok.encode("one string"), "list of strings", 1)
    raises(lambda: tok.encode(["ok", b"bytes"]), "text 1", 1)
    raises(lambda: tok.encode(["lone \ud800 surrogate"]), "UTF-8", 1)
    # TextVectorization: the same C code; ngrams give more ids than characters
    import reference_textvec as tvref
    for cfg in ({"output_sequence_length": 6}, {"split": "character", "ngrams": [1, 2, 3]}, {"split": None}):
        vocab = tvref.adapt(fit, 80, **{k: v for k, v in cfg.items() if k != "output_sequence_length"})
        tv = at.from_json(tvref.description(vocab, **cfg))
        kw = {k: v for k, v in cfg.items() if k != "output_sequence_length"}
        want = [tvref.vectorize(t, vocab, **kw) for t in probe]
        check(tv.is_text_vectorization and len(tv) == len(vocab) and tv.truncating == "post", "%r: kind" % cfg)
        check(tv.encode(probe) == want, "%r: encode differs from the reference" % cfg)
        osl = cfg.get("output_sequence_length")
        check(tv.sequence_length == osl, "%r: sequence_length" % cfg)
        check(tv.pad(want) == [tvref.vectorize(t, vocab, osl, **kw) for t in probe], "%r: pad" % cfg)
        check("TextVectorization" in repr(tv), "%r: repr" % cfg)
        if osl:
            check(tv.pad([[5] * 9 + [7]], "pre") == [[5] * (osl - 1) + [7]] and tv.pad([[3]]) == [[3] + [0] * (osl - 1)],
                  "%r: pad pre" % cfg)
    check(tok.truncating == "pre" and not tok.is_text_vectorization and tok.sequence_length is None,
          "Keras Tokenizer: kind")
    raises(lambda: at.from_json('{"class_name": "TextVectorization", "config": {"vocabulary": ["", "[UNK]"], '
                                '"output_mode": "count"}}'), "output_mode", 5)
    if at._Base is not Exception:
        import arnn
        check(issubclass(at.TokenizerError, arnn.Error), "TokenizerError is an arnn.Error")
if failures:
    sys.exit("%d failures" % failures)
print("python tokenizer: all checks pass")
