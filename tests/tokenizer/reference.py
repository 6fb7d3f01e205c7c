#!/usr/bin/env python3
"""Keras Tokenizer reference, written from keras_preprocessing/text.py
(text_to_word_sequence, Tokenizer.fit_on_texts, texts_to_sequences_generator,
get_config/to_json), compared with arnn's C tokenizer on a generated corpus.

  reference.py TOKENIZER_TEST    runs `TOKENIZER_TEST --encode TOK.json TEXTS`
                                 for several tokenizer configurations on a
                                 corpus of a few thousand lines (non-ASCII
                                 included) and compares every id.
Standard library only; the corpus is seeded, so a failure reproduces."""
import json
import os
import random
import subprocess
import sys
import tempfile
from collections import OrderedDict

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    # keras_preprocessing.text.text_to_word_sequence (Python 3 branch)
    if lower:
        text = text.lower()
    translate_map = str.maketrans({c: split for c in filters})
    text = text.translate(translate_map)
    seq = text.split(split)
    return [i for i in seq if i]


class Tokenizer:
    """The parts of keras_preprocessing.text.Tokenizer used for word-level
    texts_to_sequences."""

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ", char_level=False,
                 oov_token=None):
        self.num_words, self.filters, self.lower, self.split = num_words, filters, lower, split
        self.char_level, self.oov_token = char_level, oov_token
        self.word_counts = OrderedDict()
        self.word_docs = {}
        self.document_count = 0
        self.word_index = {}
        self.index_word = {}
        self.index_docs = {}

    def fit_on_texts(self, texts):
        for text in texts:
            self.document_count += 1
            seq = text_to_word_sequence(text, self.filters, self.lower, self.split)
            for w in seq:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(seq):
                self.word_docs[w] = self.word_docs.get(w, 0) + 1
        wcounts = list(self.word_counts.items())
        wcounts.sort(key=lambda x: x[1], reverse=True)
        sorted_voc = [] if self.oov_token is None else [self.oov_token]
        sorted_voc.extend(wc[0] for wc in wcounts)
        self.word_index = dict(zip(sorted_voc, list(range(1, len(sorted_voc) + 1))))
        self.index_word = {c: w for w, c in self.word_index.items()}
        for w, c in list(self.word_docs.items()):
            self.index_docs[self.word_index[w]] = c

    def texts_to_sequences(self, texts):
        num_words = self.num_words
        oov_token_index = self.word_index.get(self.oov_token)
        out = []
        for text in texts:
            seq = text_to_word_sequence(text, self.filters, self.lower, self.split)
            vect = []
            for w in seq:
                i = self.word_index.get(w)
                if i is not None:
                    if num_words and i >= num_words:
                        if oov_token_index is not None:
                            vect.append(oov_token_index)
                    else:
                        vect.append(i)
                elif self.oov_token is not None:
                    vect.append(oov_token_index)
            out.append(vect)
        return out

    def to_json(self):
        config = {
            'num_words': self.num_words, 'filters': self.filters, 'lower': self.lower, 'split': self.split,
            'char_level': self.char_level, 'oov_token': self.oov_token, 'document_count': self.document_count,
            'word_counts': json.dumps(self.word_counts), 'word_docs': json.dumps(self.word_docs),
            'index_docs': json.dumps(self.index_docs), 'index_word': json.dumps(self.index_word),
            'word_index': json.dumps(self.word_index)}
        return json.dumps({'class_name': self.__class__.__name__, 'config': config})


WORDS = ("the a film movie great bad Awful GREAT Straße STRASSE straße ẞIG Ärger ärger Öl ÉCOLE école "
         "ΟΔΟΣ ΟΔΟΣ. Σοφία ΣΑΣ Σ ΑΣ'Σ İstanbul istanbul ıi KELVIN K Ⅻ Ⓐ 東京タワー 我喜欢这部电影 😀 👍🏽 "
         "don't it's e-mail C++ 3.14 50% naïve café CAFÉ Ǆ ǅ ǆ ﬁ ΐ Ω Ω Å Å Ⱥ ꭓ").split()
PUNCT = list(DEFAULT_FILTERS) + ["…", "—", "«", "»", "¿", "\u00a0", "\u3000", "\r", "'"]


def make_corpus(rng, n):
    lines = []
    for _ in range(n):
        k = rng.randrange(0, 30)
        parts = []
        for _ in range(k):
            r = rng.random()
            if r < 0.75:
                parts.append(rng.choice(WORDS))
            elif r < 0.9:
                parts.append(rng.choice(PUNCT))
            else:
                parts.append("".join(chr(rng.choice([rng.randrange(0x20, 0x7f), rng.randrange(0xa0, 0x2000),
                                                     rng.randrange(0x3000, 0xa000),
                                                     rng.randrange(0x1f300, 0x1fa00)]))
                                     for _ in range(rng.randrange(1, 6))))
            parts.append(rng.choice([" ", " ", " ", "  ", "\t", "|", "", "-"]))
        line = "".join(parts)
        lines.append(line.replace("\n", " ").replace("\r", " "))
    return lines


