/* The C heap of the helloscope tool (the Swift runtime allocates every object through malloc).
 *
 * The analysis makes and frees small objects for every flow and every handshake (flow state, parsed hellos,
 * events), spread over the heap. With 4 KiB pages, those touched per packet need more address translations than
 * the TLB holds, and each page is faulted in on first touch; glibc also hands the top of the heap back to the
 * system whenever it frees more than 128 KiB there, to fault it in again soon after.
 *
 * hs_heap_prepare(span), called once at start-up:
 *   - the heap grows by at least `span` bytes at a time (M_TOP_PAD) and keeps up to twice that free at its top
 *     (M_TRIM_THRESHOLD), so it is not shrunk and grown again as flows come and go;
 *   - blocks below `span / 2` come from the heap rather than from their own mapping (M_MMAP_THRESHOLD);
 *   - it grows the heap now, and advises the new part for transparent huge pages (MADV_HUGEPAGE; the kernel's
 *     default policy, "madvise", gives them only where asked), so the first `span` bytes of objects sit in
 *     2 MiB pages: one TLB entry and one fault for each.
 * Memory stays bounded by the analysis limits; what changes is that freed memory at the top of the heap is kept
 * for reuse (up to 2 x span) instead of returned at once. Nothing changes where the calls are not available. */
#include "CHeap.h"

#include <stdint.h>
#include <stdlib.h>

#if defined(__linux__) && defined(__GLIBC__)  /* __GLIBC__ comes with the C library's headers, above */
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

size_t hs_heap_prepare(size_t span) {
    if (span < (1u << 20) || span > (1u << 30)) return 0;
    mallopt(M_MMAP_THRESHOLD, (int)(span / 2));
    mallopt(M_TOP_PAD, (int)span);
    mallopt(M_TRIM_THRESHOLD, (int)(2 * span));
    /* A block the top of the heap cannot hold yet: the heap grows by it and the pad. */
    void *block = malloc(1u << 20);
    if (block == NULL) return 0;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = ((uintptr_t)block + page - 1) & ~(page - 1);
    free(block);
    void *brk_now = sbrk(0);
    if (brk_now == (void *)-1) return 0;
    uintptr_t to = (uintptr_t)brk_now & ~(page - 1);
    if (to <= from) return 0;
#ifdef MADV_HUGEPAGE
    if (madvise((void *)from, to - from, MADV_HUGEPAGE) != 0) return 0;
    return to - from;
#else
    return 0;
#endif
}
#else
size_t hs_heap_prepare(size_t span) { (void)span; return 0; }
#endif
