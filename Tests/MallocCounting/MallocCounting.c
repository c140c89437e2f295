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

#include <execinfo.h>
#include <stdlib.h>
#include <unistd.h>

static __thread long count;

// Optional backtraces, to find what allocates: with RESPCAP_MALLOC_TRACE=N in the environment, the first N counted
// calls made while tracing is on print a raw backtrace to stderr (symbolise with addr2line and swift-demangle).
static __thread int tracing, inside;
static __thread long traced, trace_limit;
void malloc_trace_thread(int on) {
    const char *limit = on ? getenv("RESPCAP_MALLOC_TRACE") : NULL;
    trace_limit = limit ? atol(limit) : 0;
    tracing = trace_limit > 0;
    traced = 0;
}
static void trace(void) {
    if (!tracing || inside || traced >= trace_limit) return;
    inside = 1;  // backtrace() may allocate on first use
    traced++;
    void *frames[24];
    int n = backtrace(frames, 24);
    write(2, "@@MALLOC\n", 9);
    backtrace_symbols_fd(frames, n, 2);
    inside = 0;
}

long malloc_count_thread(void) { return count; }

void *malloc(size_t n) { count++; trace(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { count++; trace(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { count++; trace(); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t a, size_t n) { count++; trace(); return __libc_memalign(a, n); }
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
