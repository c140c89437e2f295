#pragma once
/// Heap allocations (malloc, calloc, realloc, memalign family) made by the calling thread so far.
long malloc_count_thread(void);
/// Turns backtraces of this thread's heap calls on or off; prints only when RESPCAP_MALLOC_TRACE=N is set.
void malloc_trace_thread(int on);
