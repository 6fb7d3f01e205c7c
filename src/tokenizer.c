/* The Keras Tokenizer (keras_preprocessing/text.py, also keras.preprocessing.text):
 * a Tokenizer.to_json() document read with the bounded JSON reader, and
 * texts_to_sequences for word-level tokenizers; and the Keras TextVectorization
 * layer in output_mode "int" (its vocabulary and settings, as the converter
 * writes them). See arnn.h for the contract.
 *
 * Keras, per text (texts_to_sequences_generator -> text_to_word_sequence):
 *   if lower: text = text.lower()
 *   text = text.translate({c: split for c in filters})
 *   seq = [w for w in text.split(split) if w]
 *   for w in seq: i = word_index.get(w)
 *     i found:   if num_words and i >= num_words: append oov index if oov_token
 *                else append i
 *     not found: append oov index if oov_token is not None
 * Lower-casing comes before the filters, so a filter character only matters
 * in its lower-case form. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"
#include "json.h"

#ifdef ARNN_HAVE_UTF8PROC
#include <utf8proc.h>
#endif

enum { KIND_TOKENIZER, KIND_TEXT_VECTORIZATION };
enum { TV_SPLIT_NONE, TV_SPLIT_WHITESPACE, TV_SPLIT_CHARACTER };
#define TV_MAX_NGRAMS 16      /* widths listed in ngrams */
#define TV_MAX_NGRAM_WIDTH 64

struct arnn_tokenizer {
  int kind;
  /* TextVectorization */
  int tv_lower, tv_strip, tv_split;
  size_t sequence_length; /* output_sequence_length, 0 = none */
  int ngram_width[TV_MAX_NGRAMS];
  size_t n_ngrams;        /* 0: ngrams = None */
  /* Tokenizer */
  int lower;
  int64_t num_words;  /* 0: no cutoff (Keras: `if num_words and ...`) */
  int oov_id;         /* word_index[oov_token], or -1 without an oov_token */
  uint32_t *filters;  /* code points, sorted */
  size_t n_filters;
  char *split;        /* UTF-8, not empty */
  size_t split_len;
  /* word_index: open addressing over `slots` (a power of two) */
  size_t slots, n_words;
  uint32_t *slot_word;  /* index + 1 into words, 0 = empty */
  const char **word;    /* [n_words] into text */
  uint32_t *word_len;
  int *word_id;
  char *text;           /* the words' bytes */
};

static void set_err(char *errbuf, size_t size, const char *fmt, const char *a) {
  if (errbuf && size) snprintf(errbuf, size, fmt, a);
}

