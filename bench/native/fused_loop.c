// The fused φ/shape loop of src/Grains/Kernels/FusedShapePass.cs written by hand in AVX-512 C:
// the yardstick the C# loop is measured against (bench/README.md). Same data layout: rows of
// exp(E[log]) padded to 64 floats for K = 50, CSR of (item index, count), float32 with partial
// sums flushed to double every 64 nonzeros.
//
//   gcc -O3 -march=native -o fused_loop fused_loop.c && ./fused_loop [users items nonzeros_per_user K]
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t state = 42;
static uint64_t next(void) { state += 0x9E3779B97F4A7C15ULL; uint64_t z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL; z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL; return z ^ (z >> 31); }
static float uniform(void) { return (float)(next() >> 40) * (1.0f / 16777216.0f); }

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(int argc, char **argv) {
    int users = argc > 1 ? atoi(argv[1]) : 943, items = argc > 2 ? atoi(argv[2]) : 1682;
    int per_user = argc > 3 ? atoi(argv[3]) : 85, k = argc > 4 ? atoi(argv[4]) : 50;
    int stride = (k + 15) / 16 * 16;
    long nnz = (long)users * per_user;
    float *w = aligned_alloc(64, sizeof(float) * users * stride), *e = aligned_alloc(64, sizeof(float) * items * stride);
    for (long j = 0; j < (long)users * stride; j++) w[j] = (j % stride) < k ? uniform() : 0;
    for (long j = 0; j < (long)items * stride; j++) e[j] = (j % stride) < k ? uniform() : 0;
    int *other = malloc(sizeof(int) * nnz); float *count = malloc(sizeof(float) * nnz);
    for (long j = 0; j < nnz; j++) { other[j] = (int)(next() % items); count[j] = 1 + (float)(next() % 5); }
    double *acc64 = aligned_alloc(64, sizeof(double) * stride * users);
    float acc32[64 * 4] __attribute__((aligned(64)));

    double best = 1e30, checksum = 0;
    for (int rep = 0; rep < 50; rep++) {
        double t0 = now();
        for (int u = 0; u < users; u++) {
            const float *wu = w + (long)u * stride;
            double *a64 = acc64 + (long)u * stride;
            for (int f = 0; f < stride; f++) { acc32[f] = 0; a64[f] = 0; }
            int since = 0;
            for (long n = (long)u * per_user; n < (long)(u + 1) * per_user; n++) {
                const float *eo = e + (long)other[n] * stride;
                __m512 s = _mm512_setzero_ps();
                for (int f = 0; f < stride; f += 16) s = _mm512_fmadd_ps(_mm512_load_ps(wu + f), _mm512_load_ps(eo + f), s);
                float sum = _mm512_reduce_add_ps(s);
                if (!(sum >= 1e-30f)) continue;
                __m512 c = _mm512_set1_ps(count[n] / sum);
                for (int f = 0; f < stride; f += 16) _mm512_store_ps(acc32 + f, _mm512_fmadd_ps(c, _mm512_load_ps(eo + f), _mm512_load_ps(acc32 + f)));
                if (++since == 64) { for (int f = 0; f < stride; f++) { a64[f] += acc32[f]; acc32[f] = 0; } since = 0; }
            }
            for (int f = 0; f < stride; f++) a64[f] += acc32[f];
        }
        double t = now() - t0;
        if (t < best) best = t;
        checksum += acc64[0];
    }
    printf("users %d items %d nonzeros %ld K %d stride %d: best %.3f ms per pass, %.3f ns per nonzero, %.4f ns per (nonzero x factor) [checksum %g]\n",
        users, items, nnz, k, stride, best * 1e3, best * 1e9 / nnz, best * 1e9 / nnz / k, checksum);
    return 0;
}
