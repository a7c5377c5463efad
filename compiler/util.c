/* compiler/util.c — see util.h. */
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void out_of_memory(void) {
  fputs("msnc: out of memory\n", stderr);
  exit(70);
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) out_of_memory();
  return p;
}

void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) out_of_memory();
  return p;
}

void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) out_of_memory();
  return p;
}

char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

static char *vformat(const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  char *s = xmalloc((size_t)n + 1);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

char *xasprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = vformat(fmt, ap);
  va_end(ap);
  return s;
}

/* ---- arena ------------------------------------------------------------ */

typedef struct Chunk { struct Chunk *next; size_t used, size; } Chunk;
struct Arena { Chunk *head; };
enum { CHUNK_SIZE = 64 * 1024, ALIGN = 16 };

Arena *arena_new(void) { return xcalloc(1, sizeof(Arena)); }

static size_t header_size(void) { return (sizeof(Chunk) + ALIGN - 1) & ~(size_t)(ALIGN - 1); }

void *arena_alloc(Arena *a, size_t n) {
  n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
  Chunk *c = a->head;
  if (!c || c->used + n > c->size) {
    size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;
    c = xmalloc(header_size() + size);
    c->next = a->head;
    c->used = 0;
    c->size = size;
    a->head = c;
  }
  void *p = (char *)c + header_size() + c->used;
  c->used += n;
  memset(p, 0, n);
  return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *arena_strdup(Arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

char *arena_printf(Arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *tmp = vformat(fmt, ap);
  va_end(ap);
  char *s = arena_strdup(a, tmp);
  free(tmp);
  return s;
}

void arena_free(Arena *a) {
  if (!a) return;
  for (Chunk *c = a->head, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  free(a);
}

void vec_push(Arena *a, PtrVec *vec, void *p) {
  if (vec->n == vec->cap) {
    int cap = vec->cap ? vec->cap * 2 : 8;
    void **v = arena_alloc(a, sizeof(void *) * (size_t)cap);
    if (vec->n) memcpy(v, vec->v, sizeof(void *) * (size_t)vec->n);
    vec->v = v;
    vec->cap = cap;
  }
  vec->v[vec->n++] = p;
}

/* ---- strings ---------------------------------------------------------- */

static void sb_reserve(StrBuf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) cap *= 2;
  b->s = xrealloc(b->s, cap);
  b->cap = cap;
}

void sb_putc(StrBuf *b, char c) {
  sb_reserve(b, 1);
  b->s[b->len++] = c;
  b->s[b->len] = 0;
}

void sb_puts(StrBuf *b, const char *s) {
  size_t n = strlen(s);
  sb_reserve(b, n);
  memcpy(b->s + b->len, s, n + 1);
  b->len += n;
}

void sb_printf(StrBuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = vformat(fmt, ap);
  va_end(ap);
  sb_puts(b, s);
  free(s);
}

char *sb_take(StrBuf *b) {
  char *s = b->s ? b->s : xstrdup("");
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

/* ---- files ------------------------------------------------------------ */

char *read_file(const char *path, size_t *len) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    errno = EISDIR;
    return NULL;
  }
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  StrBuf b = {0};
  char tmp[65536];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
    sb_reserve(&b, n);
    memcpy(b.s + b.len, tmp, n);
    b.len += n;
    b.s[b.len] = 0;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(b.s);
    errno = EIO;
    return NULL;
  }
  if (len) *len = b.len;
  return sb_take(&b);
}

bool file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *path_dirname(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return xstrdup(".");
  if (slash == path) return xstrdup("/");
  size_t n = (size_t)(slash - path);
  char *s = xmalloc(n + 1);
  memcpy(s, path, n);
  s[n] = 0;
  return s;
}

char *path_join(const char *dir, const char *name) {
  if (name[0] == '/') return xstrdup(name);
  return xasprintf("%s/%s", dir, name);
}

char *path_real(const char *path) {
  char buf[PATH_MAX];
  if (!realpath(path, buf)) return NULL;
  return xstrdup(buf);
}

int edit_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 64 || m > 64) return 99;
  int d[65][65];
  for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      int cost = a[i - 1] != b[j - 1];
      int best = d[i - 1][j - 1] + cost;
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      d[i][j] = best;
    }
  return d[n][m];
}

/* ---- pointer map ---------------------------------------------------------- */

static size_t ptr_hash(const void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (size_t)x;
}

void *ptrmap_get(const PtrMap *m, const void *key, bool *found) {
  *found = false;
  if (!m->cap) return NULL;
  for (size_t i = ptr_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
    if (!m->keys[i]) return NULL;
    if (m->keys[i] == key) {
      *found = true;
      return m->vals[i];
    }
  }
}

static void ptrmap_grow(PtrMap *m) {
  PtrMap bigger = {.cap = m->cap ? m->cap * 2 : 64};
  bigger.keys = xcalloc(bigger.cap, sizeof *bigger.keys);
  bigger.vals = xcalloc(bigger.cap, sizeof *bigger.vals);
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i]) ptrmap_put(&bigger, m->keys[i], m->vals[i]);
  free(m->keys);
  free(m->vals);
  *m = bigger;
}

void ptrmap_put(PtrMap *m, const void *key, void *val) {
  if ((m->n + 1) * 2 > m->cap) ptrmap_grow(m);
  for (size_t i = ptr_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
    if (!m->keys[i]) {
      m->keys[i] = key;
      m->vals[i] = val;
      m->n++;
      return;
    }
    if (m->keys[i] == key) {
      m->vals[i] = val;
      return;
    }
  }
}

void ptrmap_clear(PtrMap *m) {
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
}