static uint64_t hash_bytes(const char *s, size_t n) { /* FNV-1a */
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

static const uint32_t *find_slot(const arnn_tokenizer *t, const char *w, size_t n, size_t *slot) {
  size_t i = (size_t)hash_bytes(w, n) & (t->slots - 1);
  for (;;) {
    const uint32_t k = t->slot_word[i];
    if (!k) break;
    if (t->word_len[k - 1] == n && memcmp(t->word[k - 1], w, n) == 0) break;
    i = (i + 1) & (t->slots - 1);
  }
  *slot = i;
  return &t->slot_word[i];
}

/* word_index.get(w): the id, or -1. */
static int lookup(const arnn_tokenizer *t, const char *w, size_t n) {
  if (n > ARNN_TOKENIZER_MAX_WORD_BYTES) return -1; /* no word that long was loaded */
  size_t slot;
  const uint32_t k = *find_slot(t, w, n, &slot);
  return k ? t->word_id[k - 1] : -1;
}

/* Next code point of valid UTF-8 (RFC 3629), or -1: s[*i..n). */
static int32_t utf8_next(const unsigned char *s, size_t n, size_t *i) {
  const unsigned c = s[*i];
  size_t len;
  uint32_t min, cp;
  if (c < 0x80) {
    (*i)++;
    return (int32_t)c;
  }
  if ((c & 0xE0) == 0xC0) len = 2, min = 0x80, cp = c & 0x1F;
  else if ((c & 0xF0) == 0xE0) len = 3, min = 0x800, cp = c & 0x0F;
  else if ((c & 0xF8) == 0xF0) len = 4, min = 0x10000, cp = c & 0x07;
  else return -1;
  if (n - *i < len) return -1;
  for (size_t k = 1; k < len; k++) {
    if ((s[*i + k] & 0xC0) != 0x80) return -1;
    cp = cp << 6 | (s[*i + k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  *i += len;
  return (int32_t)cp;
}

static size_t utf8_put(char *o, uint32_t cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | cp >> 6);
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | cp >> 18);
  o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static int cmp_u32(const void *a, const void *b) {
  const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static int is_filter(const arnn_tokenizer *t, uint32_t cp) {
  size_t lo = 0, hi = t->n_filters;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (t->filters[mid] == cp) return 1;
    if (t->filters[mid] < cp) lo = mid + 1;
    else hi = mid;
  }
  return 0;
}

#ifdef ARNN_HAVE_UTF8PROC
/* Python's str.lower() (Objects/unicodeobject.c, lower_ucs4): the full
 * lower-case mapping, which differs from the simple one (utf8proc_tolower)
 * for U+0130 only (SpecialCasing.txt: İ -> "i̇"), and U+03A3 Σ in the
 * Final_Sigma context (handle_capital_sigma) -> ς, else σ. Final_Sigma:
 * preceded by a cased letter (skipping case-ignorable ones) and not followed
 * by one, over the whole text. */
static int is_cased(int32_t c) {
  /* Cased = Lowercase | Uppercase | Lt. utf8proc has no Other_Lowercase /
   * Other_Uppercase property: letters with a case mapping cover most of them
   * (Roman numerals, circled letters), the modifier letters (Lm: ʰ ...) are
   * case-ignorable, which Final_Sigma tests first; that leaves the two
   * Other_Lowercase letters of category Lo, ª and º, and the Other_Uppercase
   * squared Latin letters (So) U+1F130..1F189 (tests/tokenizer/reference.py
   * checks every code point in both Σ contexts). */
  if (c == 0xAA || c == 0xBA || (c >= 0x1F130 && c <= 0x1F149) || (c >= 0x1F150 && c <= 0x1F169) ||
      (c >= 0x1F170 && c <= 0x1F189))
    return 1;
  switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT: return 1;
    default: return utf8proc_tolower(c) != c || utf8proc_toupper(c) != c;
  }
}

static int is_case_ignorable(int32_t c) {
  /* Case_Ignorable (Unicode 3.13, D136): Mn, Me, Cf, Lm, Sk, and the
   * Word_Break classes MidLetter, MidNumLet and Single_Quote */
  switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_SK: return 1;
    default: break;
  }
  static const int32_t word_break_mid[] = {0x27,   0x2E,   0x3A,   0xB7,   0x387,  0x55F,  0x5F4,  0x2018, 0x2019,
                                           0x2024, 0x2027, 0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A};
  for (size_t i = 0; i < sizeof word_break_mid / sizeof word_break_mid[0]; i++)
    if (word_break_mid[i] == c) return 1;
  return 0;
}

static int final_sigma(const int32_t *cp, size_t n, size_t i) {
  size_t j = i;
  while (j > 0 && is_case_ignorable(cp[j - 1])) j--;
  if (j == 0 || !is_cased(cp[j - 1])) return 0;
  j = i + 1;
  while (j < n && is_case_ignorable(cp[j])) j++;
  return j == n || !is_cased(cp[j]);
}
#endif

/* ---- loading ---- */

static arnn_status bad(char *errbuf, size_t size, const char *fmt, const char *a) {
  set_err(errbuf, size, fmt, a);
  return ARNN_ERR_MALFORMED_MODEL;
}

/* A JSON boolean, or a number (Python truthiness: `if self.lower:`). */
static int truthy(const json_value *v, int *out) {
  if (v->type == JSON_TRUE || v->type == JSON_FALSE) *out = v->type == JSON_TRUE;
  else if (v->type == JSON_NUMBER) *out = v->number != 0;
  else return 0;
  return 1;
}

/* The word table for n words of `bytes` bytes in all. */
static arnn_status alloc_words(arnn_tokenizer *t, size_t n, size_t bytes, char *errbuf, size_t size) {
  t->n_words = n;
  t->slots = 16;
  while (t->slots < 2 * n) t->slots *= 2;
  t->slot_word = calloc(t->slots, sizeof *t->slot_word);
  t->word = malloc((n + 1) * sizeof *t->word);
  t->word_len = malloc((n + 1) * sizeof *t->word_len);
  t->word_id = malloc((n + 1) * sizeof *t->word_id);
  t->text = malloc(bytes + 1);
  if (!t->slot_word || !t->word || !t->word_len || !t->word_id || !t->text) {
    set_err(errbuf, size, "out of memory for the vocabulary%s", "");
    return ARNN_ERR_OUT_OF_MEMORY;
  }
  return ARNN_OK;
}

/* Word i of the table (its bytes copied at *p); 0, or -1 when it is there already. */
static int add_word(arnn_tokenizer *t, size_t i, const char *w, size_t n, int id, char **p) {
  size_t slot;
  if (*find_slot(t, w, n, &slot)) return -1;
  memcpy(*p, w, n);
  t->word[i] = *p;
  t->word_len[i] = (uint32_t)n;
  t->word_id[i] = id;
  t->slot_word[slot] = (uint32_t)i + 1;
  *p += n;
  return 0;
}

static arnn_status load_word_index(arnn_tokenizer *t, const json_value *wi_text, char *errbuf, size_t size) {
  char err[200];
  json_doc *doc = NULL;
  if (arnn_json_parse_large(wi_text->string, wi_text->n, ARNN_TOKENIZER_MAX_WORDS, &doc, err, sizeof err) != 0)
    return bad(errbuf, size, "config.word_index (a JSON document in a string): %s", err);
  const json_value *wi = arnn_json_root(doc);
  arnn_status st = ARNN_OK;
  if (wi->type != JSON_OBJECT) {
    st = bad(errbuf, size, "config.word_index must hold a JSON object {word: id}%s", "");
    goto out;
  }
  size_t bytes = 0;
  for (size_t i = 0; i < wi->n; i++) bytes += strlen(wi->keys[i]);
  st = alloc_words(t, wi->n, bytes, errbuf, size);
  if (st != ARNN_OK) goto out;
  char *p = t->text;
  for (size_t i = 0; i < wi->n; i++) {
    const char *w = wi->keys[i];
    const size_t n = strlen(w);
    const json_value *v = &wi->items[i];
    char shown[80];
    snprintf(shown, sizeof shown, "word %zu of config.word_index", i + 1);
    if (n > ARNN_TOKENIZER_MAX_WORD_BYTES) {
      st = bad(errbuf, size, "%s is longer than ARNN_TOKENIZER_MAX_WORD_BYTES", shown);
      goto out;
    }
    if (v->type != JSON_NUMBER || !v->is_integer || v->integer < 0 || v->integer > INT32_MAX) {
      st = bad(errbuf, size, "%s: its id must be an integer in [0, 2^31)", shown);
      goto out;
    }
    if (add_word(t, i, w, n, (int)v->integer, &p) != 0) {
      st = bad(errbuf, size, "%s appears twice", shown);
      goto out;
    }
  }
out:
  arnn_json_free(doc);
  return st;
}

/* ---- TextVectorization ----
 *
 * The description (docs/tokenizer.md, arnn.h):
 *   {"class_name": "TextVectorization", "config": {"vocabulary": ["", "[UNK]", tokens...],
 *    "standardize": "lower_and_strip_punctuation" | "lower" | "strip_punctuation" | null,
 *    "split": "whitespace" | "character" | null, "ngrams": null | [widths...],
 *    "output_sequence_length": null | integer >= 1, "output_mode": "int"}}
 * Every key of config but vocabulary may be left out (the layer's defaults);
 * any other key is refused. The vocabulary is get_vocabulary()'s list: index
 * = id; 0 is the mask token "" and 1 the OOV token "[UNK]" (the layer's
 * StringLookup has mask_token="", oov_token="[UNK]", num_oov_indices=1,
 * keras/src/layers/preprocessing/index_lookup.py _oov_start_index /
 * _token_start_index); set_vocabulary refuses a repeated token and the mask
 * token past index 0 (a literal "[UNK]" past index 1 is an ordinary token
 * there, as invert=False allows it). */
static const char *const tv_keys[] = {"vocabulary", "standardize", "split", "ngrams", "output_sequence_length",
                                      "output_mode"};

static arnn_status parse_text_vectorization(arnn_tokenizer *t, const json_value *cfg, char *errbuf, size_t size) {
  t->kind = KIND_TEXT_VECTORIZATION;
  for (size_t i = 0; i < cfg->n; i++) {
    size_t k = 0;
    while (k < sizeof tv_keys / sizeof tv_keys[0] && strcmp(cfg->keys[i], tv_keys[k]) != 0) k++;
    if (k == sizeof tv_keys / sizeof tv_keys[0])
      return bad(errbuf, size,
                 "TextVectorization config: unknown key \"%.64s\" (vocabulary, standardize, split, ngrams, "
                 "output_sequence_length, output_mode)",
                 cfg->keys[i]);
  }
  const json_value *v = arnn_json_get(cfg, "output_mode");
  if (v && (v->type != JSON_STRING || strcmp(v->string, "int") != 0)) {
    set_err(errbuf, size,
            "TextVectorization output_mode must be \"int\" (multi_hot, count, tf_idf and one_hot give no "
            "token ids)%s",
            "");
    return ARNN_ERR_UNSUPPORTED;
  }
  /* standardize: keras/src/layers/preprocessing/text_vectorization.py _preprocess */
  t->tv_lower = t->tv_strip = 1;
  v = arnn_json_get(cfg, "standardize");
  if (v && v->type == JSON_NULL) {
    t->tv_lower = t->tv_strip = 0;
  } else if (v) {
    if (v->type != JSON_STRING)
      return bad(errbuf, size,
                 "TextVectorization standardize must be \"lower_and_strip_punctuation\", \"lower\", "
                 "\"strip_punctuation\" or null (a custom function cannot be run)%s",
                 "");
    if (!strcmp(v->string, "lower")) t->tv_strip = 0;
    else if (!strcmp(v->string, "strip_punctuation")) t->tv_lower = 0;
    else if (strcmp(v->string, "lower_and_strip_punctuation") != 0)
      return bad(errbuf, size,
                 "TextVectorization standardize must be \"lower_and_strip_punctuation\", \"lower\", "
                 "\"strip_punctuation\" or null%s",
                 "");
  }
  t->tv_split = TV_SPLIT_WHITESPACE;
  v = arnn_json_get(cfg, "split");
  if (v && v->type == JSON_NULL) {
    t->tv_split = TV_SPLIT_NONE;
  } else if (v) {
    if (v->type == JSON_STRING && !strcmp(v->string, "whitespace")) t->tv_split = TV_SPLIT_WHITESPACE;
    else if (v->type == JSON_STRING && !strcmp(v->string, "character")) t->tv_split = TV_SPLIT_CHARACTER;
    else
      return bad(errbuf, size,
                 "TextVectorization split must be \"whitespace\", \"character\" or null (a custom function "
                 "cannot be run)%s",
                 "");
  }
  v = arnn_json_get(cfg, "ngrams");
  if (v && v->type != JSON_NULL) {
    if (v->type != JSON_ARRAY || v->n == 0 || v->n > TV_MAX_NGRAMS)
      return bad(errbuf, size, "TextVectorization ngrams must be null or a list of 1 to 16 widths%s", "");
    for (size_t i = 0; i < v->n; i++) {
      const json_value *w = &v->items[i];
      if (w->type != JSON_NUMBER || !w->is_integer || w->integer < 1 || w->integer > TV_MAX_NGRAM_WIDTH)
        return bad(errbuf, size, "TextVectorization ngrams: each width must be an integer in [1, 64]%s", "");
      t->ngram_width[t->n_ngrams++] = (int)w->integer;
    }
  }
  v = arnn_json_get(cfg, "output_sequence_length");
  if (v && v->type != JSON_NULL) {
    if (v->type != JSON_NUMBER || !v->is_integer || v->integer < 1 || v->integer > ARNN_TOKENIZER_MAX_SEQUENCE_LENGTH)
      return bad(errbuf, size,
                 "TextVectorization output_sequence_length must be null or an integer in [1, "
                 "ARNN_TOKENIZER_MAX_SEQUENCE_LENGTH]%s",
                 "");
    t->sequence_length = (size_t)v->integer;
  }
  v = arnn_json_get(cfg, "vocabulary");
  if (!v) return bad(errbuf, size, "TextVectorization config.vocabulary is missing%s", "");
  if (v->type != JSON_ARRAY)
    return bad(errbuf, size, "TextVectorization config.vocabulary must be a list of strings%s", "");
  if (v->n < 2 || v->items[0].type != JSON_STRING || v->items[0].n != 0 || v->items[1].type != JSON_STRING ||
      strcmp(v->items[1].string, "[UNK]") != 0)
    return bad(errbuf, size,
               "TextVectorization config.vocabulary must start with \"\" (id 0, the mask token) and \"[UNK]\" "
               "(id 1, the OOV token), as get_vocabulary() lists them%s",
               "");
  if (v->n > ARNN_TOKENIZER_MAX_WORDS)
    return bad(errbuf, size, "TextVectorization config.vocabulary has more than ARNN_TOKENIZER_MAX_WORDS tokens%s",
               "");
  size_t bytes = 0;
  for (size_t i = 2; i < v->n; i++) {
    const json_value *w = &v->items[i];
    char shown[96];
    snprintf(shown, sizeof shown, "TextVectorization config.vocabulary[%zu]", i);
    if (w->type != JSON_STRING) return bad(errbuf, size, "%s is not a string", shown);
    if (w->n == 0) return bad(errbuf, size, "%s is the mask token \"\" (Keras allows it only at index 0)", shown);
    if (w->n > ARNN_TOKENIZER_MAX_WORD_BYTES)
      return bad(errbuf, size, "%s is longer than ARNN_TOKENIZER_MAX_WORD_BYTES", shown);
    bytes += w->n;
  }
  arnn_status st = alloc_words(t, v->n - 2, bytes, errbuf, size);
  if (st != ARNN_OK) return st;
  char *p = t->text;
  for (size_t i = 2; i < v->n; i++) {
    if (add_word(t, i - 2, v->items[i].string, v->items[i].n, (int)i, &p) != 0) {
      char shown[96];
      snprintf(shown, sizeof shown, "TextVectorization config.vocabulary[%zu]", i);
      return bad(errbuf, size, "%s repeats an earlier token (Keras refuses a repeated term)", shown);
    }
  }
  return ARNN_OK;
}

static arnn_status parse_tokenizer(arnn_tokenizer *t, const json_value *root, char *errbuf, size_t size) {
  if (root->type != JSON_OBJECT) return bad(errbuf, size, "not a Keras tokenizer: the document is not a JSON object%s", "");
  const json_value *cls = arnn_json_get(root, "class_name");
  const int tv = cls && cls->type == JSON_STRING && strcmp(cls->string, "TextVectorization") == 0;
  if (!tv && (!cls || cls->type != JSON_STRING || strcmp(cls->string, "Tokenizer") != 0))
    return bad(errbuf, size,
               "not a Keras tokenizer: class_name must be \"Tokenizer\" (the output of Tokenizer.to_json()) or "
               "\"TextVectorization\" (as arnn-convert writes it)%s",
               "");
  const json_value *cfg = arnn_json_get(root, "config");
  if (!cfg || cfg->type != JSON_OBJECT) return bad(errbuf, size, "the tokenizer has no \"config\" object%s", "");
  if (tv) {
    for (size_t i = 0; i < root->n; i++)
      if (strcmp(root->keys[i], "class_name") != 0 && strcmp(root->keys[i], "config") != 0)
        return bad(errbuf, size, "TextVectorization description: unknown key \"%.64s\" (class_name, config)",
                   root->keys[i]);
    return parse_text_vectorization(t, cfg, errbuf, size);
  }

  const json_value *v = arnn_json_get(cfg, "char_level");
  int flag = 0;
  if (v && v->type != JSON_NULL && !truthy(v, &flag)) return bad(errbuf, size, "config.char_level must be a boolean%s", "");
  if (flag) {
    set_err(errbuf, size, "char_level=true tokenizers are not supported (word-level only)%s", "");
    return ARNN_ERR_UNSUPPORTED;
  }
  t->lower = 1; /* Tokenizer's defaults for keys a hand-written file may omit */
  v = arnn_json_get(cfg, "lower");
  if (v && !truthy(v, &t->lower)) return bad(errbuf, size, "config.lower must be a boolean%s", "");

  /* split: Python's str.split refuses an empty separator */
  v = arnn_json_get(cfg, "split");
  const char *split = " ";
  if (v) {
    if (v->type != JSON_STRING || v->n == 0) return bad(errbuf, size, "config.split must be a non-empty string%s", "");
    if (v->n > ARNN_TOKENIZER_MAX_SPLIT_BYTES)
      return bad(errbuf, size, "config.split is longer than ARNN_TOKENIZER_MAX_SPLIT_BYTES%s", "");
    split = v->string;
  }
  t->split_len = strlen(split);
  if (t->split_len == 0) return bad(errbuf, size, "config.split must be a non-empty string%s", "");
  t->split = malloc(t->split_len + 1);
  if (!t->split) return ARNN_ERR_OUT_OF_MEMORY;
  memcpy(t->split, split, t->split_len + 1);

  /* filters: each code point of the string (Python iterates a str by code point) */
  v = arnn_json_get(cfg, "filters");
  const char *filters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";
  size_t flen = strlen(filters);
  if (v) {
    if (v->type != JSON_STRING) return bad(errbuf, size, "config.filters must be a string%s", "");
    filters = v->string;
    flen = v->n;
  }
  if (flen > ARNN_TOKENIZER_MAX_FILTER_BYTES)
    return bad(errbuf, size, "config.filters is longer than ARNN_TOKENIZER_MAX_FILTER_BYTES%s", "");
  t->filters = malloc((flen + 1) * sizeof *t->filters);
  if (!t->filters) return ARNN_ERR_OUT_OF_MEMORY;
  for (size_t i = 0; i < flen;) {
    const int32_t cp = utf8_next((const unsigned char *)filters, flen, &i);
    if (cp < 0) return bad(errbuf, size, "config.filters is not valid UTF-8%s", ""); /* the reader validated it */
    t->filters[t->n_filters++] = (uint32_t)cp;
  }
  qsort(t->filters, t->n_filters, sizeof *t->filters, cmp_u32);

  v = arnn_json_get(cfg, "num_words");
  if (v && v->type != JSON_NULL) {
    if (v->type != JSON_NUMBER || !v->is_integer) return bad(errbuf, size, "config.num_words must be an integer or null%s", "");
    t->num_words = v->integer;
  }

  v = arnn_json_get(cfg, "word_index");
  if (!v) return bad(errbuf, size, "config.word_index is missing%s", "");
  /* to_json() writes word_index as a string holding JSON; accept the object
   * itself too */
  arnn_status st;
  if (v->type == JSON_STRING) {
    st = load_word_index(t, v, errbuf, size);
  } else if (v->type == JSON_OBJECT) {
    return bad(errbuf, size, "config.word_index must be a string holding JSON, as Tokenizer.to_json() writes it%s", "");
  } else {
    return bad(errbuf, size, "config.word_index must be a string holding a JSON object%s", "");
  }
  if (st != ARNN_OK) return st;

  t->oov_id = -1;
  v = arnn_json_get(cfg, "oov_token");
  if (v && v->type != JSON_NULL) {
    if (v->type != JSON_STRING) return bad(errbuf, size, "config.oov_token must be a string or null%s", "");
    /* Keras appends word_index.get(oov_token), None when it is absent: such a
     * tokenizer cannot give a sequence of ids, so it is refused here */
    t->oov_id = lookup(t, v->string, v->n);
    if (t->oov_id < 0)
      return bad(errbuf, size, "config.oov_token is not in config.word_index (Keras would emit None for unknown words)%s", "");
  }
  return ARNN_OK;
}

arnn_status arnn_tokenizer_load_memory(const void *data, size_t size, arnn_tokenizer **out, char *errbuf,
                                       size_t errbuf_size) {
  if (errbuf && errbuf_size) errbuf[0] = '\0';
  if (!out) {
    set_err(errbuf, errbuf_size, "NULL tokenizer pointer%s", "");
    return ARNN_ERR_INVALID_ARGUMENT;
  }
  *out = NULL;
  if (!data && size) {
    set_err(errbuf, errbuf_size, "NULL data%s", "");
    return ARNN_ERR_INVALID_ARGUMENT;
  }
#ifndef ARNN_HAVE_UTF8PROC
  /* no case mapping, so no tokenizer (the reader and encoder stay compiled) */
  (void)parse_tokenizer;
  (void)is_filter;
  (void)utf8_put;
  set_err(errbuf, errbuf_size, "this arnn was built without utf8proc: no tokenizer%s", "");
  return ARNN_ERR_UNSUPPORTED;
#else
  if (size > ARNN_TOKENIZER_MAX_FILE_BYTES) {
    set_err(errbuf, errbuf_size, "tokenizer JSON larger than ARNN_TOKENIZER_MAX_FILE_BYTES%s", "");
    return ARNN_ERR_MALFORMED_MODEL;
  }
  char err[200];
  json_doc *doc = NULL;
  if (arnn_json_parse(data, size, &doc, err, sizeof err) != 0) {
    char msg[240];
    snprintf(msg, sizeof msg, "not a Keras tokenizer JSON: %s", err);
    for (char *q = msg; *q; q++)
      if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e) *q = '?';
    set_err(errbuf, errbuf_size, "%s", msg);
    return ARNN_ERR_MALFORMED_MODEL;
  }
  arnn_tokenizer *t = calloc(1, sizeof *t);
  arnn_status st = t ? parse_tokenizer(t, arnn_json_root(doc), errbuf, errbuf_size) : ARNN_ERR_OUT_OF_MEMORY;
  arnn_json_free(doc);
  if (st == ARNN_ERR_OUT_OF_MEMORY && errbuf && errbuf_size && !errbuf[0]) set_err(errbuf, errbuf_size, "out of memory%s", "");
  /* a message never carries the file's raw bytes (the JSON reader quotes a
   * duplicate key): anything but printable ASCII becomes '?' */
  if (errbuf)
    for (size_t i = 0; i < errbuf_size && errbuf[i]; i++)
      if ((unsigned char)errbuf[i] < 0x20 || (unsigned char)errbuf[i] > 0x7e) errbuf[i] = '?';
  if (st != ARNN_OK) {
    arnn_tokenizer_free(t);
    return st;
  }
  *out = t;
  return ARNN_OK;
#endif
}

