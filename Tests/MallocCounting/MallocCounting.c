// Interposes the allocator entry points of the process (the executable's definitions win over glibc's) and
// counts calls per thread, forwarding to glibc's __libc_* functions.
#include <stddef.h>
#include "MallocCounting.h"

#if defined(__linux__)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static __thread long count;

long malloc_count_thread(void) { return count; }

void *malloc(size_t n) { count++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { count++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { count++; return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t a, size_t n) { count++; return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { return memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    void *p = memalign(a < sizeof(void *) ? sizeof(void *) : a, n);
    if (!p) return 12;
    *out = p;
    return 0;
}
#else
long malloc_count_thread(void) { return -1; }
#endif
