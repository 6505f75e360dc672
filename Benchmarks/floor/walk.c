/* The floor for a capture reader: map the file, walk every pcap record header (or pcapng block header), sum the
 * captured lengths. Nothing is decoded. Prints "packets caplen_sum".
 *
 *   gcc -O2 -o walk walk.c && ./walk [-p] FILE
 *   ./walk -f FILE      (the page cache's folios for FILE, see below)
 *
 * Reads through mmap with MADV_SEQUENTIAL, as helloscope does, so the two pay the same page-mapping costs. The
 * minimal walk loads each header in turn, a chain of dependent loads. With -p it also requests every cache line up
 * to 4 KiB ahead of the header it reads, as helloscope's reader does: the same walk without most of the chain's
 * waits, for comparison.
 *
 * The cost of mapping a cached file depends on the size of the folios the kernel keeps it in: a file read from disk
 * sits in large folios (up to 2 MiB), mapped a whole folio's pages per fault; one whose pages were faulted back one
 * at a time sits in 4 KiB folios, and mapping those costs about 0.1 s of kernel time per GB. -f maps the file
 * (faulting in what is not cached), and prints the share of its pages that are in large folios and their mean size
 * in pages, read from /proc/self/pagemap and /proc/kpageflags (root only; "unknown" otherwise). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t le32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* KPF_COMPOUND_HEAD and KPF_COMPOUND_TAIL of /proc/kpageflags (Documentation/admin-guide/mm/pagemap.rst). */
#define KPF_HEAD (1ull << 15)
#define KPF_TAIL (1ull << 16)

static int folios(const char *path) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) { perror(path); return 2; }
    size_t pages = ((size_t)st.st_size + 4095) / 4096;
    if (pages == 0) { printf("unknown\n"); return 0; }
    const unsigned char *b = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    int pm = open("/proc/self/pagemap", O_RDONLY), kf = open("/proc/kpageflags", O_RDONLY);
    if (b == MAP_FAILED || pm < 0 || kf < 0) { printf("unknown\n"); return 0; }
    size_t heads = 0, single = 0, inLarge = 0, seen = 0;
    for (size_t i = 0; i < pages; i++) {
        uint64_t entry, flags;
        if (pread(pm, &entry, 8, (off_t)(((uintptr_t)b / 4096 + i) * 8)) != 8) break;
        uint64_t pfn = entry & ((1ull << 55) - 1);
        if (!(entry >> 63) || pfn == 0) continue;       /* not present, or the PFN hidden (not root) */
        if (pread(kf, &flags, 8, (off_t)(pfn * 8)) != 8) break;
        seen++;
        if (flags & KPF_HEAD) { heads++; inLarge++; } else if (flags & KPF_TAIL) inLarge++; else single++;
    }
    if (seen == 0) { printf("unknown\n"); return 0; }
    printf("%.3f %.1f\n", (double)inLarge / (double)seen, (double)seen / (double)(heads + single));
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "-f") == 0) return folios(argv[2]);
    int prefetch = argc == 3 && strcmp(argv[1], "-p") == 0;
    if (argc != 2 && !prefetch) { fprintf(stderr, "usage: walk [-p | -f] FILE\n"); return 2; }
    const char *path = argv[argc - 1];
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) { perror(path); return 2; }
    size_t n = (size_t)st.st_size;
    const unsigned char *b = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    if (b == MAP_FAILED) { perror("mmap"); return 2; }
    madvise((void *)b, n, MADV_SEQUENTIAL);
    uint64_t packets = 0, sum = 0;
    size_t ahead = 0;                                   /* lines below it were requested (-p) */
#define PREFETCH_AHEAD(o) do { if (prefetch) { size_t lim = (o) + 4096 < n ? (o) + 4096 : n; \
        for (; ahead < lim; ahead += 64) __builtin_prefetch(b + ahead); } } while (0)
    if (n >= 24 && le32(b) == 0xa1b2c3d4u) {          /* classic pcap, little-endian */
        size_t o = 24;
        while (o + 16 <= n) {
            PREFETCH_AHEAD(o);
            uint32_t incl = le32(b + o + 8);
            if (o + 16 + incl > n) break;
            packets++; sum += incl;
            o += 16 + incl;
        }
    } else if (n >= 12 && le32(b) == 0x0a0d0d0au) {   /* pcapng, little-endian sections */
        size_t o = 0;
        while (o + 12 <= n) {
            PREFETCH_AHEAD(o);
            uint32_t type = le32(b + o), len = le32(b + o + 4);
            if (len < 12 || o + len > n) break;
            if (type == 6 && len >= 32) { packets++; sum += le32(b + o + 20); }
            o += len;
        }
    } else {
        fprintf(stderr, "not a little-endian pcap/pcapng\n"); return 2;
    }
    printf("%llu %llu\n", (unsigned long long)packets, (unsigned long long)sum);
    return 0;
}