/* The checks and fopen both file loaders start with; what names the file
 * in the message ("tokenizer", "model"). */
static arnn_status open_for_load(const char *path, arnn_tokenizer **out, const char *what, FILE **f, char *errbuf,
                                 size_t errbuf_size) {
  if (errbuf && errbuf_size) errbuf[0] = '\0';
  if (out) *out = NULL;
  if (!path || !out) {
    set_err(errbuf, errbuf_size, "NULL path or tokenizer pointer%s", "");
    return ARNN_ERR_INVALID_ARGUMENT;
  }
  *f = fopen(path, "rb");
  if (!*f) {
    set_err(errbuf, errbuf_size, "cannot open the %s file", what);
    return ARNN_ERR_IO;
  }
  return ARNN_OK;
}

arnn_status arnn_tokenizer_load(const char *path, arnn_tokenizer **out, char *errbuf, size_t errbuf_size) {
  FILE *f = NULL;
  const arnn_status opened = open_for_load(path, out, "tokenizer", &f, errbuf, errbuf_size);
  if (opened != ARNN_OK) return opened;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  arnn_status st = ARNN_OK;
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    if (cap > ARNN_TOKENIZER_MAX_FILE_BYTES) {
      st = ARNN_ERR_MALFORMED_MODEL;
      set_err(errbuf, errbuf_size, "tokenizer file larger than ARNN_TOKENIZER_MAX_FILE_BYTES%s", "");
      break;
    }
    char *bigger = realloc(buf, cap * 2);
    if (!bigger) free(buf);
    buf = bigger;
    cap *= 2;
  }
  if (!buf) {
    st = ARNN_ERR_OUT_OF_MEMORY;
    set_err(errbuf, errbuf_size, "out of memory reading the tokenizer file%s", "");
  } else if (st == ARNN_OK && ferror(f)) {
    st = ARNN_ERR_IO;
    set_err(errbuf, errbuf_size, "cannot read the tokenizer file%s", "");
  }
  fclose(f);
  if (st == ARNN_OK) st = arnn_tokenizer_load_memory(buf, n, out, errbuf, errbuf_size);
  free(buf);
  return st;
}

