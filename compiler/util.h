/* compiler/util.h — allocation that never returns NULL, an arena freed
 * once, growable strings and arrays, and file helpers. */
#ifndef MSN_UTIL_H
#define MSN_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Arena: every AST node, symbol and model-IR node lives here and is freed
 * by one arena_free. */
typedef struct Arena Arena;
Arena *arena_new(void);
void *arena_alloc(Arena *a, size_t n);          /* zeroed, 16-byte aligned */
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_free(Arena *a);

/* Growable array of pointers in an arena. */
typedef struct PtrVec { void **v; int n, cap; } PtrVec;
void vec_push(Arena *a, PtrVec *vec, void *p);

/* Growable string buffer (heap). */
typedef struct StrBuf { char *s; size_t len, cap; } StrBuf;
void sb_putc(StrBuf *b, char c);
void sb_puts(StrBuf *b, const char *s);
void sb_printf(StrBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sb_take(StrBuf *b); /* returns the string, resets the buffer */

/* Read a whole file; NULL with errno set on failure. */
char *read_file(const char *path, size_t *len);
bool file_exists(const char *path);
/* Directory part of a path ("." when none); heap string. */
char *path_dirname(const char *path);
/* Join dir and name (name returned as is when absolute); heap string. */
char *path_join(const char *dir, const char *name);
/* Canonical absolute path (realpath); heap string or NULL. */
char *path_real(const char *path);

int edit_distance(const char *a, const char *b);

/* Map from pointers to pointers (open addressing), for memoising walks
 * over expression DAGs so that shared subexpressions are visited once. */
typedef struct PtrMap { const void **keys; void **vals; size_t cap, n; } PtrMap;
void *ptrmap_get(const PtrMap *m, const void *key, bool *found);
void ptrmap_put(PtrMap *m, const void *key, void *val);
void ptrmap_clear(PtrMap *m); /* frees the storage; the map stays usable */

#endif
