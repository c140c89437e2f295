// A cache prefetch hint, which Swift cannot express: the analyses ask for the table entries the next commands will
// touch while they count the current one (the entries of large tables are cache misses otherwise).
#ifndef RESPCAP_CPREFETCH_H
#define RESPCAP_CPREFETCH_H

/// Asks the CPU to bring the cache line holding `address` closer, for reading and writing soon. Never faults.
static inline void respcap_prefetch(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
