#ifndef HELLOSCOPE_CPREFETCH_H
#define HELLOSCOPE_CPREFETCH_H

/* A hint to the CPU to start loading a cache line that will be read soon (captured bytes ahead of the reader, a
 * flow-table slot, a flow):
 * the load's latency then overlaps the work on the current packet. Inlined into the Swift caller. */
static inline __attribute__((always_inline)) void hs_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/* The same for bytes read once (the capture ahead of the reader): a non-temporal hint, so the stream does not push
 * out of the caches what is read again (flows, the flow table, the analysis' state). */
static inline __attribute__((always_inline)) void hs_prefetch_nta(const void *address) {
    __builtin_prefetch(address, 0, 0);
}

#endif