void arnn_tokenizer_free(arnn_tokenizer *t) {
  if (!t) return;
  free(t->filters);
  free(t->split);
  free(t->slot_word);
  free(t->word);
  free(t->word_len);
  free(t->word_id);
  free(t->text);
  free(t);
}

size_t arnn_tokenizer_num_words(const arnn_tokenizer *t) {
  if (!t) return 0;
  return t->kind == KIND_TEXT_VECTORIZATION ? t->n_words + 2 : t->n_words;
}

int arnn_tokenizer_is_text_vectorization(const arnn_tokenizer *t) { return t && t->kind == KIND_TEXT_VECTORIZATION; }

size_t arnn_tokenizer_sequence_length(const arnn_tokenizer *t) { return t ? t->sequence_length : 0; }

size_t arnn_tokenizer_max_ids(const arnn_tokenizer *t, size_t len) {
  if (!t || len >= SIZE_MAX / (TV_MAX_NGRAMS + 1)) return 0;
  return (len + 1) * (t->n_ngrams ? t->n_ngrams : 1);
}

size_t arnn_tokenizer_describe(const arnn_tokenizer *t, char *buf, size_t size) {
  char out[256];
  if (!t) {
    snprintf(out, sizeof out, "no tokenizer");
  } else if (t->kind == KIND_TOKENIZER) {
    snprintf(out, sizeof out, "Keras Tokenizer: %zu words, lower=%s, oov_token %s, num_words=%lld", t->n_words,
             t->lower ? "true" : "false", t->oov_id >= 0 ? "set" : "none", (long long)t->num_words);
  } else {
    static const char *const split[] = {"null", "whitespace", "character"};
    const char *std = t->tv_lower && t->tv_strip ? "lower_and_strip_punctuation"
                      : t->tv_lower             ? "lower"
                      : t->tv_strip             ? "strip_punctuation"
                                                : "null";
    char grams[96] = "null";
    size_t g = 0;
    for (size_t i = 0; i < t->n_ngrams && g + 8 < sizeof grams; i++)
      g += (size_t)snprintf(grams + g, sizeof grams - g, "%s%d", i ? "," : "[", t->ngram_width[i]);
    if (t->n_ngrams && g + 2 < sizeof grams) grams[g++] = ']', grams[g] = '\0';
    char osl[32] = "null";
    if (t->sequence_length) snprintf(osl, sizeof osl, "%zu", t->sequence_length);
    snprintf(out, sizeof out,
             "Keras TextVectorization: %zu tokens (with \"\" and [UNK]), standardize=%s, split=%s, ngrams=%s, "
             "output_sequence_length=%s",
             t->n_words + 2, std, split[t->tv_split], grams, osl);
  }
  const size_t n = strlen(out);
  if (buf && size) {
    const size_t k = n < size - 1 ? n : size - 1;
    memcpy(buf, out, k);
    buf[k] = '\0';
  }
  return n;
}

