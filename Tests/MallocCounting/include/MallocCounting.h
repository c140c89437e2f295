#pragma once
/// Heap allocations (malloc, calloc, realloc, memalign family) made by the calling thread so far.
long malloc_count_thread(void);
