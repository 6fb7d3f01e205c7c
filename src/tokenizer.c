/* The Keras Tokenizer (keras_preprocessing/text.py, also keras.preprocessing.text):
 * a Tokenizer.to_json() document read with the bounded JSON reader, and
 * texts_to_sequences for word-level tokenizers. See arnn.h for the contract.
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

struct arnn_tokenizer {
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
  t->n_words = wi->n;
  t->slots = 16;
  while (t->slots < 2 * t->n_words) t->slots *= 2;
  size_t bytes = 1;
  for (size_t i = 0; i < wi->n; i++) bytes += strlen(wi->keys[i]);
  t->slot_word = calloc(t->slots, sizeof *t->slot_word);
  t->word = malloc((t->n_words + 1) * sizeof *t->word);
  t->word_len = malloc((t->n_words + 1) * sizeof *t->word_len);
  t->word_id = malloc((t->n_words + 1) * sizeof *t->word_id);
  t->text = malloc(bytes);
  if (!t->slot_word || !t->word || !t->word_len || !t->word_id || !t->text) {
    set_err(errbuf, size, "out of memory for the vocabulary%s", "");
    st = ARNN_ERR_OUT_OF_MEMORY;
    goto out;
  }
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
    size_t slot;
    if (*find_slot(t, w, n, &slot)) {
      st = bad(errbuf, size, "%s appears twice", shown);
      goto out;
    }
    memcpy(p, w, n);
    t->word[i] = p;
    t->word_len[i] = (uint32_t)n;
    t->word_id[i] = (int)v->integer;
    t->slot_word[slot] = (uint32_t)i + 1;
    p += n;
  }
out:
  arnn_json_free(doc);
  return st;
}

static arnn_status parse_tokenizer(arnn_tokenizer *t, const json_value *root, char *errbuf, size_t size) {
  if (root->type != JSON_OBJECT) return bad(errbuf, size, "not a Keras tokenizer: the document is not a JSON object%s", "");
  const json_value *cls = arnn_json_get(root, "class_name");
  if (!cls || cls->type != JSON_STRING || strcmp(cls->string, "Tokenizer") != 0)
    return bad(errbuf, size, "not a Keras tokenizer: class_name must be \"Tokenizer\" (the output of Tokenizer.to_json())%s", "");
  const json_value *cfg = arnn_json_get(root, "config");
  if (!cfg || cfg->type != JSON_OBJECT) return bad(errbuf, size, "the tokenizer has no \"config\" object%s", "");

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

arnn_status arnn_tokenizer_load(const char *path, arnn_tokenizer **out, char *errbuf, size_t errbuf_size) {
  if (errbuf && errbuf_size) errbuf[0] = '\0';
  if (out) *out = NULL;
  if (!path || !out) {
    set_err(errbuf, errbuf_size, "NULL path or tokenizer pointer%s", "");
    return ARNN_ERR_INVALID_ARGUMENT;
  }
  FILE *f = fopen(path, "rb");
  if (!f) {
    set_err(errbuf, errbuf_size, "cannot open the tokenizer file%s", "");
    return ARNN_ERR_IO;
  }
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

size_t arnn_tokenizer_num_words(const arnn_tokenizer *t) { return t ? t->n_words : 0; }

/* ---- encoding ---- */

arnn_status arnn_tokenizer_encode(const arnn_tokenizer *t, const char *text, size_t len, int *ids, size_t cap,
                                  size_t *n_out, char *errbuf, size_t errbuf_size) {
  if (errbuf && errbuf_size) errbuf[0] = '\0';
  if (n_out) *n_out = 0;
  if (!t || !n_out || (!text && len) || (!ids && cap)) {
    set_err(errbuf, errbuf_size, "NULL tokenizer, text, ids or count pointer%s", "");
    return ARNN_ERR_INVALID_ARGUMENT;
  }
#ifndef ARNN_HAVE_UTF8PROC
  return ARNN_ERR_UNSUPPORTED;
#else
  const unsigned char *s = (const unsigned char *)text;
  /* decode (Python would have failed to decode invalid UTF-8: refused) */
  if (len > ((size_t)-1) / (4 * sizeof(int32_t) + 2 * ARNN_TOKENIZER_MAX_SPLIT_BYTES)) {
    set_err(errbuf, errbuf_size, "text too long%s", "");
    return ARNN_ERR_OUT_OF_RANGE;
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
