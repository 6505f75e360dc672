#ifndef HELLOSCOPE_CSCAN_H
#define HELLOSCOPE_CSCAN_H

#include <stddef.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(__SSE2__)
/* One bit per byte of v that a JSON string cannot hold as it is: below 0x20, above 0x7e, '"' or '\\' (signed
 * compares on bytes biased by 0x80). */
static inline __attribute__((always_inline)) int hs_json_special_mask(__m128i v) {
    const __m128i bias = _mm_set1_epi8((char)0x80);
    const __m128i low = _mm_set1_epi8((char)(0x20 ^ 0x80));
    const __m128i high = _mm_set1_epi8((char)(0x7e ^ 0x80));
    __m128i b = _mm_xor_si128(v, bias);
    __m128i bad = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(b, low), _mm_cmpgt_epi8(b, high)),
                               _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
    return _mm_movemask_epi8(bad);
}
#endif

/* The number of bytes at the start of p[0..<n] that a JSON string can hold as they are: 0x20...0x7e except '"'
 * and '\\' (so no control character, DEL or byte of a multi-byte UTF-8 sequence). Sixteen bytes at a time where
 * the CPU has SSE2; the JSON writer escapes from the first byte not counted. Inlined into the Swift caller. */
static inline __attribute__((always_inline)) size_t hs_json_plain_prefix(const uint8_t *p, size_t n) {
    size_t i = 0;
#if defined(__SSE2__)
    while (n - i >= 16) {
        int mask = hs_json_special_mask(_mm_loadu_si128((const __m128i *)(p + i)));
        if (mask != 0) return i + (size_t)__builtin_ctz((unsigned)mask);
        i += 16;
    }
    if (n >= 16 && i < n) {
        /* The last sixteen bytes, overlapping bytes already found plain: the first one that is not lies at or after i. */
        int mask = hs_json_special_mask(_mm_loadu_si128((const __m128i *)(p + n - 16)));
        return mask == 0 ? n : n - 16 + (size_t)__builtin_ctz((unsigned)mask);
    }
#endif
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return i;
        i++;
    }
    return n;
}

/* Copies the bytes at the start of src[0..<n] that hs_json_plain_prefix counts to dst, and returns how many: the
 * scan and the copy in one pass. dst must have room for n + 16 bytes (whole sixteen-byte chunks are stored; bytes
 * past the returned count are not meaningful). */
static inline __attribute__((always_inline)) size_t hs_json_copy_plain(uint8_t *dst, const uint8_t *src, size_t n) {
    size_t i = 0;
#if defined(__SSE2__)
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
        _mm_storeu_si128((__m128i *)(dst + i), v);
        int mask = hs_json_special_mask(v);
        if (mask != 0) return i + (size_t)__builtin_ctz((unsigned)mask);
        i += 16;
    }
    if (n >= 16 && i < n) {
        /* The last sixteen bytes, overlapping bytes already copied and found plain. */
        __m128i v = _mm_loadu_si128((const __m128i *)(src + n - 16));
        _mm_storeu_si128((__m128i *)(dst + n - 16), v);
        int mask = hs_json_special_mask(v);
        return mask == 0 ? n : n - 16 + (size_t)__builtin_ctz((unsigned)mask);
    }
#endif
    while (i < n) {
        uint8_t c = src[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return i;
        dst[i] = c;
        i++;
    }
    return n;
}

/* Two moves of one width covering n bytes, the second ending at the last byte (they overlap when n is less than
 * twice the width); returns from the enclosing function. */
#define HS_COPY_TWO(T) do { \
        T a_, b_; \
        __builtin_memcpy(&a_, src, sizeof(T)); \
        __builtin_memcpy(&b_, src + n - sizeof(T), sizeof(T)); \
        __builtin_memcpy(dst, &a_, sizeof(T)); \
        __builtin_memcpy(dst + n - sizeof(T), &b_, sizeof(T)); \
        return; \
    } while (0)

/* Copies n bytes from src to dst (which do not overlap) with fixed-size moves, the last one overlapping the one
 * before: the short runs the JSON writer copies (member names, plain strings, numbers) without a call to memcpy.
 * Runs longer than 64 bytes go to memcpy. */
static inline __attribute__((always_inline)) void hs_copy(uint8_t *dst, const uint8_t *src, size_t n) {
    if (n >= 16) {
        if (n > 64) { __builtin_memcpy(dst, src, n); return; }
        size_t i = 0;
        for (; n - i >= 16; i += 16) __builtin_memcpy(dst + i, src + i, 16);
        if (i < n) __builtin_memcpy(dst + n - 16, src + n - 16, 16);
        return;
    }
    if (n >= 8) HS_COPY_TWO(uint64_t);
    if (n >= 4) HS_COPY_TWO(uint32_t);
    if (n >= 2) HS_COPY_TWO(uint16_t);
    if (n == 1) dst[0] = src[0];
}

#undef HS_COPY_TWO

#endif
