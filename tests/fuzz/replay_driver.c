/* replay_driver.c: a portable stand-in for libFuzzer's main, for compilers without
 * -fsanitize=fuzzer (the gcc build). It runs every input of the seed corpus, then
 * deterministic random mutations of them (bit flips, byte changes, interesting values,
 * inserts, erases, copies, splices) until a time or run budget is spent. No coverage
 * feedback: it is a smoke test that keeps every target honest in ./tests/run; real
 * campaigns use libFuzzer (tests/fuzz/run).
 *
 * Arguments follow libFuzzer's: FILE or DIR (the corpus; a FILE alone is a reproducer),
 * -max_total_time=SECONDS (default 3), -runs=N, -seed=N (default 1), -max_len=N.
 * When the target crashes, the input is written to ./crash-<target>-<run> (or into
 * $KONS_FUZZ_ARTIFACTS/) and the signal is re-raised. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* asprintf */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

/* Targets may leave LLVMFuzzerInitialize out. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

struct input {
    uint8_t *data;
    size_t size;
};

static struct input *corpus;
static size_t ncorpus, capcorpus;
static const uint8_t *cur_data;
static size_t cur_size;
static unsigned long long cur_run;
static char artifact_prefix[512];

static void crash_handler(int sig)
{
    /* Async-signal-safe: open/write/close only. */
    char path[600], num[24];
    int n = 0;
    unsigned long long r = cur_run;
    do
        num[n++] = (char)('0' + r % 10);
    while ((r /= 10) && n < 23);
    size_t pl = strlen(artifact_prefix);
    memcpy(path, artifact_prefix, pl);
    for (int i = 0; i < n; i++)
        path[pl + i] = num[n - 1 - i];
    path[pl + n] = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        if (cur_size && write(fd, cur_data, cur_size) < 0) {
        }
        close(fd);
    }
    static const char msg[] = "\nreplay_driver: the target crashed; input written to ";
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, path, strlen(path)) < 0 || write(2, "\n", 1) < 0) {
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void add_input(const uint8_t *d, size_t n)
{
    if (ncorpus == capcorpus) {
        capcorpus = capcorpus ? 2 * capcorpus : 64;
        corpus = realloc(corpus, capcorpus * sizeof *corpus);
        if (!corpus)
            abort();
    }
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        abort();
    memcpy(copy, d, n);
    corpus[ncorpus++] = (struct input){copy, n};
}

static int load_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay_driver: %s: %s\n", path, strerror(errno));
        return -1;
    }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 4096;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    add_input(buf, n);
    free(buf);
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load a directory's regular files in name order (deterministic). */
static int load_dir(const char *path)
{
    DIR *dir = opendir(path);
    if (!dir) {
        fprintf(stderr, "replay_driver: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        if (!names || asprintf(&names[n], "%s/%s", path, e->d_name) < 0)
            abort();
        n++;
    }
    closedir(dir);
    qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            load_file(names[i]);
        free(names[i]);
    }
    free(names);
    return 0;
}

static uint64_t rng;
static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static size_t below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