/* ---- the tokenizer an arnn model file carries ---- */

/* The "tokenizer" value of the safetensors header's __metadata__ (the
 * header: 8-byte little-endian length, then that many bytes of JSON). */
#define MODEL_MAX_HEADER ((uint64_t)16 << 20)

arnn_status arnn_tokenizer_load_model_memory(const void *data, size_t size, arnn_tokenizer **out, char *errbuf,
                                             size_t errbuf_size) {
  if (errbuf && errbuf_size) errbuf[0] = '\0';
  if (!out || (!data && size)) {
    set_err(errbuf, errbuf_size, "NULL data or tokenizer pointer%s", "");
    return ARNN_ERR_INVALID_ARGUMENT;
  }
  *out = NULL;
  const unsigned char *b = data;
  if (size < 8) {
    set_err(errbuf, errbuf_size, "not an arnn model file: shorter than its 8-byte header length%s", "");
    return ARNN_ERR_MALFORMED_MODEL;
  }
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = hlen << 8 | b[i];
  if (hlen > MODEL_MAX_HEADER || hlen > size - 8 || hlen < 2) {
    set_err(errbuf, errbuf_size, "not an arnn model file: bad header length%s", "");
    return ARNN_ERR_MALFORMED_MODEL;
  }
  char err[200];
  json_doc *doc = NULL;
  if (arnn_json_parse_large((const char *)b + 8, (size_t)hlen, (size_t)1 << 20, &doc, err, sizeof err) != 0) {
    char msg[240];
    snprintf(msg, sizeof msg, "the model file header is not JSON: %s", err);
    for (char *q = msg; *q; q++)
      if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e) *q = '?';
    set_err(errbuf, errbuf_size, "%s", msg);
    return ARNN_ERR_MALFORMED_MODEL;
  }
  const json_value *meta = arnn_json_get(arnn_json_root(doc), "__metadata__");
  const json_value *tv = meta ? arnn_json_get(meta, "tokenizer") : NULL;
  arnn_status st = ARNN_OK;
  if (!meta || meta->type != JSON_OBJECT) {
    set_err(errbuf, errbuf_size, "not an arnn model file: the header has no __metadata__ object%s", "");
    st = ARNN_ERR_MALFORMED_MODEL;
  } else if (tv && tv->type != JSON_STRING) {
    set_err(errbuf, errbuf_size, "__metadata__ tokenizer is not a string%s", "");
    st = ARNN_ERR_MALFORMED_MODEL;
  } else if (tv) {
    st = arnn_tokenizer_load_memory(tv->string, tv->n, out, errbuf, errbuf_size);
    if (st != ARNN_OK && errbuf && errbuf_size) {
      char msg[600];
      snprintf(msg, sizeof msg, "the model's tokenizer (__metadata__ tokenizer): %s", errbuf);
      set_err(errbuf, errbuf_size, "%s", msg);
    }
  }
  arnn_json_free(doc);
  return st;
}

