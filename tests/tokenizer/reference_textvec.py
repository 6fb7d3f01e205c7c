#!/usr/bin/env python3
"""Keras TextVectorization reference (output_mode "int"), written from the
layer's source, compared with arnn's C tokenizer on a generated corpus.

Sources (the same steps in both):
  tf.keras 2.x  keras/layers/preprocessing/text_vectorization.py
                (_preprocess, call), index_lookup.py (_lookup_dense,
                set_vocabulary, finalize_state)
  Keras 3       keras/src/layers/preprocessing/text_vectorization.py,
                keras/src/layers/preprocessing/index_lookup.py
and the TensorFlow kernels they call:
  tf.strings.lower(x)          encoding "" -> absl::AsciiStrToLower
                               (tensorflow/core/kernels/string_lower_op.cc)
  tf.strings.regex_replace     DEFAULT_STRIP_REGEX, replace_global=True
  tf.strings.split(x)          StringSplitV2 with sep "": SplitV2 skips runs of
                               ASCII whitespace (string_split_op.cc)
  tf.strings.unicode_split     one string per code point
  tf.strings.ngrams(x, widths, separator=" ")   no padding

  reference_textvec.py TOKENIZER_TEST   runs `TOKENIZER_TEST --encode TV.json TEXTS`
                                        for several layer configurations and
                                        compares every id.
Standard library only; the corpus is seeded (reference.make_corpus)."""
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402  (the corpus generator)

# text_vectorization.py: DEFAULT_STRIP_REGEX (",-\." is the range , - .)
DEFAULT_STRIP_REGEX = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
# absl::ascii_isspace: space \t \n \v \f \r
TF_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")


def ascii_lower(text):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def preprocess(text, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None):
    """TextVectorization._preprocess for one string -> list of tokens."""
    if standardize in ("lower", "lower_and_strip_punctuation"):
        text = ascii_lower(text)
    if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = re.sub(DEFAULT_STRIP_REGEX, "", text)
    if split == "whitespace":
        tokens = [t for t in TF_WHITESPACE.split(text) if t]
    elif split == "character":
        tokens = list(text)
    else:  # None: the string itself ([N, 1] stays [N, 1])
        tokens = [text]
    if ngrams is not None:
        widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else tuple(ngrams)
        tokens = [" ".join(tokens[i:i + w]) for w in widths for i in range(len(tokens) - w + 1)]
    return tokens


def adapt(texts, max_tokens=None, **kw):
    """IndexLookup.finalize_state: tokens by count, ties by the token's bytes,
    both descending (np.lexsort((tokens, counts))[::-1]), then the first
    max_tokens - 2; the vocabulary is ["", "[UNK]"] + those."""
    counts = Counter()
    for t in texts:
        counts.update(preprocess(t, **kw))
    counts.pop("", None)
    counts.pop("[UNK]", None)
    order = sorted(counts, key=lambda w: (counts[w], w.encode("utf-8")), reverse=True)
    if max_tokens:
        order = order[:max_tokens - 2]
    return ["", "[UNK]"] + order


def lookup(tokens, vocabulary):
    """_lookup_dense: "" (the mask token) -> 0, a vocabulary token -> its
    index, anything else -> 1 (one OOV index)."""
    index = {w: i for i, w in enumerate(vocabulary) if i >= 2}
    return [0 if t == "" else index.get(t, 1) for t in tokens]


def vectorize(text, vocabulary, output_sequence_length=None, **kw):
    """call() for one text: ids, then (with output_sequence_length) cut and
    zero-padded at the end (RaggedTensor.to_tensor(shape=[N, osl]))."""
    ids = lookup(preprocess(text, **kw), vocabulary)
    if output_sequence_length is not None:
        ids = ids[:output_sequence_length] + [0] * max(0, output_sequence_length - len(ids))
    return ids


def description(vocabulary, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                output_sequence_length=None):
    """The tokenizer JSON arnn reads (what arnn-convert writes)."""
    if isinstance(ngrams, int):
        ngrams = list(range(1, ngrams + 1))
    return json.dumps({"class_name": "TextVectorization",
                       "config": {"vocabulary": vocabulary, "standardize": standardize, "split": split,
                                  "ngrams": list(ngrams) if ngrams else None,
                                  "output_sequence_length": output_sequence_length, "output_mode": "int"}},
                      ensure_ascii=False)


CONFIGS = [
    dict(),
    dict(max_tokens=40),
    dict(standardize="lower"),
    dict(standardize="strip_punctuation"),
    dict(standardize=None),
    dict(split="character", max_tokens=300),
    dict(split=None, max_tokens=100),
    dict(ngrams=2, max_tokens=500),
    dict(ngrams=(1, 3), split="character", max_tokens=400),
]

# hand-picked texts: non-ASCII case (ASCII-only lower), Unicode punctuation
# (kept), whitespace kinds (ASCII only), the mask and OOV strings
EXTRA = ["ÉCOLE école ECOLE", "İSTANBUL ıstanbul", "STRAẞE straße SS", "ΣΟΦΊΑ σοφία", "¿Qué? «sí» — no…",
         "a\u00a0b a\u3000b a\u2003b", "tab\there\vv\ff\rr", "   ", "", "[UNK] [unk] UNK", "don't e-mail C++",
         "😀東京 😀 東京", "x" * 300]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: reference_textvec.py TOKENIZER_TEST")
    driver = sys.argv[1]
    rng = random.Random(4242)
    fit = reference.make_corpus(rng, 600) + EXTRA
    probe = reference.make_corpus(rng, 1500) + EXTRA
    # lines are '\n'-separated for the driver: no '\n' inside a text
    probe = [p.replace("\n", " ") for p in probe]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        texts_path = os.path.join(tmp, "texts.txt")
        with open(texts_path, "w", encoding="utf-8", newline="\n") as f:
            for line in probe:
                f.write(line + "\n")
        for ci, cfg in enumerate(CONFIGS):
            kw = {k: v for k, v in cfg.items() if k != "max_tokens"}
            vocab = adapt(fit, cfg.get("max_tokens"), **kw)
            want = [vectorize(t, vocab, **kw) for t in probe]
            tv_path = os.path.join(tmp, "tv%d.json" % ci)
            with open(tv_path, "w", encoding="utf-8") as f:
                f.write(description(vocab, **kw))
            res = subprocess.run([driver, "--encode", tv_path, texts_path], capture_output=True, timeout=120)
            if res.returncode != 0:
                print("config %r: driver failed (%d): %s" % (cfg, res.returncode, res.stderr.decode(errors="replace")))
                failures += 1
                continue
            got = res.stdout.decode().split("\n")[:-1]
            if len(got) != len(want):
                print("config %r: %d lines out, %d texts" % (cfg, len(got), len(want)))
                failures += 1
                continue
            bad = 0
            for i, (g, w) in enumerate(zip(got, want)):
                gi = [int(x) for x in g.split()]
                if gi != w:
                    bad += 1
                    if bad <= 3:
                        print("config %r, text %d %r:\n  keras %r\n  arnn  %r" % (cfg, i, probe[i], w, gi))
            print("config %d %r: %d texts, %d ids, vocabulary %d, %d mismatches" %
                  (ci, cfg, len(want), sum(map(len, want)), len(vocab), bad))
            failures += bad != 0
    if failures:
        sys.exit("%d configurations differ from Keras" % failures)
    print("all TextVectorization configurations match the reference")


if __name__ == "__main__":
    main()
