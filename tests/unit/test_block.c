/* test_block.c: the disk protocol (drv/block.h) on every backend: the in-memory twin,
 * io_uring on a real file (O_DIRECT and buffered), and the fault-injecting wrapper. */
#include "check.h"

#include <drv/block.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fill(uint8_t *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

/* The protocol, on any disk of at least 64 blocks. */
static void exercise(drv_blk *d)
{
    uint32_t bs = drv_blk_block_size(d);
    uint64_t nb = drv_blk_size(d);
    CHECK(bs >= 512 && (bs & (bs - 1)) == 0);
    CHECK(nb >= 160);
    CHECK_EQ_INT(drv_blk_bytes(d), nb * bs);

    /* Many asynchronous writes to distinct blocks (more than an io_uring queue holds),
     * then wait for all. (Overlapping writes in flight together may land in any order:
     * ordering them is the caller's business, with waits or flushes.) */
    enum { N = 150 };   /* more than the 128 completions an io_uring disk keeps in flight */
    size_t len = bs;
    uint8_t *out = malloc(N * len), *in = malloc(N * len);
    drv_blk_ticket *t = calloc(N, sizeof *t);
    drv_blk_ticket **tp = calloc(N, sizeof *tp);
    for (unsigned i = 0; i < N; i++) {
        fill(out + i * len, len, i);
        CHECK_EQ_INT(drv_blk_write(d, (uint64_t)i * len, out + i * len, len, &t[i]), 0);
        tp[i] = &t[i];
    }
    CHECK_EQ_INT(drv_blk_wait_all(tp, N), 0);
    for (unsigned i = 0; i < N; i++)
        CHECK(drv_blk_expired(&t[i]) && t[i].status == 0);
    drv_blk_ticket ft;
    CHECK_EQ_INT(drv_blk_flush(d, &ft), 0);
    drv_blk_ticket *fp = &ft;
    CHECK_EQ_INT(drv_blk_wait_all(&fp, 1), 0);

    /* Read back, two blocks per request. */
    for (unsigned i = 0; i < N / 2; i++) {
        CHECK_EQ_INT(drv_blk_read(d, (uint64_t)i * 2 * len, in + i * 2 * len, 2 * len, &t[i]), 0);
        tp[i] = &t[i];
    }
    int some = drv_blk_wait_some(tp, N / 2);
    CHECK(some >= 0 && some < N / 2 && drv_blk_expired(&t[some]));
    CHECK_EQ_INT(drv_blk_wait_all(tp, N / 2), 0);
    CHECK(memcmp(in, out, N * len) == 0);

    /* Unaligned user buffers (the O_DIRECT backend bounces them). */
    uint8_t *raw = malloc(bs + 1), *raw2 = malloc(bs + 1);
    fill(raw + 1, bs, 99);
    CHECK_EQ_INT(drv_blk_pwrite(d, 40 * (uint64_t)bs, raw + 1, bs), 0);
    CHECK_EQ_INT(drv_blk_pread(d, 40 * (uint64_t)bs, raw2 + 1, bs), 0);
    CHECK(memcmp(raw + 1, raw2 + 1, bs) == 0);

    /* Sub-block transfers: read-modify-write of a native block. */
    uint8_t small[64], back[512];
    fill(small, sizeof small, 7);
    CHECK_EQ_INT(drv_blk_pwrite(d, 40 * (uint64_t)bs + 128, small, sizeof small), 0);
    CHECK_EQ_INT(drv_blk_pread(d, 40 * (uint64_t)bs, back, 512), 0);
    CHECK(memcmp(back + 128, small, 64) == 0);
    CHECK(memcmp(back, raw + 1, 128) == 0 && memcmp(back + 192, raw + 1 + 192, 512 - 192) == 0);

    /* Bad requests fail at once, with the ticket expired. */
    drv_blk_ticket bt;
    CHECK_EQ_INT(drv_blk_read(d, 1, in, bs, &bt), -EINVAL);
    CHECK(drv_blk_expired(&bt) && bt.status == -EINVAL);
    CHECK_EQ_INT(drv_blk_read(d, 0, in, 3 * (size_t)bs / 2, &bt), -EINVAL);
    CHECK_EQ_INT(drv_blk_read(d, 0, in, 0, &bt), -EINVAL);
    CHECK_EQ_INT(drv_blk_write(d, 192, small, 64, &bt), 0);        /* aligned to its size */
    CHECK_EQ_INT(drv_blk_write(d, 96, small, 64, &bt), -EINVAL);    /* not aligned to 64 */
    CHECK_EQ_INT(drv_blk_read(d, nb * bs, in, bs, &bt), -ERANGE);
    CHECK_EQ_INT(drv_blk_read(d, (nb - 1) * bs, in, 2 * (size_t)bs, &bt), -ERANGE);
    CHECK_EQ_INT(drv_blk_read(d, (nb - 1) * bs, in, bs, &bt), 0);
    CHECK_EQ_INT(drv_blk_wait_all((drv_blk_ticket *[]){&bt}, 1), 0);
    CHECK_EQ_INT(drv_blk_wait_some(tp, 0), -EINVAL);
    CHECK_EQ_INT(drv_blk_sync(d), 0);
    CHECK_EQ_INT(drv_blk_drain(d), 0);
    free(raw);
    free(raw2);
    free(out);
    free(in);
    free(t);
    free(tp);
}