arnn_status arnn_tokenizer_load_model(const char *path, arnn_tokenizer **out, char *errbuf, size_t errbuf_size) {
  FILE *f = NULL;
  const arnn_status opened = open_for_load(path, out, "model", &f, errbuf, errbuf_size);
  if (opened != ARNN_OK) return opened;
  unsigned char head[8];
  arnn_status st = ARNN_OK;
  unsigned char *buf = NULL;
  if (fread(head, 1, 8, f) != 8) {
    set_err(errbuf, errbuf_size, "not an arnn model file: shorter than its 8-byte header length%s", "");
    st = ARNN_ERR_MALFORMED_MODEL;
  } else {
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | head[i];
    if (hlen > MODEL_MAX_HEADER || hlen < 2) {
      set_err(errbuf, errbuf_size, "not an arnn model file: bad header length%s", "");
      st = ARNN_ERR_MALFORMED_MODEL;
    } else if (!(buf = malloc(8 + (size_t)hlen))) {
      set_err(errbuf, errbuf_size, "out of memory%s", "");
      st = ARNN_ERR_OUT_OF_MEMORY;
    } else {
      memcpy(buf, head, 8);
      const size_t got = fread(buf + 8, 1, (size_t)hlen, f);
      if (got != hlen) {
        set_err(errbuf, errbuf_size, "the model file ends inside its header%s", "");
        st = ferror(f) ? ARNN_ERR_IO : ARNN_ERR_MALFORMED_MODEL;
      } else {
        st = arnn_tokenizer_load_model_memory(buf, 8 + (size_t)hlen, out, errbuf, errbuf_size);
      }
    }
  }
  fclose(f);
  free(buf);
  return st;
}

