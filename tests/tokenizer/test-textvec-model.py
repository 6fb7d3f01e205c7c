#!/usr/bin/env python3
"""ctest: a Keras model whose input goes through a TextVectorization layer,
written without TensorFlow in the layouts Keras writes, converted, and run on
raw text:

  tf2    tf.keras 2.x model.save('m.h5') (legacy h5: model_config + model_weights),
         the vocabulary in the layer config (given at construction),
         output_sequence_length 12, Embedding mask_zero=True
  k3     Keras 3 model.save('m.keras'), an adapted layer: vocabulary null in
         config.json and get_vocabulary() in assets/layers/text_vectorization/
         vocabulary.txt (IndexLookup.save_assets), standardize "lower", no
         output_sequence_length (the steps follow the text)

For each: Input(string) -> TextVectorization -> Embedding -> LSTM -> Dense(sigmoid).
 - the converted file carries the tokenizer (padding post), `arnn info` shows it;
 - `arnn predict MODEL --text` (the model's own tokenizer) prints exactly what
   `arnn predict MODEL --ids` prints for the reference ids (reference_textvec.py,
   padded and cut at the end as the layer does), and so does --tokenizer with
   the JSON of --tokenizer-out;
 - Model.predict_text(texts) equals Model.predict(reference ids) bit for bit,
   on the converted file and on the Keras file converted in memory, and the
   float64 numpy forward pass of the Keras model within 1e-5;
 - refused: an adapted layer in a tf.keras .h5 (no vocabulary in the file)
   unless --vocabulary gives it, output_mode multi_hot, a custom standardize,
   a repeated token;
 - a model file whose tokenizer entry is malformed still runs --ids, while
   `arnn info`, --text and Model.tokenizer report the tokenizer's problem.
usage: test-textvec-model.py ARNN_CLI PYTHON_DIR LIBARNN_SO ARNN_CONVERT
(exit 77: numpy / h5py / arnn not importable)"""
import json
import os
import random
import subprocess
import sys
import tempfile
import zipfile

arnn_cli, python_dir, libarnn, arnn_convert = sys.argv[1:5]
os.environ["ARNN_LIBRARY"] = libarnn
sys.path.insert(0, python_dir)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref  # noqa: E402
import reference_textvec as tvref  # noqa: E402

try:
    import h5py
    import numpy as np
    import arnn
except ImportError as e:
    print("skipped: %s" % e)
    sys.exit(77)

failures = 0


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print("FAIL: " + msg)
    return cond


V, E, H, OSL = 60, 8, 6, 12
rng = random.Random(31)
corpus = ref.make_corpus(rng, 300)
texts = [t for t in ref.make_corpus(rng, 120) if t.strip()] + [
    "ÉCOLE école ECOLE!", "İSTANBUL straße STRAẞE", "a\u00a0b\tc\u3000d", "¿Qué? «sí» — no…",
    "[UNK] the THE The", " ".join(["w"] * 40), "!!! ..."]
texts = [t.replace("\r", " ") for t in texts]  # one text per line for the CLI


def lstm_weights(seed):
    r = np.random.default_rng(seed)
    return {"emb": r.normal(0, 0.5, (V, E)), "K": r.normal(0, 0.4, (E, 4 * H)), "R": r.normal(0, 0.4, (H, 4 * H)),
            "b": r.normal(0, 0.2, 4 * H), "D": r.normal(0, 0.6, (H, 1)), "db": r.normal(0, 0.1, 1)}