static void test_mem(void)
{
    drv_blk *d;
    CHECK_EQ_INT(drv_blk_mem_open(0, 4096, &d), -EINVAL);
    CHECK_EQ_INT(drv_blk_mem_open(8, 1000, &d), -EINVAL);
    CHECK_EQ_INT(drv_blk_mem_open(256, 4096, &d), 0);
    exercise(d);
    drv_blk_close(d);
    CHECK_EQ_INT(drv_blk_mem_open(256, 512, &d), 0);
    exercise(d);
    CHECK(drv_blk_mem_data(d) != NULL);
    drv_blk_close(d);
}

static char tmpdir_path[256];

static void test_file(unsigned flags)
{
    char path[300];
    snprintf(path, sizeof path, "%s/disk.img", tmpdir_path);
    unlink(path);
    drv_blk *d;
    CHECK_EQ_INT(drv_blk_uring_open(path, 0, 0, &d), -ENOENT);
    CHECK_EQ_INT(drv_blk_uring_open(path, flags | DRV_BLK_CREATE, 0, &d), -ENOSPC); /* empty */
    CHECK_EQ_INT(drv_blk_uring_open(path, flags | DRV_BLK_CREATE, 1 << 20, &d), 0);
    printf("file disk: %s\n", drv_blk_describe(d));
    CHECK_EQ_INT(drv_blk_size(d), (1 << 20) / 4096);
    if (flags & DRV_BLK_BUFFERED)
        CHECK(!drv_blk_uring_is_direct(d));
    exercise(d);
    uint8_t blk[4096], back[4096];
    fill(blk, sizeof blk, 42);
    CHECK_EQ_INT(drv_blk_pwrite(d, 100 * 4096, blk, sizeof blk), 0);
    CHECK_EQ_INT(drv_blk_sync(d), 0);
    drv_blk_close(d);
    /* What was flushed is in the file, seen by plain stdio too. */
    FILE *fp = fopen(path, "rb");
    CHECK(fp && fseek(fp, 100 * 4096, SEEK_SET) == 0 && fread(back, 1, 4096, fp) == 4096);
    if (fp)
        fclose(fp);
    CHECK(memcmp(blk, back, 4096) == 0);
    CHECK_EQ_INT(drv_blk_uring_open(path, flags | DRV_BLK_READONLY, 0, &d), 0);
    memset(back, 0, sizeof back);
    CHECK_EQ_INT(drv_blk_pread(d, 100 * 4096, back, 4096), 0);
    CHECK(memcmp(blk, back, 4096) == 0);
    CHECK(drv_blk_pwrite(d, 0, blk, 4096) < 0);   /* read-only: the kernel refuses */
    drv_blk_close(d);
    CHECK_EQ_INT(drv_blk_uring_open(tmpdir_path, 0, 0, &d), -EISDIR);
    unlink(path);
}

