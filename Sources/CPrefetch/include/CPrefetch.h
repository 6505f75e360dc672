#ifndef HELLOSCOPE_CPREFETCH_H
#define HELLOSCOPE_CPREFETCH_H

/* A hint to the CPU to start loading a cache line that will be read soon (captured bytes ahead of the reader, a
 * flow-table slot, a flow):
 * the load's latency then overlaps the work on the current packet. Inlined into the Swift caller. */
static inline __attribute__((always_inline)) void hs_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