/* One mutation of buf[0..*n) in place (capacity cap). */
static void mutate_once(uint8_t *buf, size_t *n, size_t cap)
{
    static const uint64_t interesting[] = {0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                           0x7fffffff, 0x80000000u, 0xffffffffu, 512, 4096,
                                           65536, 1u << 20, UINT64_MAX, INT64_MAX};
    size_t len = *n;
    switch (below(9)) {
    case 0: /* flip a bit */
        if (len)
            buf[below(len)] ^= (uint8_t)(1u << below(8));
        break;
    case 1: /* random byte */
        if (len)
            buf[below(len)] = (uint8_t)rnd();
        break;
    case 2: { /* interesting value, 1/2/4/8 bytes little-endian */
        size_t w = (size_t)1 << below(4);
        if (len >= w) {
            uint64_t v = interesting[below(sizeof interesting / sizeof *interesting)];
            size_t at = below(len - w + 1);
            for (size_t i = 0; i < w; i++)
                buf[at + i] = (uint8_t)(v >> (8 * i));
        }
        break;
    }
    case 3: { /* insert random bytes */
        size_t k = 1 + below(16);
        if (len + k <= cap) {
            size_t at = below(len + 1);
            memmove(buf + at + k, buf + at, len - at);
            for (size_t i = 0; i < k; i++)
                buf[at + i] = (uint8_t)rnd();
            *n = len + k;
        }
        break;
    }
    case 4: { /* erase bytes */
        if (len) {
            size_t at = below(len), k = 1 + below(len - at < 16 ? len - at : 16);
            memmove(buf + at, buf + at + k, len - at - k);
            *n = len - k;
        }
        break;
    }
    case 5: { /* copy a chunk over another place */
        if (len >= 2) {
            size_t k = 1 + below(len / 2), from = below(len - k + 1), to = below(len - k + 1);
            memmove(buf + to, buf + from, k);
        }
        break;
    }
    case 6: { /* splice in a piece of another corpus input */
        const struct input *o = &corpus[below(ncorpus)];
        if (o->size) {
            size_t from = below(o->size), k = 1 + below(o->size - from);
            size_t at = below(len + 1);
            if (at + k > cap)
                k = cap - at;
            memcpy(buf + at, o->data + from, k);
            if (at + k > len)
                *n = at + k;
        }
        break;
    }
    case 7: /* truncate */
        if (len)
            *n = below(len);
        break;
    default: /* increment / decrement a byte */
        if (len)
            buf[below(len)] += (uint8_t)(rnd() & 1 ? 1 : -1);
        break;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run_one(const uint8_t *d, size_t n)
{
    /* A fresh heap copy of exactly n bytes, so ASan sees reads past the end. */
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        abort();
    memcpy(copy, d, n);
    cur_data = copy;
    cur_size = n;
    LLVMFuzzerTestOneInput(copy, n);
    free(copy);
    cur_run++;
}

int main(int argc, char **argv)
{
    double max_time = 3;
    unsigned long long runs = 0, seed = 1;
    size_t max_len = 0;
    int single_files = 0, dirs = 0;
    const char *target = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    const char *adir = getenv("KONS_FUZZ_ARTIFACTS");
    snprintf(artifact_prefix, sizeof artifact_prefix, "%s%scrash-%s-", adir ? adir : "",
             adir ? "/" : "", target);
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strncmp(a, "-max_total_time=", 16))
            max_time = atof(a + 16);
        else if (!strncmp(a, "-runs=", 6))
            runs = strtoull(a + 6, NULL, 10);
        else if (!strncmp(a, "-seed=", 6))
            seed = strtoull(a + 6, NULL, 10);
        else if (!strncmp(a, "-max_len=", 9))
            max_len = strtoull(a + 9, NULL, 10);
        else if (a[0] == '-')
            fprintf(stderr, "replay_driver: ignoring libFuzzer option %s\n", a);
        else {
            struct stat st;
            if (stat(a, &st) != 0) {
                fprintf(stderr, "replay_driver: %s: %s\n", a, strerror(errno));
                return 2;
            }
            if (S_ISDIR(st.st_mode)) {
                dirs++;
                load_dir(a);
            } else {
                single_files++;
                load_file(a);
            }
        }
    }
    static const int sigs[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        signal(sigs[i], crash_handler);

    double t0 = now_s();
    for (size_t i = 0; i < ncorpus; i++)
        run_one(corpus[i].data, corpus[i].size);
    if (single_files && !dirs) {   /* reproducing given inputs: no mutation */
        printf("%s: ran %zu input(s)\n", target, ncorpus);
        return 0;
    }
    if (ncorpus == 0)
        add_input((const uint8_t *)"", 0);
    if (!max_len) {
        for (size_t i = 0; i < ncorpus; i++)
            if (corpus[i].size > max_len)
                max_len = corpus[i].size;
        max_len = max_len * 2 < 4096 ? 4096 : max_len * 2;
    }
    rng = seed;
    uint8_t *buf = malloc(max_len);
    unsigned long long mutated = 0;
    while ((runs == 0 || mutated < runs) && (max_time <= 0 || now_s() - t0 < max_time)) {
        const struct input *in = &corpus[below(ncorpus)];
        size_t n = in->size < max_len ? in->size : max_len;
        memcpy(buf, in->data, n);
        for (size_t k = 1 + below(8); k; k--)
            mutate_once(buf, &n, max_len);
        run_one(buf, n);
        mutated++;
    }
    free(buf);
    printf("%s: %zu corpus inputs, %llu mutated runs in %.1f s (seed %llu)\n", target, ncorpus,
           mutated, now_s() - t0, seed);
    for (size_t i = 0; i < ncorpus; i++)
        free(corpus[i].data);
    free(corpus);
    return 0;
}
