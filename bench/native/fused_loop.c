// The fused φ/shape loop of src/Grains/Kernels/FusedShapePass.cs written by hand in AVX-512 C:
// the yardstick the C# loop is measured against (bench/README.md). Same data layout: rows of
// exp(E[log]) padded to whole registers (64 floats for K = 50, and for two members of 25), CSR of
// (counterpart index, count), float32 with partial sums flushed to double every 64 nonzeros, and each
// counterpart row asked for twice while earlier nonzeros compute: FAR_AHEAD places before its use into L2, NEAR_AHEAD
// places before into L1.
//
//   gcc -O3 -march=native -fopenmp -o fused_loop fused_loop.c
//
// Two modes:
//   ./fused_loop [users items nonzeros_per_user K]
//       one thread, one member, uniform random counterparts: one pass over the users, best of 50.
//   ./fused_loop --csr FILE [--k 50] [--members 2] [--threads 2] [--passes 10] [--gather-only]
//       a full iteration's two fused passes over a real nonzero structure: every user row against the item
//       table, then every item row against the user table, OpenMP threads over blocks of rows as the
//       engine's Parallel.For does. FILE holds int32 users, int32 items, int64 nonzeros, then int32
//       row starts [users + 1], int32 item indices [nonzeros], float32 counts [nonzeros] (the CSR by
//       user, little-endian): `end-to-end --yardstick` writes it and runs this mode beside the engine.
//       Prints the best and the mean time per iteration (both passes) over the passes. --gather-only reads the same
//       rows in the same order with the same prefetching and only adds them up: what reading the rows alone takes.
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// -DFAR_AHEAD=N -DNEAR_AHEAD=M try other distances. A core keeps more misses to L2 in flight than to L1: at 48M
// nonzeros one request 8 ahead into L1 read the rows in 1.31-1.37 s an iteration, one 16-20 ahead into L2 in 0.98-1.0 s,
// and the fused passes took 1.29-1.47 s with both requests against 1.70-1.85 s with the one into L1.
#ifndef FAR_AHEAD
#define FAR_AHEAD 16
#endif
#ifndef NEAR_AHEAD
#define NEAR_AHEAD 4
#endif

// Asks for row `other[j + FAR_AHEAD]` into L2 and row `other[j + NEAR_AHEAD]` into L1, each of `regs` cache lines.
static inline __attribute__((always_inline)) void prefetch_ahead(const int *other, long j, long n, const float *table, int stride, int regs) {
    if (j + FAR_AHEAD < n) {
        const char *far = (const char *)(table + (long)other[j + FAR_AHEAD] * stride);
        for (int v = 0; v < regs; v++) _mm_prefetch(far + 64 * v, _MM_HINT_T1);
    }
    if (j + NEAR_AHEAD < n) {
        const char *near = (const char *)(table + (long)other[j + NEAR_AHEAD] * stride);
        for (int v = 0; v < regs; v++) _mm_prefetch(near + 64 * v, _MM_HINT_T0);
    }
}
#define FLUSH_EVERY 64

static uint64_t state = 42;
static uint64_t next(void) { state += 0x9E3779B97F4A7C15ULL; uint64_t z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL; z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL; return z ^ (z >> 31); }
static float uniform(void) { return (float)(next() >> 40) * (1.0f / 16777216.0f) + 1e-3f; }

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
// CPU time of every thread of the process: steadier than wall time on a machine others are using.
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

// Weight rows: `members` members, each its share of k padded to whole registers of 16 floats.
static int member_stride(int k, int members, int m) { int size = k / members + (m < k % members ? 1 : 0); return (size + 15) / 16 * 16; }

static float *weights(long rows, int k, int members, int stride) {
    float *t = aligned_alloc(64, sizeof(float) * rows * stride);
    for (long r = 0; r < rows; r++) {
        float *row = t + r * stride;
        int at = 0;
        for (int m = 0; m < members; m++) {
            int size = k / members + (m < k % members ? 1 : 0), ms = member_stride(k, members, m);
            for (int f = 0; f < ms; f++) row[at + f] = f < size ? uniform() : 0;
            at += ms;
        }
    }
    return t;
}