def forward(w, ids, mask_zero):
    """float64 Keras semantics: Embedding, LSTM (gates i f c o, sigmoid,
    masked steps keep the state), last h, Dense sigmoid."""
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h, c = np.zeros(H), np.zeros(H)
    for t in ids:
        if mask_zero and t == 0:
            continue
        z = w["emb"][t] @ w["K"] + h @ w["R"] + w["b"]
        i, f, g, o = sig(z[:H]), sig(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), sig(z[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
    return sig(h @ w["D"] + w["db"])


def tv_config(name, vocabulary, osl, standardize, k3):
    c = {"name": name, "trainable": True, "dtype": "string", "max_tokens": V, "standardize": standardize,
         "split": "whitespace", "ngrams": None, "output_mode": "int", "output_sequence_length": osl,
         "pad_to_max_tokens": False, "sparse": False, "ragged": False, "vocabulary": vocabulary,
         "idf_weights": None, "encoding": "utf-8"}
    if k3:
        c["vocabulary_size"] = V
    else:
        c["has_input_vocabulary"] = vocabulary is not None
    return c


def rnn_configs(mask_zero):
    emb = {"name": "embedding", "trainable": True, "dtype": "float32", "input_dim": V, "output_dim": E,
           "embeddings_initializer": {"class_name": "RandomUniform", "config": {}}, "mask_zero": mask_zero}
    lstm = {"name": "lstm", "trainable": True, "dtype": "float32", "return_sequences": False, "return_state": False,
            "go_backwards": False, "stateful": False, "unroll": False, "units": H, "activation": "tanh",
            "recurrent_activation": "sigmoid", "use_bias": True, "unit_forget_bias": True, "dropout": 0.0,
            "recurrent_dropout": 0.0}
    dense = {"name": "dense", "trainable": True, "dtype": "float32", "units": 1, "activation": "sigmoid",
             "use_bias": True}
    return emb, lstm, dense


def write_tf2_h5(path, w, tv):
    emb, lstm, dense = rnn_configs(True)
    lstm = dict(lstm, time_major=False, implementation=2)

    def layer(cls, cfg, src):
        return {"class_name": cls, "config": cfg, "name": cfg["name"],
                "inbound_nodes": [[[src, 0, 0, {}]]] if src else []}
    cfg = {"class_name": "Functional", "config": {"name": "model", "layers": [
        layer("InputLayer", {"batch_input_shape": [None, 1], "dtype": "string", "sparse": False, "ragged": False,
                             "name": "text"}, None),
        layer("TextVectorization", tv, "text"), layer("Embedding", emb, "text_vectorization"),
        layer("LSTM", lstm, "embedding"), layer("Dense", dense, "lstm")],
        "input_layers": [["text", 0, 0]], "output_layers": [["dense", 0, 0]]}}
    weights = {"text": [], "text_vectorization": [], "embedding": [("embedding/embeddings:0", w["emb"])],
               "lstm": [("lstm/lstm_cell/kernel:0", w["K"]), ("lstm/lstm_cell/recurrent_kernel:0", w["R"]),
                        ("lstm/lstm_cell/bias:0", w["b"])],
               "dense": [("dense/kernel:0", w["D"]), ("dense/bias:0", w["db"])]}

    def names(ns):
        return np.array([n.encode() for n in ns], dtype="S%d" % max([1] + [len(n) for n in ns]))
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(cfg).encode()
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = names(list(weights))
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = b"2.15.0"
        for lname, ws in weights.items():
            lg = g.create_group(lname)
            lg.attrs["weight_names"] = names([n for n, _ in ws])
            for n, a in ws:
                lg.create_dataset(n, data=np.asarray(a, dtype=np.float32))


def write_k3_keras(path, w, tv, vocabulary_asset):
    emb, lstm, dense = rnn_configs(False)

    def tensor(src, shape, dtype):
        return {"class_name": "__keras_tensor__", "config": {"shape": shape, "dtype": dtype,
                                                             "keras_history": [src, 0, 0]}}

    def layer(cls, cfg, src=None, shape=None, dtype="float32"):
        return {"module": "keras.layers", "class_name": cls, "config": cfg, "registered_name": None,
                "name": cfg["name"],
                "inbound_nodes": [{"args": [tensor(src, shape, dtype)], "kwargs": {}}] if src else []}
    cfg = {"module": "keras.src.models.functional", "class_name": "Functional", "config": {
        "name": "functional", "trainable": True, "layers": [
            layer("InputLayer", {"batch_shape": [None], "dtype": "string", "sparse": False, "name": "text"}),
            layer("TextVectorization", tv, "text", [None], "string"),
            layer("Embedding", emb, "text_vectorization", [None, None], "int64"),
            layer("LSTM", dict(lstm, seed=None), "embedding", [None, None, E]),
            layer("Dense", dense, "lstm", [None, H])],
        "input_layers": [["text", 0, 0]], "output_layers": [["dense", 0, 0]]}, "registered_name": "Functional"}
    import io
    bio = io.BytesIO()
    with h5py.File(bio, "w") as f:
        lg = f.create_group("layers")

        def vars_(g, arrays):
            v = g.create_group("vars")
            for i, a in enumerate(arrays):
                v.create_dataset(str(i), data=np.asarray(a, dtype=np.float32))
        vars_(lg.create_group("input_layer"), [])
        vars_(lg.create_group("text_vectorization"), [])
        vars_(lg.create_group("embedding"), [w["emb"]])
        g = lg.create_group("lstm")
        vars_(g, [])
        vars_(g.create_group("cell"), [w["K"], w["R"], w["b"]])
        vars_(lg.create_group("dense"), [w["D"], w["db"]])
        f.create_group("optimizer").create_group("vars")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "2025-01-01@00:00:00"}))
        z.writestr("config.json", json.dumps(cfg))
        z.writestr("model.weights.h5", bio.getvalue())
        z.writestr("assets/layers/text_vectorization/vocabulary.txt", "\n".join(vocabulary_asset))
        z.writestr("assets/layers/text_vectorization/_lookup_layer/vocabulary.txt", "\n".join(vocabulary_asset))


