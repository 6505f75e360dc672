/* The floor for a capture reader: map the file, walk every pcap record header (or pcapng block header), sum the
 * captured lengths. Nothing is decoded. Prints "packets caplen_sum".
 *
 *   gcc -O2 -o walk walk.c && ./walk [-p] FILE
 *
 * Reads through mmap with MADV_SEQUENTIAL, as helloscope does, so the two pay the same page-mapping costs. The
 * minimal walk loads each header in turn, a chain of dependent loads. With -p it also requests every cache line up
 * to 4 KiB ahead of the header it reads, as helloscope's reader does: the same walk without most of the chain's
 * waits, for comparison. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t le32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }

int main(int argc, char **argv) {
    int prefetch = argc == 3 && strcmp(argv[1], "-p") == 0;
    if (argc != 2 && !prefetch) { fprintf(stderr, "usage: walk [-p] FILE\n"); return 2; }
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
