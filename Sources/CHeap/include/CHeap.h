#ifndef HELLOSCOPE_CHEAP_H
#define HELLOSCOPE_CHEAP_H

#include <stddef.h>

/* Sets up the C heap for a process that makes and frees many small objects per packet: see CHeap.c.
 * Returns the bytes of heap advised for huge pages (0 where the system has no such advice). */
size_t hs_heap_prepare(size_t span);

#endif