def run(args, **kw):
    return subprocess.run(args, capture_output=True, timeout=120, **kw)


def convert(src, out, *extra):
    return run([sys.executable, arnn_convert, src, "-o", out] + list(extra))


def refusal(path):
    """The converter's refusal message for a Keras file ("" if it converts)."""
    try:
        arnn.convert(path)
    except arnn.ConversionError as e:
        return str(e)
    return ""


def main():
    with tempfile.TemporaryDirectory() as tmp:
        texts_path = os.path.join(tmp, "texts.txt")
        with open(texts_path, "w", encoding="utf-8", newline="\n") as f:
            for t in texts:
                f.write(t + "\n")
        cases = []
        # tf.keras .h5, the vocabulary given at construction (without the special tokens)
        std = "lower_and_strip_punctuation"
        vocab = tvref.adapt(corpus, V, standardize=std)
        w = lstm_weights(1)
        h5 = os.path.join(tmp, "tf2.h5")
        write_tf2_h5(h5, w, tv_config("text_vectorization", vocab[2:], OSL, std, False))
        cases.append(("tf2", h5, w, vocab, OSL, std, True))
        # Keras 3 .keras, adapted: the vocabulary in the assets
        std3 = "lower"
        vocab3 = tvref.adapt(corpus, V, standardize=std3)
        w3 = lstm_weights(2)
        k3 = os.path.join(tmp, "k3.keras")
        write_k3_keras(k3, w3, tv_config("text_vectorization", None, None, std3, True), vocab3)
        cases.append(("k3", k3, w3, vocab3, None, std3, False))

        for name, src, w, vocab, osl, std, mask_zero in list(cases):
            out = os.path.join(tmp, name + ".safetensors")
            tok_out = os.path.join(tmp, name + "-tokenizer.json")
            r = convert(src, out, "--tokenizer-out", tok_out)
            if not check(r.returncode == 0, "%s: convert failed: %s" % (name, r.stderr.decode(errors="replace"))):
                continue
            check(b"TextVectorization" in r.stderr, "%s: the converter does not mention the tokenizer" % name)
            with open(tok_out, encoding="utf-8") as f:
                desc = json.load(f)
            check(desc["config"]["vocabulary"] == vocab and desc["config"]["output_sequence_length"] == osl and
                  desc["config"]["standardize"] == std, "%s: --tokenizer-out description" % name)
            want_ids = [tvref.vectorize(t, vocab, osl, standardize=std) for t in texts]
            # arnn info
            r = run([arnn_cli, "info", out])
            check(r.returncode == 0 and b"tokenizer      Keras TextVectorization: %d tokens" % len(vocab) in r.stdout,
                  "%s: arnn info: %s" % (name, r.stdout.decode(errors="replace")[-400:]))
            r = run([arnn_cli, "info", "--json", out])
            check(r.returncode == 0 and json.loads(r.stdout)["tokenizer"].startswith("Keras TextVectorization"),
                  "%s: arnn info --json" % name)
            # CLI: --text with the model's tokenizer == --ids of the reference ids
            ids_path = os.path.join(tmp, name + ".ids")
            with open(ids_path, "w") as f:
                for s in want_ids:
                    f.write(" ".join(map(str, s)) + "\n")
            by_ids = run([arnn_cli, "predict", out, "--ids", ids_path, "--threads", "1"])
            by_text = run([arnn_cli, "predict", out, "--text", texts_path, "--threads", "1"])
            by_json = run([arnn_cli, "predict", out, "--text", texts_path, "--tokenizer", tok_out, "--threads", "1"])
            check(by_ids.returncode == 0, "%s: --ids: %s" % (name, by_ids.stderr.decode(errors="replace")))
            check(by_text.returncode == 0 and by_text.stdout == by_ids.stdout,
                  "%s: --text (model tokenizer) differs from --ids: %s" % (name, by_text.stderr.decode(errors="replace")))
            check(by_json.returncode == 0 and by_json.stdout == by_ids.stdout,
                  "%s: --text --tokenizer differs from --ids" % name)
            # Python: predict_text == predict(reference ids), bit for bit; float64 reference
            for label, m in (("file", arnn.load(out)), ("in memory", arnn.load(src))):
                check(m.tokenizer is not None and m.tokenizer.is_text_vectorization and
                      m.tokenizer.sequence_length == osl and len(m.tokenizer) == len(vocab),
                      "%s %s: Model.tokenizer" % (name, label))
                check(m.padding == "post", "%s %s: padding %s" % (name, label, m.padding))
                check((m.info["tokenizer"] or "").startswith("Keras TextVectorization"), "%s: info" % name)
                got = m.predict_text(texts, threads=1)
                ref_in = np.array(want_ids, dtype=np.int32) if osl else want_ids
                want = m.predict(ref_in, threads=1)
                check(np.array_equal(got, want), "%s %s: predict_text differs from predict(ids)" % (name, label))
                f64 = np.array([forward(w, s, mask_zero) for s in want_ids])
                err = float(np.max(np.abs(np.asarray(got, dtype=np.float64).reshape(-1) - f64.reshape(-1))))
                check(err <= 1e-5, "%s %s: |arnn - float64 Keras| = %.3g" % (name, label, err))
                print("%s (%s): %d texts, max |arnn - float64| = %.2e" % (name, label, len(texts), err))
                m.close()
            # a tokenizer given explicitly wins; the truncation rule follows it
            m = arnn.load(out)
            check(np.array_equal(m.predict_text(texts, tokenizer=tok_out, threads=1),
                                 m.predict_text(texts, threads=1)), "%s: tokenizer= path" % name)
            m.close()

        name, src, w, vocab, osl, std, mask_zero = cases[0]
        # --truncating pre / truncating="pre": the last ids of a long text, still padded at the end
        out = os.path.join(tmp, name + ".safetensors")
        pre_ids = []
        for t in texts:
            s_ = tvref.vectorize(t, vocab, None, standardize=std)[-osl:]
            pre_ids.append(s_ + [0] * (osl - len(s_)))
        check(any(len(tvref.vectorize(t, vocab, None, standardize=std)) > osl for t in texts), "some texts are long")
        pre_path = os.path.join(tmp, "pre.ids")
        with open(pre_path, "w") as f:
            for s_ in pre_ids:
                f.write(" ".join(map(str, s_)) + "\n")
        a = run([arnn_cli, "predict", out, "--ids", pre_path, "--threads", "1"])
        b = run([arnn_cli, "predict", out, "--text", texts_path, "--truncating", "pre", "--threads", "1"])
        check(a.returncode == 0 and b.returncode == 0 and a.stdout == b.stdout, "--truncating pre")
        m = arnn.load(out)
        check(np.array_equal(m.predict_text(texts, truncating="pre", threads=1),
                             m.predict(np.array(pre_ids, dtype=np.int32), threads=1)), "predict_text truncating=pre")
        m.close()
        # texts longer than output_sequence_length: the layer keeps the first ids
        long_text = " ".join(vocab[2:2 + 20])
        ids = tvref.vectorize(long_text, vocab, OSL)
        check(ids == list(range(2, 2 + OSL)), "the reference cuts at the end")

        # refused
        h5b = os.path.join(tmp, "adapted.h5")
        write_tf2_h5(h5b, w, tv_config("text_vectorization", None, OSL, std, False))
        check("--vocabulary" in refusal(h5b), "adapted .h5: no mention of --vocabulary")
        vfile = os.path.join(tmp, "vocab.txt")
        with open(vfile, "w", encoding="utf-8") as f:
            f.write("\n".join(vocab) + "\n")
        m = arnn.load(h5b, vocabulary=vfile)
        check(m.tokenizer is not None and len(m.tokenizer) == len(vocab), "adapted .h5 with vocabulary=")
        m.close()
        for what, cfg_change, msg in (
                ("multi_hot", {"output_mode": "multi_hot", "output_sequence_length": None}, b"output_mode"),
                ("custom standardize", {"standardize": {"module": "builtins", "class_name": "function",
                                                        "config": "my_standardize", "registered_name": None}},
                 b"my_standardize"),
                ("repeated token", {"vocabulary": vocab[2:] + [vocab[5]]}, b"repeat")):
            bad = os.path.join(tmp, "bad-%s.h5" % what.replace(" ", "-"))
            write_tf2_h5(bad, w, dict(tv_config("text_vectorization", vocab[2:], OSL, std, False), **cfg_change))
            why = refusal(bad)
            check(msg.decode() in why, "%s: %s" % (what, why))
        # a model file whose tokenizer entry is malformed: the model still runs
        # ids; info, --text and Model.tokenizer report the tokenizer's problem
        with open(os.path.join(tmp, "tf2.safetensors"), "rb") as f:
            data = f.read()
        hlen = int.from_bytes(data[:8], "little")
        header = json.loads(data[8:8 + hlen])
        header["__metadata__"]["tokenizer"] = json.dumps({"class_name": "TextVectorization",
                                                          "config": {"vocabulary": ["", "[UNK]", "a", "a"]}})
        h = json.dumps(header, separators=(",", ":")).encode()
        h += b" " * (-len(h) % 8)
        broken = os.path.join(tmp, "broken.safetensors")
        with open(broken, "wb") as f:
            f.write(len(h).to_bytes(8, "little") + h + data[8 + hlen:])
        r = run([arnn_cli, "info", broken])
        check(r.returncode == 1 and b"model's tokenizer" in r.stderr and b"repeats" in r.stderr,
              "info on a broken tokenizer: %s" % r.stderr.decode(errors="replace"))
        r = run([arnn_cli, "predict", broken, "--text", texts_path])
        check(r.returncode == 1 and b"model's tokenizer" in r.stderr, "--text on a broken tokenizer")
        r = run([arnn_cli, "predict", broken, "--ids", os.path.join(tmp, "tf2.ids")])
        check(r.returncode == 0, "--ids on a model with a broken tokenizer: %s" % r.stderr.decode(errors="replace"))
        m = arnn.load(broken)
        try:
            m.tokenizer
            check(False, "Model.tokenizer of a broken entry does not raise")
        except arnn.Error as e:
            check("repeats" in str(e), "Model.tokenizer: %s" % e)
        m.close()
        # a model without a tokenizer: --text needs --tokenizer
        r = run([arnn_cli, "predict", os.path.join(os.path.dirname(python_dir), "examples", "imdb-mini.safetensors"),
                 "--text", texts_path])
        check(r.returncode != 0 and b"carries no tokenizer" in r.stderr, "--text without a tokenizer: %s"
              % r.stderr.decode(errors="replace"))
    if failures:
        sys.exit("%d failures" % failures)
    print("TextVectorization models: all checks pass")


if __name__ == "__main__":
    main()
