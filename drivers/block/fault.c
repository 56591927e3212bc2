/* fault.c: a fault-injecting disk wrapping another disk (the "platter"), for crash tests.
 * Deterministic: every random choice comes from one splitmix64 stream seeded at open.
 *
 * Invariant: the platter holds exactly the writes made durable by completed flushes (plus
 * whatever a crash let through); `pend` holds, in submission order, the writes accepted
 * since the last flush, and reads see platter + pend applied in order. Operations
 * complete inside their submit call. */
#include "block_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct pending_write {
    uint64_t off;
    size_t len;
    uint8_t *data;
    bool in_flight;         /* the write that met the crash point */
};

struct bad_range {
    uint64_t first, count;
    unsigned mode;
};

struct fault_disk {
    drv_blk base;
    drv_blk *inner;
    unsigned flags;
    uint64_t rng;
    struct pending_write *pend;
    size_t npend, cap;
    uint64_t countdown;     /* crash when it reaches 0 from 1; 0 = disarmed */
    bool crashed;
    uint32_t flip_ppm;
    struct bad_range *bad;
    size_t nbad;
    struct drv_blk_fault_stats st;
};

static struct fault_disk *F(drv_blk *d) { return (struct fault_disk *)d; }

static uint64_t rnd(struct fault_disk *f)
{
    uint64_t z = (f->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rnd_below(struct fault_disk *f, uint64_t n) { return n ? rnd(f) % n : 0; }

static uint64_t fa_size(drv_blk *d) { return drv_blk_size(F(d)->inner); }
static uint32_t fa_block_size(drv_blk *d) { return drv_blk_block_size(F(d)->inner); }

static bool is_bad(struct fault_disk *f, uint64_t off, size_t len, unsigned mode)
{
    uint32_t bs = drv_blk_block_size(f->inner);
    uint64_t first = off / bs, last = (off + len - 1) / bs;
    for (size_t i = 0; i < f->nbad; i++)
        if ((f->bad[i].mode & mode) && first < f->bad[i].first + f->bad[i].count &&
            last >= f->bad[i].first)
            return true;
    return false;
}

/* Write to the platter, with the configured bit-flip rate per block. */
static int platter_write(struct fault_disk *f, uint64_t off, const uint8_t *data, size_t len)
{
    if (!f->flip_ppm)
        return drv_blk_pwrite(f->inner, off, data, len);
    uint8_t *copy = malloc(len);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, data, len);
    uint32_t bs = drv_blk_block_size(f->inner);
    for (size_t b = 0; b < len; b += bs) {
        if (rnd_below(f, 1000000) < f->flip_ppm) {
            size_t n = len - b < bs ? len - b : bs;
            uint64_t bit = rnd_below(f, (uint64_t)n * 8);
            copy[b + bit / 8] ^= (uint8_t)(1u << (bit % 8));
            f->st.flips++;
        }
    }
    int err = drv_blk_pwrite(f->inner, off, copy, len);
    free(copy);
    return err;
}

static void drop_pending(struct fault_disk *f)
{
    for (size_t i = 0; i < f->npend; i++)
        free(f->pend[i].data);
    f->npend = 0;
}

/* The power fails: resolve each unflushed write (lost / applied / torn) in random order. */
static void do_crash(struct fault_disk *f)
{
    for (size_t i = f->npend; i > 1; i--) {     /* Fisher-Yates: the cache reorders */
        size_t j = rnd_below(f, i);
        struct pending_write t = f->pend[i - 1];
        f->pend[i - 1] = f->pend[j];
        f->pend[j] = t;
    }
    for (size_t i = 0; i < f->npend; i++) {
        struct pending_write *w = &f->pend[i];
        if (w->in_flight && (f->flags & DRV_BLK_FAULT_SMEAR)) {
            /* The transfer stopped at a random byte: what precedes it is new (sectors
             * before it whole, its own sector up to the byte), the rest is old. */
            f->st.torn++;
            size_t cut = rnd_below(f, w->len + 1);
            size_t whole = cut / DRV_BLK_FAULT_SECTOR * DRV_BLK_FAULT_SECTOR;
            if (whole)
                platter_write(f, w->off, w->data, whole);
            if (cut > whole) {
                uint8_t sec[DRV_BLK_FAULT_SECTOR];
                if (drv_blk_pread(f->inner, w->off + whole, sec, sizeof sec) == 0) {
                    memcpy(sec, w->data + whole, cut - whole);
                    platter_write(f, w->off + whole, sec, sizeof sec);
                }
            }
            continue;
        }
        switch (rnd_below(f, 3)) {
        case 0:
            f->st.lost++;
            break;
        case 1:
            f->st.applied++;
            platter_write(f, w->off, w->data, w->len);
            break;
        default:
            /* Torn: each sector independently reaches the platter or not. */
            f->st.torn++;
            for (size_t s = 0; s < w->len; s += DRV_BLK_FAULT_SECTOR)
                if (rnd(f) & 1)
                    platter_write(f, w->off + s, w->data + s, DRV_BLK_FAULT_SECTOR);
            break;
        }
    }
    drop_pending(f);
    drv_blk_sync(f->inner);
    f->crashed = true;
    f->st.crashes++;
}

/* Count a write or flush toward the crash point; true when it crashes now. */
static bool crash_point(struct fault_disk *f)
{
    if (f->countdown && --f->countdown == 0)
        return true;
    return false;
}

static int fa_read(drv_blk *d, drv_blk_ticket *t)
{
    struct fault_disk *f = F(d);
    if (f->crashed || is_bad(f, t->off, t->len, DRV_BLK_BAD_READ)) {
        f->st.io_errors++;
        return -EIO;
    }
    int err = drv_blk_pread(f->inner, t->off, t->buf, t->len);
    if (err < 0)
        return err;
    for (size_t i = 0; i < f->npend; i++) {
        struct pending_write *w = &f->pend[i];
        uint64_t lo = w->off > t->off ? w->off : t->off;
        uint64_t hi = w->off + w->len < t->off + t->len ? w->off + w->len : t->off + t->len;
        if (lo < hi)
            memcpy(t->buf + (lo - t->off), w->data + (lo - w->off), hi - lo);
    }
    drv_blk_expire_(d, t, 0);
    return 0;
}

static int fa_write(drv_blk *d, drv_blk_ticket *t)
{
    struct fault_disk *f = F(d);
    f->st.writes++;
    if (f->crashed || is_bad(f, t->off, t->len, DRV_BLK_BAD_WRITE)) {
        f->st.io_errors++;
        return -EIO;
    }
    if (f->npend == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 16;
        struct pending_write *p = realloc(f->pend, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        f->pend = p;
        f->cap = cap;
    }
    uint8_t *copy = malloc(t->len);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, t->buf, t->len);
    f->pend[f->npend++] = (struct pending_write){t->off, t->len, copy, false};
    if (crash_point(f)) {
        f->pend[f->npend - 1].in_flight = true;
        /* The write that meets the crash point was in flight: it is resolved with the
         * rest of the cache, and its caller sees the device fail. */
        do_crash(f);
        return -EIO;
    }
    drv_blk_expire_(d, t, 0);
    return 0;
}

static int fa_flush(drv_blk *d, drv_blk_ticket *t)
{
    struct fault_disk *f = F(d);
    f->st.flushes++;
    if (f->crashed)
        return -EIO;
    if (crash_point(f)) {
        do_crash(f);
        return -EIO;
    }
    int err = 0;
    for (size_t i = 0; i < f->npend && !err; i++)
        err = platter_write(f, f->pend[i].off, f->pend[i].data, f->pend[i].len);
    drop_pending(f);
    if (!err)
        err = drv_blk_sync(f->inner);
    if (err < 0)
        return err;
    drv_blk_expire_(d, t, 0);
    return 0;
}

static int fa_reap(drv_blk *d, bool wait) { return 0; }

static void fa_close(drv_blk *d)
{
    struct fault_disk *f = F(d);
    drop_pending(f);
    free(f->pend);
    free(f->bad);
    if (f->flags & DRV_BLK_FAULT_OWN)
        drv_blk_close(f->inner);
    free(f);
}

static const struct drv_blk_ops fault_ops = {
    .name = "fault",
    .size = fa_size,
    .block_size = fa_block_size,
    .read = fa_read,
    .write = fa_write,
    .flush = fa_flush,
    .reap = fa_reap,
    .close = fa_close,
};

int drv_blk_fault_open(drv_blk *inner, uint64_t seed, unsigned flags, drv_blk **out)
{
    *out = NULL;
    if (!inner || drv_blk_block_size(inner) % DRV_BLK_FAULT_SECTOR)
        return -EINVAL;
    struct fault_disk *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    f->base.ops = &fault_ops;
    f->inner = inner;
    f->flags = flags;
    f->rng = seed;
    drv_blk_set_desc_(&f->base, "fault(seed %llu) over %.100s", (unsigned long long)seed,
                      drv_blk_describe(inner));
    *out = &f->base;
    return 0;
}

static struct fault_disk *as_fault(drv_blk *d) { return d && d->ops == &fault_ops ? F(d) : NULL; }

void drv_blk_fault_crash_after(drv_blk *d, uint64_t n)
{
    struct fault_disk *f = as_fault(d);
    if (f)
        f->countdown = n;
}

void drv_blk_fault_crash(drv_blk *d)
{
    struct fault_disk *f = as_fault(d);
    if (f && !f->crashed)
        do_crash(f);
}

bool drv_blk_fault_crashed(drv_blk *d)
{
    struct fault_disk *f = as_fault(d);
    return f && f->crashed;
}

void drv_blk_fault_restart(drv_blk *d)
{
    struct fault_disk *f = as_fault(d);
    if (f) {
        f->crashed = false;
        f->countdown = 0;
    }
}

void drv_blk_fault_set_flip_rate(drv_blk *d, uint32_t flip_per_million)
{
    struct fault_disk *f = as_fault(d);
    if (f)
        f->flip_ppm = flip_per_million;
}

int drv_blk_fault_flip(drv_blk *d, uint64_t off, size_t len, unsigned nbits)
{
    struct fault_disk *f = as_fault(d);
    if (!f)
        return -EINVAL;
    uint32_t bs = drv_blk_block_size(f->inner);
    if (len == 0 || off + len > drv_blk_bytes(f->inner) || off + len < off)
        return -ERANGE;
    uint64_t lo = off - off % bs, hi = (off + len + bs - 1) / bs * bs;
    uint8_t *buf = malloc(hi - lo);
    if (!buf)
        return -ENOMEM;
    int err = drv_blk_pread(f->inner, lo, buf, hi - lo);
    for (unsigned i = 0; !err && i < nbits; i++) {
        uint64_t bit = rnd_below(f, (uint64_t)len * 8);
        buf[off - lo + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        f->st.flips++;
    }
    if (!err)
        err = drv_blk_pwrite(f->inner, lo, buf, hi - lo);
    if (!err)
        err = drv_blk_sync(f->inner);
    free(buf);
    return err;
}

void drv_blk_fault_bad(drv_blk *d, uint64_t block, uint64_t count, unsigned mode)
{
    struct fault_disk *f = as_fault(d);
    if (!f)
        return;
    for (size_t i = 0; i < f->nbad; i++) {
        if (f->bad[i].first == block && f->bad[i].count == count) {
            f->bad[i].mode = mode;
            return;
        }
    }
    struct bad_range *b = realloc(f->bad, (f->nbad + 1) * sizeof *b);
    if (!b)
        return;
    f->bad = b;
    f->bad[f->nbad++] = (struct bad_range){block, count, mode};
}

void drv_blk_fault_stats(drv_blk *d, struct drv_blk_fault_stats *out)
{
    struct fault_disk *f = as_fault(d);
    memset(out, 0, sizeof *out);
    if (f)
        *out = f->st;
}
