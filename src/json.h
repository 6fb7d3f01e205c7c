/* A bounded JSON reader (internal) for the model graph document: the whole
 * document becomes one tree of values in a single allocation, or an error
 * message with the byte offset. Strict RFC 8259: UTF-8 validated, no
 * "\u0000" in strings, no duplicate object keys, no trailing data; nesting
 * depth at most ARNN_JSON_MAX_DEPTH, objects of at most ARNN_JSON_MAX_MEMBERS
 * members. Numbers keep their double value and,
 * when they are integers of at most 2^53 in magnitude written without
 * fraction or exponent, their exact integer value. */
#ifndef ARNN_SRC_JSON_H
#define ARNN_SRC_JSON_H

#include <stddef.h>
#include <stdint.h>

#define ARNN_JSON_MAX_DEPTH 32
#define ARNN_JSON_MAX_MEMBERS 256 /* per object */

typedef enum { JSON_NULL = 0, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value json_value;
struct json_value {
  json_type type;
  size_t n;            /* array / object: element count; string: byte length */
  double number;
  int64_t integer;     /* valid when is_integer */
  int is_integer;
  const char *string;  /* NUL-terminated (strings) */
  const char **keys;   /* object keys, n of them */
  json_value *items;   /* array elements / object values, n of them */
};

typedef struct json_doc json_doc;

/* Parses `len` bytes. On success returns 0 and *doc (free with
 * arnn_json_free); on failure returns -1 and writes a message to err. */
int arnn_json_parse(const char *text, size_t len, json_doc **doc, char *err, size_t err_size);
/* The same with objects of up to max_members members (at least
 * ARNN_JSON_MAX_MEMBERS), for documents such as a tokenizer's vocabulary.
 * Only the first ARNN_JSON_MAX_MEMBERS members of an object are checked for
 * duplicate keys (the check is quadratic): the caller checks the others. */
int arnn_json_parse_large(const char *text, size_t len, size_t max_members, json_doc **doc, char *err,
                          size_t err_size);
void arnn_json_free(json_doc *doc);
const json_value *arnn_json_root(const json_doc *doc);

/* Object member by key, or NULL (also for a non-object). */
const json_value *arnn_json_get(const json_value *obj, const char *key);

#endif