// One row: acc64[f] = Σ_n (y_n / ⟨w_m, e_{o_n,m}⟩)·e_{o_n,f} for f in member m; registers = stride / 16 ≤ 4,
// member 0 owns registers [0, first), member 1 the rest (first = registers when there is one member).
static inline __attribute__((always_inline)) void fused_row_in(const int *other, const float *count, long n, const float *w,
                                                             const float *table, int stride, int regs, int first, double *acc64) {
    __m512 wr[4], a[4];
    for (int v = 0; v < 4; v++) { wr[v] = v < regs ? _mm512_load_ps(w + 16 * v) : _mm512_setzero_ps(); a[v] = _mm512_setzero_ps(); }
    for (int f = 0; f < stride; f++) acc64[f] = 0;
    int since = 0;
    for (long j = 0; j < n; j++) {
        prefetch_ahead(other, j, n, table, stride, regs);
        const float *e = table + (long)other[j] * stride;
        __m512 ev[4], d0 = _mm512_setzero_ps(), d1 = _mm512_setzero_ps();
        for (int v = 0; v < 4; v++) ev[v] = v < regs ? _mm512_load_ps(e + 16 * v) : _mm512_setzero_ps();
        for (int v = 0; v < regs; v++) {
            if (v < first) d0 = _mm512_fmadd_ps(ev[v], wr[v], d0);
            else d1 = _mm512_fmadd_ps(ev[v], wr[v], d1);
        }
        float s0 = _mm512_reduce_add_ps(d0), c0 = s0 >= 1e-30f ? count[j] / s0 : 0;
        float c1 = 0;
        if (first < regs) { float s1 = _mm512_reduce_add_ps(d1); c1 = s1 >= 1e-30f ? count[j] / s1 : 0; }
        __m512 v0 = _mm512_set1_ps(c0), v1 = _mm512_set1_ps(c1);
        for (int v = 0; v < regs; v++) a[v] = _mm512_fmadd_ps(v < first ? v0 : v1, ev[v], a[v]);
        if (++since == FLUSH_EVERY || j + 1 == n) {
            for (int v = 0; v < regs; v++) {
                float tmp[16] __attribute__((aligned(64)));
                _mm512_store_ps(tmp, a[v]);
                for (int f = 0; f < 16; f++) acc64[16 * v + f] += tmp[f];
                a[v] = _mm512_setzero_ps();
            }
            since = 0;
        }
    }
}

// The same walk as fused_row_in with no arithmetic but one add per register: the same rows read in the same order with
// the same prefetching, so its time is what reading the counterpart rows alone costs: the part of a pass that no
// arithmetic can remove.
static inline __attribute__((always_inline)) void gather_row_in(const int *other, long n, const float *table, int stride, int regs,
                                                              double *acc64) {
    __m512 a[4];
    for (int v = 0; v < 4; v++) a[v] = _mm512_setzero_ps();
    for (long j = 0; j < n; j++) {
        prefetch_ahead(other, j, n, table, stride, regs);
        const float *e = table + (long)other[j] * stride;
        for (int v = 0; v < regs; v++) a[v] = _mm512_add_ps(a[v], _mm512_load_ps(e + 16 * v));
    }
    for (int v = 0; v < regs; v++) acc64[v] += _mm512_reduce_add_ps(a[v]);
}

static void gather_row(const int *other, long n, const float *table, int stride, double *acc64) {
    if (stride == 64) gather_row_in(other, n, table, 64, 4, acc64);
    else if (stride == 32) gather_row_in(other, n, table, 32, 2, acc64);
    else gather_row_in(other, n, table, stride, stride / 16, acc64);
}