static int bits_differ(const uint8_t *a, const uint8_t *b, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += __builtin_popcount(a[i] ^ b[i]);
    return c;
}

static void test_fault(void)
{
    drv_blk *mem, *d;
    CHECK_EQ_INT(drv_blk_mem_open(256, 4096, &mem), 0);
    CHECK_EQ_INT(drv_blk_fault_open(mem, 1, DRV_BLK_FAULT_OWN, &d), 0);
    exercise(d);   /* with no faults armed it is a plain disk */
    drv_blk_close(d);

    /* Unflushed writes are visible, and only flushed ones survive a crash whole. */
    CHECK_EQ_INT(drv_blk_mem_open(64, 4096, &mem), 0);
    CHECK_EQ_INT(drv_blk_fault_open(mem, 7, 0, &d), 0);
    uint8_t a[4096], b[4096], r[4096];
    fill(a, sizeof a, 1);
    fill(b, sizeof b, 2);
    CHECK_EQ_INT(drv_blk_pwrite(d, 0, a, 4096), 0);
    CHECK_EQ_INT(drv_blk_sync(d), 0);
    CHECK(memcmp(drv_blk_mem_data(mem), a, 4096) == 0);      /* flushed: on the platter */
    CHECK_EQ_INT(drv_blk_pwrite(d, 0, b, 4096), 0);
    CHECK(memcmp(drv_blk_mem_data(mem), a, 4096) == 0);      /* not yet */
    CHECK_EQ_INT(drv_blk_pread(d, 0, r, 4096), 0);
    CHECK(memcmp(r, b, 4096) == 0);                          /* but visible */
    /* Crash with 40 unflushed block writes: each sector is old or new, nothing else. */
    for (int i = 1; i <= 40; i++) {
        fill(b, sizeof b, 100 + i);
        CHECK_EQ_INT(drv_blk_pwrite(d, (uint64_t)i * 4096, b, 4096), 0);
    }
    drv_blk_fault_crash(d);
    CHECK(drv_blk_fault_crashed(d));
    CHECK_EQ_INT(drv_blk_pread(d, 0, r, 4096), -EIO);
    CHECK_EQ_INT(drv_blk_pwrite(d, 0, r, 4096), -EIO);
    drv_blk_fault_restart(d);
    struct drv_blk_fault_stats st;
    drv_blk_fault_stats(d, &st);
    CHECK_EQ_INT(st.lost + st.applied + st.torn, 41);
    CHECK(st.lost > 0 && st.applied > 0 && st.torn > 0);
    int sectors_ok = 1, torn_seen = 0;
    for (int i = 1; i <= 40; i++) {
        fill(b, sizeof b, 100 + i);
        CHECK_EQ_INT(drv_blk_pread(d, (uint64_t)i * 4096, r, 4096), 0);
        int news = 0;
        for (int s = 0; s < 8; s++) {
            const uint8_t *x = r + s * 512;
            int is_new = memcmp(x, b + s * 512, 512) == 0;
            int is_old = memcmp(x, (uint8_t[512]){0}, 512) == 0;
            sectors_ok &= is_new || is_old;
            news += is_new;
        }
        torn_seen |= news > 0 && news < 8;
    }
    CHECK(sectors_ok);
    CHECK(torn_seen);

    /* Crash point: the third write fails, and so does everything after it. */
    CHECK_EQ_INT(drv_blk_sync(d), 0);
    drv_blk_fault_crash_after(d, 3);
    CHECK_EQ_INT(drv_blk_pwrite(d, 0, a, 4096), 0);
    CHECK_EQ_INT(drv_blk_pwrite(d, 4096, a, 4096), 0);
    CHECK_EQ_INT(drv_blk_pwrite(d, 8192, a, 4096), -EIO);
    CHECK(drv_blk_fault_crashed(d));
    CHECK_EQ_INT(drv_blk_sync(d), -EIO);
    drv_blk_fault_restart(d);
    CHECK_EQ_INT(drv_blk_sync(d), 0);

    /* Bad blocks. */
    drv_blk_fault_bad(d, 5, 2, DRV_BLK_BAD_READ);
    CHECK_EQ_INT(drv_blk_pread(d, 6 * 4096, r, 4096), -EIO);
    CHECK_EQ_INT(drv_blk_pread(d, 4 * 4096, r, 8192), -EIO);
    CHECK_EQ_INT(drv_blk_pwrite(d, 6 * 4096, r, 4096), 0);
    CHECK_EQ_INT(drv_blk_pread(d, 7 * 4096, r, 4096), 0);
    drv_blk_fault_bad(d, 5, 2, DRV_BLK_BAD_WRITE);
    CHECK_EQ_INT(drv_blk_pread(d, 6 * 4096, r, 4096), 0);
    CHECK_EQ_INT(drv_blk_pwrite(d, 5 * 4096, r, 4096), -EIO);
    drv_blk_fault_bad(d, 5, 2, 0);
    CHECK_EQ_INT(drv_blk_pwrite(d, 5 * 4096, r, 4096), 0);

    /* Bit flips at rest: exactly one bit, inside the range. */
    CHECK_EQ_INT(drv_blk_sync(d), 0);
    uint8_t before[4096];
    memcpy(before, drv_blk_mem_data(mem) + 9 * 4096, 4096);
    CHECK_EQ_INT(drv_blk_fault_flip(d, 9 * 4096 + 100, 10, 1), 0);
    CHECK_EQ_INT(bits_differ(before, drv_blk_mem_data(mem) + 9 * 4096, 4096), 1);
    CHECK_EQ_INT(bits_differ(before, drv_blk_mem_data(mem) + 9 * 4096, 100), 0);
    CHECK_EQ_INT(bits_differ(before + 110, drv_blk_mem_data(mem) + 9 * 4096 + 110, 4096 - 110), 0);
    /* Flips on write, at a rate of one in one: every block written gets one. */
    drv_blk_fault_set_flip_rate(d, 1000000);
    CHECK_EQ_INT(drv_blk_pwrite(d, 10 * 4096, a, 4096), 0);
    CHECK_EQ_INT(drv_blk_sync(d), 0);
    CHECK_EQ_INT(bits_differ(a, drv_blk_mem_data(mem) + 10 * 4096, 4096), 1);
    drv_blk_close(d);
    drv_blk_close(mem);

    /* Determinism: the same seed and operations give the same platter; another seed
     * (almost surely) does not. */
    uint8_t *img[3];
    uint64_t seeds[3] = {1234, 1234, 4321};
    for (int k = 0; k < 3; k++) {
        CHECK_EQ_INT(drv_blk_mem_open(64, 4096, &mem), 0);
        CHECK_EQ_INT(drv_blk_fault_open(mem, seeds[k], 0, &d), 0);
        for (int i = 0; i < 64; i++) {
            fill(b, sizeof b, (unsigned)i);
            drv_blk_pwrite(d, (uint64_t)i * 4096, b, 4096);
        }
        drv_blk_fault_crash(d);
        img[k] = malloc(64 * 4096);
        memcpy(img[k], drv_blk_mem_data(mem), 64 * 4096);
        drv_blk_close(d);
        drv_blk_close(mem);
    }
    CHECK(memcmp(img[0], img[1], 64 * 4096) == 0);
    CHECK(memcmp(img[0], img[2], 64 * 4096) != 0);
    for (int k = 0; k < 3; k++)
        free(img[k]);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir_path, sizeof tmpdir_path, "%s/kons-test-block-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(tmpdir_path)) {
        perror("mkdtemp");
        return 1;
    }
    test_mem();
    test_file(0);
    test_file(DRV_BLK_BUFFERED);
    test_fault();
    rmdir(tmpdir_path);
    return check_report();
}