/* ---- encoding ---- */

/* TextVectorization._preprocess then the lookup (tf.keras 2.x
 * keras/layers/preprocessing/text_vectorization.py, Keras 3
 * keras/src/layers/preprocessing/text_vectorization.py, the same steps):
 *  - "lower": tf.strings.lower(inputs) with its default encoding "", which
 *    tensorflow/core/kernels/string_lower_op.cc runs as
 *    absl::AsciiStrToLower: A-Z only (É, İ, ß, Σ stay as they are);
 *  - "strip_punctuation": tf.strings.regex_replace(inputs,
 *    DEFAULT_STRIP_REGEX, "") with DEFAULT_STRIP_REGEX =
 *    [!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\'] : every ASCII punctuation
 *    character of Python's string.punctuation is deleted (nothing else:
 *    Unicode punctuation stays);
 *  - split "whitespace": tf.strings.split(inputs) (StringSplitV2, sep empty:
 *    SplitV2 in tensorflow/core/kernels/string_split_op.cc skips runs of
 *    ASCII whitespace, space \t \n \v \f \r; U+00A0 and U+3000 are not
 *    whitespace there), no empty tokens; "character":
 *    tf.strings.unicode_split(inputs, "UTF-8"), one token per code point;
 *    null: the whole standardized text is one token;
 *  - ngrams (tuple of widths): tf.strings.ngrams(inputs, widths, separator=" ")
 *    without padding: for each width in order, every run of that many
 *    consecutive tokens joined by one space;
 *  - lookup (index_lookup.py _lookup_dense): the mask token "" -> 0, a token
 *    of the vocabulary -> its index, anything else -> the OOV index 1.
 * Both standardize steps touch ASCII bytes only, so they run on the UTF-8
 * bytes directly. */
static int is_tv_punct(unsigned c) {
  return c < 0x80 && c > 0x20 && c != 0x7f && !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') &&
         !(c >= 'a' && c <= 'z');
}

static int is_tf_space(unsigned c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static int tv_lookup(const arnn_tokenizer *t, const char *w, size_t n) {
  if (n == 0) return 0;
  const int id = lookup(t, w, n);
  return id >= 0 ? id : 1;
}

static arnn_status encode_text_vectorization(const arnn_tokenizer *t, const unsigned char *s, size_t len, int *ids,
                                             size_t cap, size_t *n_out, char *errbuf, size_t errbuf_size) {
  char *buf = malloc(len + 1);
  /* token boundaries: start, end per token; at most len + 1 tokens */
  size_t *tok = malloc(2 * (len + 1) * sizeof *tok);
  char *gram = NULL;
  if (!buf || !tok) {
    free(buf);
    free(tok);
    set_err(errbuf, errbuf_size, "out of memory%s", "");
    return ARNN_ERR_OUT_OF_MEMORY;
  }
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned c = s[i];
    if (t->tv_lower && c >= 'A' && c <= 'Z') c += 'a' - 'A';
    if (t->tv_strip && is_tv_punct(c)) continue;
    buf[o++] = (char)c;
  }
  size_t nt = 0;
  if (t->tv_split == TV_SPLIT_NONE) {
    tok[0] = 0, tok[1] = o, nt = 1;
  } else if (t->tv_split == TV_SPLIT_WHITESPACE) {
    for (size_t i = 0; i < o;) {
      while (i < o && is_tf_space((unsigned char)buf[i])) i++;
      if (i == o) break;
      tok[2 * nt] = i;
      while (i < o && !is_tf_space((unsigned char)buf[i])) i++;
      tok[2 * nt + 1] = i;
      nt++;
    }
  } else {
    for (size_t i = 0; i < o;) {
      tok[2 * nt] = i;
      (void)utf8_next((const unsigned char *)buf, o, &i); /* valid: checked by the caller */
      tok[2 * nt + 1] = i;
      nt++;
    }
  }
  size_t count = 0;
  arnn_status st = ARNN_OK;
  if (!t->n_ngrams) {
    for (size_t k = 0; k < nt; k++) {
      if (count < cap) ids[count] = tv_lookup(t, buf + tok[2 * k], tok[2 * k + 1] - tok[2 * k]);
      count++;
    }
  } else {
    /* an n-gram is at most the whole text plus its separators */
    gram = malloc(o + TV_MAX_NGRAM_WIDTH + 1);
    if (!gram) {
      st = ARNN_ERR_OUT_OF_MEMORY;
      set_err(errbuf, errbuf_size, "out of memory%s", "");
    }
    for (size_t g = 0; st == ARNN_OK && g < t->n_ngrams; g++) {
      const size_t w = (size_t)t->ngram_width[g];
      for (size_t k = 0; k + w <= nt; k++) {
        size_t m = 0;
        for (size_t j = k; j < k + w; j++) {
          if (j > k) gram[m++] = ' ';
          memcpy(gram + m, buf + tok[2 * j], tok[2 * j + 1] - tok[2 * j]);
          m += tok[2 * j + 1] - tok[2 * j];
        }
        if (count < cap) ids[count] = tv_lookup(t, gram, m);
        count++;
      }
    }
  }
  free(gram);
  free(tok);
  free(buf);
  if (st != ARNN_OK) return st;
  *n_out = count;
  if (count > cap) {
    set_err(errbuf, errbuf_size, "more token ids than the buffer holds%s", "");
    return ARNN_ERR_OUT_OF_RANGE;
  }
  return ARNN_OK;
}