// The register counts the shapes use, as constants, so the compiler keeps the row in registers and drops the branches.
static void fused_row(const int *other, const float *count, long n, const float *w, const float *table, int stride, int first, double *acc64) {
    int regs = stride / 16;
    if (regs == 4 && first == 2) fused_row_in(other, count, n, w, table, 64, 4, 2, acc64);
    else if (regs == 4 && first == 4) fused_row_in(other, count, n, w, table, 64, 4, 4, acc64);
    else if (regs == 2 && first == 1) fused_row_in(other, count, n, w, table, 32, 2, 1, acc64);
    else if (regs == 2 && first == 2) fused_row_in(other, count, n, w, table, 32, 2, 2, acc64);
    else fused_row_in(other, count, n, w, table, stride, regs, first, acc64);
}

// Rows cut into blocks of about 8192 nonzero-equivalents, as RowBlocks does, taken by threads dynamically.
static int *blocks(const int *start, int rows, int k, int *count) {
    int *b = malloc(sizeof(int) * (rows + 2)), nb = 0, cost = k / 4 > 1 ? k / 4 : 1;
    long work = 0;
    b[nb++] = 0;
    for (int r = 0; r < rows; r++) {
        work += start[r + 1] - start[r] + cost;
        if (work >= 8192 && r + 1 < rows) { b[nb++] = r + 1; work = 0; }
    }
    b[nb] = rows;
    *count = nb;
    return b;
}

static void pass(const int *start, const int *other, const float *count, int rows, const int *blk, int nblk,
                 const float *w, const float *table, int stride, int first, double *acc, int gather_only) {
    #pragma omp parallel for schedule(dynamic, 1)
    for (int b = 0; b < nblk; b++)
        for (int r = blk[b]; r < blk[b + 1]; r++) {
            if (gather_only) gather_row(other + start[r], start[r + 1] - start[r], table, stride, acc + (long)r * stride);
            else fused_row(other + start[r], count + start[r], start[r + 1] - start[r], w + (long)r * stride, table, stride, first,
                           acc + (long)r * stride);
        }
}