CONFIGS = [
    dict(),
    dict(num_words=40),
    dict(oov_token="<OOV>"),
    dict(num_words=25, oov_token="<OOV>"),
    dict(num_words=1, oov_token="<OOV>"),
    dict(lower=False),
    dict(split="|"),
    dict(split="ab", filters=DEFAULT_FILTERS + "é"),
    dict(filters=""),
    dict(filters="ΣσςE", split="-", oov_token="[UNK]"),
]


# Python's and utf8proc's Unicode versions differ (3.11: 14.0, utf8proc 2.8:
# 15.0): a handful of code points may lower-case differently (see arnn.h).
MAX_UNICODE_VERSION_DIFFS = 16


def write_texts(path, texts):
    """The driver's TEXTS file: one text a line, each ended by '\\n'."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in texts:
            f.write(line + "\n")


def compare_encoding(driver, cfg, json_path, texts_path, texts, want):
    """Runs `driver --encode json_path texts_path` and compares its ids, one
    line a text, with want (prints the first three mismatches). The number of
    texts that differ, or None when the driver failed or wrote another number
    of lines."""
    res = subprocess.run([driver, "--encode", json_path, texts_path], capture_output=True, timeout=120)
    if res.returncode != 0:
        print("config %r: driver failed (%d): %s" % (cfg, res.returncode, res.stderr.decode(errors="replace")))
        return None
    got = res.stdout.decode().split("\n")[:-1]
    if len(got) != len(want):
        print("config %r: %d lines out, %d texts" % (cfg, len(got), len(want)))
        return None
    bad = 0
    for i, (g, w) in enumerate(zip(got, want)):
        gi = [int(x) for x in g.split()]
        if gi != w:
            bad += 1
            if bad <= 3:
                print("config %r, text %d %r:\n  keras %r\n  arnn  %r" % (cfg, i, texts[i], w, gi))
    return bad


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: reference.py TOKENIZER_TEST")
    driver = sys.argv[1]
    rng = random.Random(20240)
    fit = make_corpus(rng, 1500)
    probe = make_corpus(rng, 3000)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        texts_path = os.path.join(tmp, "texts.txt")
        write_texts(texts_path, probe)
        for ci, cfg in enumerate(CONFIGS):
            tok = Tokenizer(**cfg)
            tok.fit_on_texts(fit)
            want = tok.texts_to_sequences(probe)
            tok_path = os.path.join(tmp, "tok%d.json" % ci)
            with open(tok_path, "w", encoding="utf-8") as f:
                f.write(tok.to_json())
            bad = compare_encoding(driver, cfg, tok_path, texts_path, probe, want)
            if bad is None:
                failures += 1
                continue
            n_ids = sum(len(w) for w in want)
            print("config %d %r: %d texts, %d ids, %d vocabulary, %d mismatches" %
                  (ci, cfg, len(want), n_ids, len(tok.word_index), bad))
            failures += bad != 0
        # str.lower() of every code point below U+1F200 (all letters with a
        # case are there) and a sample above: one per line, alone, after "AΣ"
        # and before "Σ" (the Final_Sigma context: is it cased or
        # case-ignorable?). U+0000 is
        # left out: the JSON reader refuses "\u0000" in word_index.
        every = [chr(c) for c in list(range(1, 0x1F200)) + list(range(0x1F200, 0x110000, 97))
                 if not 0xD800 <= c <= 0xDFFF and c not in (0x0A, 0x0D, 0x20)]
        lines = every + ["AΣ" + ch for ch in every] + [ch + "Σ" for ch in every]
        write_texts(texts_path, lines)
        tok = Tokenizer(filters="")
        tok.fit_on_texts(lines)
        want = tok.texts_to_sequences(lines)
        tok_path = os.path.join(tmp, "every.json")
        with open(tok_path, "w", encoding="utf-8") as f:
            f.write(tok.to_json())
        res = subprocess.run([driver, "--encode", tok_path, texts_path], capture_output=True, timeout=300)
        got = res.stdout.decode().split("\n")[:-1]
        diff = [i for i, (g, w) in enumerate(zip(got, want)) if [int(x) for x in g.split()] != w]
        if res.returncode != 0 or len(got) != len(want):
            print("every code point: driver failed (%d)" % res.returncode)
            failures += 1
        else:
            for i in diff[:10]:
                print("lower(%r): python %r" % (lines[i], lines[i].lower()))
            print("every code point: %d texts, %d differ from Python %s's str.lower()" %
                  (len(lines), len(diff), sys.version.split()[0]))
            failures += len(diff) > MAX_UNICODE_VERSION_DIFFS
    if failures:
        sys.exit("%d configurations differ from Keras" % failures)
    print("all configurations match the Keras reference")


if __name__ == "__main__":
    main()