arnn_status arnn_tokenizer_encode(const arnn_tokenizer *t, const char *text, size_t len, int *ids, size_t cap,
                                  size_t *n_out, char *errbuf, size_t errbuf_size) {
  if (errbuf && errbuf_size) errbuf[0] = '\0';
  if (n_out) *n_out = 0;
  if (!t || !n_out || (!text && len) || (!ids && cap)) {
    set_err(errbuf, errbuf_size, "NULL tokenizer, text, ids or count pointer%s", "");
    return ARNN_ERR_INVALID_ARGUMENT;
  }
#ifndef ARNN_HAVE_UTF8PROC
  (void)encode_text_vectorization;
  return ARNN_ERR_UNSUPPORTED;
#else
  const unsigned char *s = (const unsigned char *)text;
  /* decode (Python would have failed to decode invalid UTF-8: refused) */
  if (len > ((size_t)-1) / (4 * sizeof(int32_t) + 2 * ARNN_TOKENIZER_MAX_SPLIT_BYTES)) {
    set_err(errbuf, errbuf_size, "text too long%s", "");
    return ARNN_ERR_OUT_OF_RANGE;
  }
  if (t->kind == KIND_TEXT_VECTORIZATION) {
    /* the same UTF-8 rule, without the code point copy the Tokenizer needs */
    for (size_t i = 0; i < len;) {
      const size_t at = i;
      if (utf8_next(s, len, &i) < 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "the text is not valid UTF-8 (at byte %zu)", at);
        set_err(errbuf, errbuf_size, "%s", msg);
        return ARNN_ERR_INVALID_ARGUMENT;
      }
    }
    return encode_text_vectorization(t, s, len, ids, cap, n_out, errbuf, errbuf_size);
  }
  int32_t *cp = malloc((len + 1) * sizeof *cp);
  /* per code point at most max(4, split) bytes out (İ -> 3 bytes) */
  const size_t per = t->split_len > 4 ? t->split_len : 4;
  char *buf = malloc(len * 2 * per + 1);
  if (!cp || !buf) {
    free(cp);
    free(buf);
    set_err(errbuf, errbuf_size, "out of memory%s", "");
    return ARNN_ERR_OUT_OF_MEMORY;
  }
  size_t ncp = 0;
  for (size_t i = 0; i < len;) {
    const size_t at = i;
    const int32_t c = utf8_next(s, len, &i);
    if (c < 0) {
      char msg[96];
      snprintf(msg, sizeof msg, "the text is not valid UTF-8 (at byte %zu)", at);
      set_err(errbuf, errbuf_size, "%s", msg);
      free(cp);
      free(buf);
      return ARNN_ERR_INVALID_ARGUMENT;
    }
    cp[ncp++] = c;
  }
  /* text.lower(), then text.translate(filters -> split) */
  size_t o = 0;
  for (size_t i = 0; i < ncp; i++) {
    int32_t c = cp[i];
    if (t->lower) {
      if (c == 0x130) { /* İ -> i + U+0307 COMBINING DOT ABOVE, neither a filter by default */
        if (is_filter(t, 0x69)) memcpy(buf + o, t->split, t->split_len), o += t->split_len;
        else o += utf8_put(buf + o, 0x69);
        c = 0x307;
      } else if (c == 0x3A3) {
        c = final_sigma(cp, ncp, i) ? 0x3C2 : 0x3C3;
      } else {
        c = utf8proc_tolower(c);
      }
    }
    if (is_filter(t, (uint32_t)c)) {
      memcpy(buf + o, t->split, t->split_len);
      o += t->split_len;
    } else {
      o += utf8_put(buf + o, (uint32_t)c);
    }
  }
  free(cp);
  /* text.split(split): left to right, non-overlapping; empty pieces dropped */
  size_t count = 0, start = 0, i = 0;
  arnn_status st = ARNN_OK;
  for (;;) {
    const int at_end = i + t->split_len > o;
    if (at_end || memcmp(buf + i, t->split, t->split_len) == 0) {
      const size_t end = at_end ? o : i;
      if (end > start) {
        int id = lookup(t, buf + start, end - start);
        if (id >= 0 && t->num_words && id >= t->num_words) id = t->oov_id;
        else if (id < 0) id = t->oov_id;
        if (id >= 0) {
          if (count < cap) ids[count] = id;
          count++;
        }
      }
      if (at_end) break;
      i += t->split_len;
      start = i;
    } else {
      i++;
    }
  }
  free(buf);
  *n_out = count;
  if (count > cap) {
    set_err(errbuf, errbuf_size, "more token ids than the buffer holds%s", "");
    st = ARNN_ERR_OUT_OF_RANGE;
  }
  return st;
#endif
}
