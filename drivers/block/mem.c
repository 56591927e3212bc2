/* mem.c: the in-memory disk, the block driver's test twin. Every operation completes
 * inside its submit call, so tickets have expired when read/write/flush return. */
#include "block_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct mem_disk {
    drv_blk base;
    uint64_t nblocks;
    uint32_t bs;
    uint8_t *data;
};

static struct mem_disk *M(drv_blk *d) { return (struct mem_disk *)d; }
static uint64_t mem_size(drv_blk *d) { return M(d)->nblocks; }
static uint32_t mem_block_size(drv_blk *d) { return M(d)->bs; }

static int mem_read(drv_blk *d, drv_blk_ticket *t)
{
    memcpy(t->buf, M(d)->data + t->off, t->len);
    drv_blk_expire_(d, t, 0);
    return 0;
}

static int mem_write(drv_blk *d, drv_blk_ticket *t)
{
    memcpy(M(d)->data + t->off, t->buf, t->len);
    drv_blk_expire_(d, t, 0);
    return 0;
}

static int mem_flush(drv_blk *d, drv_blk_ticket *t)
{
    drv_blk_expire_(d, t, 0);
    return 0;
}

static int mem_reap(drv_blk *d, bool wait) { return 0; }

static void mem_close(drv_blk *d)
{
    free(M(d)->data);
    free(d);
}

static const struct drv_blk_ops mem_ops = {
    .name = "mem",
    .size = mem_size,
    .block_size = mem_block_size,
    .read = mem_read,
    .write = mem_write,
    .flush = mem_flush,
    .reap = mem_reap,
    .close = mem_close,
};

int drv_blk_mem_open(uint64_t nblocks, uint32_t block_size, drv_blk **out)
{
    *out = NULL;
    if (block_size < 512 || (block_size & (block_size - 1)) || nblocks == 0 ||
        nblocks > SIZE_MAX / block_size)
        return -EINVAL;
    struct mem_disk *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    m->data = calloc(nblocks, block_size);
    if (!m->data) {
        free(m);
        return -ENOMEM;
    }
    m->base.ops = &mem_ops;
    m->nblocks = nblocks;
    m->bs = block_size;
    drv_blk_set_desc_(&m->base, "mem (%u-byte blocks, %llu blocks)", block_size,
                      (unsigned long long)nblocks);
    *out = &m->base;
    return 0;
}

uint8_t *drv_blk_mem_data(drv_blk *d)
{
    return d->ops == &mem_ops ? M(d)->data : NULL;
}
