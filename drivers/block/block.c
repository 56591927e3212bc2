/* block.c: the generic half of the disk protocol (drv/block.h): request validation,
 * sub-block read-modify-write, tickets and waiting. Backends see only whole blocks. */
#include <drv/block.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint64_t drv_blk_size(drv_blk *d) { return d->ops->size(d); }
uint32_t drv_blk_block_size(drv_blk *d) { return d->ops->block_size(d); }
uint64_t drv_blk_bytes(drv_blk *d) { return drv_blk_size(d) * drv_blk_block_size(d); }
const char *drv_blk_describe(drv_blk *d) { return d->desc; }
bool drv_blk_expired(const drv_blk_ticket *t) { return t->status != DRV_BLK_PENDING; }

static void ticket_init(drv_blk_ticket *t, drv_blk *d, int op, uint64_t off, void *buf, size_t len)
{
    memset(t, 0, sizeof *t);
    t->status = DRV_BLK_PENDING;
    t->op = (uint8_t)op;
    t->disk = d;
    t->off = off;
    t->buf = buf;
    t->len = len;
}

/* Expire t at once with err (a submit that started nothing). */
static int fail(drv_blk_ticket *t, int err)
{
    t->status = err;
    return err;
}

static bool is_pow2(uint64_t x) { return x && !(x & (x - 1)); }

/* 1: whole blocks; 0: a sub-block transfer; negative: invalid. */
static int classify(drv_blk *d, uint64_t off, size_t len)
{
    uint32_t bs = drv_blk_block_size(d);
    uint64_t bytes = drv_blk_bytes(d);
    int kind;
    if (len && len % bs == 0 && off % bs == 0)
        kind = 1;
    else if (len < bs && is_pow2(len) && off % len == 0)
        kind = 0;
    else
        return -EINVAL;
    if (off > bytes || len > bytes - off)
        return -ERANGE;
    return kind;
}

static int submit(drv_blk *d, drv_blk_ticket *t)
{
    int (*fn)(drv_blk *, drv_blk_ticket *) =
        t->op == DRV_BLK_READ ? d->ops->read : t->op == DRV_BLK_WRITE ? d->ops->write : d->ops->flush;
    d->pending++;
    int err = fn(d, t);
    if (err < 0) {
        d->pending--;
        return fail(t, err);
    }
    return 0;
}

/* Wait for one ticket of d (used by the synchronous paths). */
static int wait_one(drv_blk_ticket *t)
{
    drv_blk_ticket *ts[1] = {t};
    return drv_blk_wait_all(ts, 1);
}

/* Sub-block transfer through a temporary native block (CLOSOS 7.3), synchronously. */
static int sub_block(drv_blk *d, int op, uint64_t off, void *buf, size_t len, drv_blk_ticket *t)
{
    uint32_t bs = drv_blk_block_size(d);
    uint64_t base = off - off % bs;
    uint8_t *tmp = malloc(bs);
    if (!tmp)
        return fail(t, -ENOMEM);
    int err = 0;
    if (op == DRV_BLK_WRITE)
        err = drv_blk_drain(d);   /* the read below must see every earlier write */
    drv_blk_ticket rt;
    if (!err) {
        ticket_init(&rt, d, DRV_BLK_READ, base, tmp, bs);
        err = submit(d, &rt);
        if (!err)
            err = wait_one(&rt);
    }
    if (!err && op == DRV_BLK_READ) {
        memcpy(buf, tmp + (off - base), len);
    } else if (!err) {
        memcpy(tmp + (off - base), buf, len);
        drv_blk_ticket wt;
        ticket_init(&wt, d, DRV_BLK_WRITE, base, tmp, bs);
        err = submit(d, &wt);
        if (!err)
            err = wait_one(&wt);
    }
    free(tmp);
    ticket_init(t, d, op, off, buf, len);
    t->status = err;
    return err;
}

static int transfer(drv_blk *d, int op, uint64_t off, void *buf, size_t len, drv_blk_ticket *t)
{
    ticket_init(t, d, op, off, buf, len);
    int kind = classify(d, off, len);
    if (kind < 0)
        return fail(t, kind);
    if (kind == 0)
        return sub_block(d, op, off, buf, len, t);
    return submit(d, t);
}

int drv_blk_read(drv_blk *d, uint64_t off, void *buf, size_t len, drv_blk_ticket *t)
{
    return transfer(d, DRV_BLK_READ, off, buf, len, t);
}

int drv_blk_write(drv_blk *d, uint64_t off, const void *buf, size_t len, drv_blk_ticket *t)
{
    /* The driver never writes into a write's buffer; the cast only shares the field. */
    return transfer(d, DRV_BLK_WRITE, off, (void *)buf, len, t);
}

int drv_blk_flush(drv_blk *d, drv_blk_ticket *t)
{
    ticket_init(t, d, DRV_BLK_FLUSH, 0, NULL, 0);
    return submit(d, t);
}

/* Reap on t's disk; with wait, block for at least one completion. */
static int reap(drv_blk *d, bool wait)
{
    int n = d->ops->reap(d, wait);
    return n < 0 ? n : 0;
}

int drv_blk_wait_some(drv_blk_ticket *const *ts, size_t n)
{
    if (n == 0)
        return -EINVAL;
    for (;;) {
        drv_blk *block_on = NULL;
        for (size_t i = 0; i < n; i++) {
            if (!ts[i]->disk)
                return -EINVAL;
            if (drv_blk_expired(ts[i]))
                return (int)i;
            if (!block_on)
                block_on = ts[i]->disk;
        }
        /* Harvest what is ready on every disk involved, then block on one of them: its
         * pending ticket will complete, so this always makes progress. */
        for (size_t i = 0; i < n; i++) {
            int err = reap(ts[i]->disk, false);
            if (err < 0)
                return err;
        }
        for (size_t i = 0; i < n; i++)
            if (drv_blk_expired(ts[i]))
                return (int)i;
        int err = reap(block_on, true);
        if (err < 0)
            return err;
    }
}

int drv_blk_wait_all(drv_blk_ticket *const *ts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!ts[i]->disk)
            return -EINVAL;
        while (!drv_blk_expired(ts[i])) {
            int err = reap(ts[i]->disk, true);
            if (err < 0)
                return err;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (ts[i]->status < 0)
            return ts[i]->status;
    return 0;
}

int drv_blk_drain(drv_blk *d)
{
    while (d->pending) {
        int err = reap(d, true);
        if (err < 0)
            return err;
    }
    return 0;
}

void drv_blk_close(drv_blk *d)
{
    if (!d)
        return;
    drv_blk_drain(d);
    d->ops->close(d);
}

int drv_blk_pread(drv_blk *d, uint64_t off, void *buf, size_t len)
{
    drv_blk_ticket t;
    int err = drv_blk_read(d, off, buf, len, &t);
    return err < 0 ? err : wait_one(&t);
}

int drv_blk_pwrite(drv_blk *d, uint64_t off, const void *buf, size_t len)
{
    drv_blk_ticket t;
    int err = drv_blk_write(d, off, buf, len, &t);
    return err < 0 ? err : wait_one(&t);
}

int drv_blk_sync(drv_blk *d)
{
    drv_blk_ticket t;
    int err = drv_blk_flush(d, &t);
    return err < 0 ? err : wait_one(&t);
}