static int csr_mode(int argc, char **argv) {
    const char *path = NULL;
    int k = 50, members = 2, threads = 2, passes = 10, gather_only = 0;
    for (int a = 1; a < argc; a += 2) {
        if (!strcmp(argv[a], "--gather-only")) { gather_only = 1; a--; continue; }
        if (a + 1 >= argc) { fprintf(stderr, "%s needs a value\n", argv[a]); return 2; }
        if (!strcmp(argv[a], "--csr")) path = argv[a + 1];
        else if (!strcmp(argv[a], "--k")) k = atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "--members")) members = atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "--threads")) threads = atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "--passes")) passes = atoi(argv[a + 1]);
        else { fprintf(stderr, "unknown option %s\n", argv[a]); return 2; }
    }
    if (!path || members < 1 || members > 2) { fprintf(stderr, "--csr FILE is needed; --members is 1 or 2\n"); return 2; }
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 1; }
    int users, items; long nnz;
    if (fread(&users, 4, 1, f) != 1 || fread(&items, 4, 1, f) != 1 || fread(&nnz, 8, 1, f) != 1) { fprintf(stderr, "%s: short header\n", path); return 1; }
    int *ustart = malloc(sizeof(int) * (users + 1)), *uother = malloc(sizeof(int) * nnz);
    float *ucount = malloc(sizeof(float) * nnz);
    if (fread(ustart, 4, users + 1, f) != (size_t)users + 1 || fread(uother, 4, nnz, f) != (size_t)nnz || fread(ucount, 4, nnz, f) != (size_t)nnz) {
        fprintf(stderr, "%s: shorter than its header says\n", path);
        return 1;
    }
    fclose(f);
    // The CSC by item, each item's users ascending, as SparseRows.Transpose builds it.
    int *istart = calloc(items + 1, sizeof(int)), *iother = malloc(sizeof(int) * nnz);
    float *icount = malloc(sizeof(float) * nnz);
    for (long j = 0; j < nnz; j++) istart[uother[j] + 1]++;
    for (int i = 0; i < items; i++) istart[i + 1] += istart[i];
    int *fill = malloc(sizeof(int) * items);
    memcpy(fill, istart, sizeof(int) * items);
    for (int u = 0; u < users; u++)
        for (int j = ustart[u]; j < ustart[u + 1]; j++) { int s = fill[uother[j]]++; iother[s] = u; icount[s] = ucount[j]; }
    free(fill);

    int stride = 0;
    for (int m = 0; m < members; m++) stride += member_stride(k, members, m);
    int first = members == 2 ? member_stride(k, members, 0) / 16 : stride / 16;
    if (stride > 64) { fprintf(stderr, "this yardstick keeps a row in four registers: K up to 64\n"); return 2; }
    float *wu = weights(users, k, members, stride), *wi = weights(items, k, members, stride);
    double *accu = aligned_alloc(64, sizeof(double) * users * stride), *acci = aligned_alloc(64, sizeof(double) * items * stride);
    int nbu, nbi, *bu = blocks(ustart, users, k, &nbu), *bi = blocks(istart, items, k, &nbi);
    omp_set_num_threads(threads);

    double best = 1e30, total = 0, checksum = 0, cpu0 = cpu();
    for (int p = 0; p < passes; p++) {
        double t0 = now();
        pass(ustart, uother, ucount, users, bu, nbu, wu, wi, stride, first, accu, gather_only);
        pass(istart, iother, icount, items, bi, nbi, wi, wu, stride, first, acci, gather_only);
        double t = now() - t0;
        total += t;
        if (t < best) best = t;
        checksum += accu[0] + acci[0];
    }
    double cpu_total = cpu() - cpu0;
    printf("%s users %d items %d nonzeros %ld K %d members %d stride %d threads %d passes %d: "
           "best %.3f ms mean %.3f ms cpu %.3f ms per iteration (two %s passes), %.4f ns per (nonzero x factor) per pass [checksum %g]\n",
           gather_only ? "reading the rows only" : "yardstick", users, items, nnz, k, members, stride, threads, passes, best * 1e3, total / passes * 1e3, cpu_total / passes * 1e3,
           gather_only ? "gather-only" : "fused", best * 1e9 / nnz / k / 2, checksum);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "--csr")) return csr_mode(argc, argv);
    int users = argc > 1 ? atoi(argv[1]) : 943, items = argc > 2 ? atoi(argv[2]) : 1682;
    int per_user = argc > 3 ? atoi(argv[3]) : 85, k = argc > 4 ? atoi(argv[4]) : 50;
    int stride = (k + 15) / 16 * 16;
    long nnz = (long)users * per_user;
    if (stride > 64) { fprintf(stderr, "this yardstick keeps a row in four registers: K up to 64\n"); return 2; }
    float *w = weights(users, k, 1, stride), *e = weights(items, k, 1, stride);
    int *other = malloc(sizeof(int) * nnz); float *count = malloc(sizeof(float) * nnz);
    for (long j = 0; j < nnz; j++) { other[j] = (int)(next() % items); count[j] = 1 + (float)(next() % 5); }
    double *acc64 = aligned_alloc(64, sizeof(double) * stride * users);

    double best = 1e30, checksum = 0;
    for (int rep = 0; rep < 50; rep++) {
        double t0 = now();
        for (int u = 0; u < users; u++)
            fused_row(other + (long)u * per_user, count + (long)u * per_user, per_user, w + (long)u * stride, e, stride, stride / 16,
                      acc64 + (long)u * stride);
        double t = now() - t0;
        if (t < best) best = t;
        checksum += acc64[0];
    }
    printf("users %d items %d nonzeros %ld K %d stride %d: best %.3f ms per pass, %.3f ns per nonzero, %.4f ns per (nonzero x factor) [checksum %g]\n",
        users, items, nnz, k, stride, best * 1e3, best * 1e9 / nnz, best * 1e9 / nnz / k, checksum);
    return 0;
}
