/* bench_block.c: what the disk protocol costs on this machine (a benchmark, not a test:
 * `meson test -C build --benchmark --suite block`). On a file in $KONS_BENCH_DIR
 * (default /var/tmp, a real disk rather than tmpfs), through io_uring with O_DIRECT and
 * buffered:
 *   - sequential 1 MiB writes, 8 in flight, then one flush: MB/s (the shape of checkpoint
 *     segments);
 *   - random 4 KiB reads at 1 and 32 in flight: IOPS (recovery reading segment headers);
 *   - superblock updates (4 KiB write + fdatasync, ck_sb_update): median and 99th
 *     percentile latency (the commit point of every checkpoint). */
#include <ck/superblock.h>
#include <drv/block.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB (1u << 20)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void seq_write(drv_blk *d, uint64_t total)
{
    enum { QD = 8 };
    uint8_t *buf = aligned_alloc(4096, QD * (size_t)MIB);
    memset(buf, 0x5a, QD * (size_t)MIB);
    drv_blk_ticket t[QD];
    drv_blk_ticket *pending[QD];   /* the tickets in flight, compacted */
    int npending = 0, free_slot[QD], nfree = QD;
    for (int i = 0; i < QD; i++)
        free_slot[i] = i;
    double t0 = now();
    uint64_t off = 0;
    while (off < total || npending) {
        while (off < total && nfree) {
            int s = free_slot[--nfree];
            drv_blk_write(d, off, buf + (size_t)s * MIB, MIB, &t[s]);
            pending[npending++] = &t[s];
            off += MIB;
        }
        int k = drv_blk_wait_some(pending, (size_t)npending);
        if (k < 0 || pending[k]->status < 0) {
            fprintf(stderr, "bench_block: write failed\n");
            exit(1);
        }
        free_slot[nfree++] = (int)(pending[k] - t);
        pending[k] = pending[--npending];
    }
    drv_blk_sync(d);
    double dt = now() - t0;
    printf("  sequential 1 MiB writes (8 in flight) + flush: %.0f MB/s (%llu MiB in %.2f s)\n",
           total / dt / 1e6, (unsigned long long)(total / MIB), dt);
    /* Leave the superblock area blank for sb_updates. */
    memset(buf, 0, MIB);
    drv_blk_pwrite(d, 0, buf, MIB);
    free(buf);
}

static void rand_read(drv_blk *d, uint64_t span, int qd, int n)
{
    uint8_t *buf = aligned_alloc(4096, (size_t)qd * 4096);
    drv_blk_ticket *t = calloc((size_t)qd, sizeof *t);
    drv_blk_ticket **tp = calloc((size_t)qd, sizeof *tp);
    uint64_t x = 88172645463325252ull, blocks = span / 4096;
    double t0 = now();
    for (int done = 0; done < n;) {
        int k = qd < n - done ? qd : n - done;
        for (int i = 0; i < k; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            drv_blk_read(d, (x % blocks) * 4096, buf + (size_t)i * 4096, 4096, &t[i]);
            tp[i] = &t[i];
        }
        drv_blk_wait_all(tp, (size_t)k);
        done += k;
    }
    double dt = now() - t0;
    printf("  random 4 KiB reads, %2d in flight: %.0f IOPS\n", qd, n / dt);
    free(buf);
    free(t);
    free(tp);
}

static void sb_updates(drv_blk *d, int n)
{
    struct ck_probe p;
    struct ck_sb sb;
    if (ck_sb_probe(d, &p) == 0 && p.state == CK_STORE_KONS)
        sb = p.sb;
    else if (ck_sb_claim(d, &sb, NULL) != 0)
        return;
    double *lat = calloc((size_t)n, sizeof *lat);
    for (int i = 0; i < n; i++) {
        double t0 = now();
        ck_sb_update(d, &sb);
        lat[i] = now() - t0;
    }
    qsort(lat, (size_t)n, sizeof *lat, cmp_d);
    printf("  superblock update (write + fdatasync): median %.1f us, p99 %.1f us (%d updates)\n",
           lat[n / 2] * 1e6, lat[n * 99 / 100] * 1e6, n);
    free(lat);
}

int main(void)
{
    const char *dir = getenv("KONS_BENCH_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/kons-bench-block-%d.img", dir ? dir : "/var/tmp", (int)getpid());
    uint64_t size = 256ull * MIB;
    for (int mode = 0; mode < 2; mode++) {
        unlink(path);
        drv_blk *d;
        int e = drv_blk_uring_open(path, DRV_BLK_CREATE | (mode ? DRV_BLK_BUFFERED : 0), size, &d);
        if (e < 0) {
            fprintf(stderr, "bench_block: %s: %s\n", path, strerror(-e));
            return 1;
        }
        printf("%s\n", drv_blk_describe(d));
        seq_write(d, 192ull * MIB);
        rand_read(d, 192ull * MIB, 1, 2000);
        rand_read(d, 192ull * MIB, 32, 20000);
        sb_updates(d, 200);
        drv_blk_close(d);
    }
    unlink(path);
    drv_blk *m;
    drv_blk_mem_open(size / 4096, 4096, &m);
    printf("%s\n", drv_blk_describe(m));
    sb_updates(m, 20000);
    drv_blk_close(m);
    return 0;
}
