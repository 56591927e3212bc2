/* uring.c: the disk on a block device or a regular file, through io_uring (liburing).
 *
 * O_DIRECT where the file system allows it, so that a completed write after a flush is on
 * the device and the page cache is not doubled; buffers that are not aligned for O_DIRECT
 * go through an aligned bounce buffer. Submission is lazy: queued SQEs are submitted when
 * the ring is full or when the caller reaps/waits, so a burst of writes costs one system
 * call. A flush is an fdatasync SQE with IOSQE_IO_DRAIN, which makes it the ordered
 * barrier drv/block.h promises. When io_uring is refused, the same disk works
 * synchronously with pread/pwrite/fdatasync (and says so in its description). */
#include "block_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define QUEUE_DEPTH 64

struct uring_disk {
    drv_blk base;
    int fd;
    bool direct;
    bool have_ring;
    uint32_t bs;          /* native block size (the unit of size()) */
    uint32_t align;       /* memory alignment O_DIRECT needs */
    uint64_t nblocks;
    unsigned inflight;    /* operations in the ring (submitted or queued, not finished) */
    struct io_uring ring;
};

static struct uring_disk *U(drv_blk *d) { return (struct uring_disk *)d; }
static uint64_t ur_size(drv_blk *d) { return U(d)->nblocks; }
static uint32_t ur_block_size(drv_blk *d) { return U(d)->bs; }

bool drv_blk_uring_is_direct(drv_blk *d) { return U(d)->direct; }

/* Queue t's next piece (its off/buf/len as they are now). */
static int queue(struct uring_disk *u, drv_blk_ticket *t)
{
    struct io_uring_sqe *sqe;
    while (!(sqe = io_uring_get_sqe(&u->ring))) {
        /* Ring full: hand the queued SQEs to the kernel, which frees their slots. */
        int r = io_uring_submit(&u->ring);
        if (r < 0 && r != -EAGAIN && r != -EBUSY && r != -EINTR)
            return r;
    }
    switch (t->op) {
    case DRV_BLK_READ:
        io_uring_prep_read(sqe, u->fd, t->buf, (unsigned)t->len, t->off);
        break;
    case DRV_BLK_WRITE:
        io_uring_prep_write(sqe, u->fd, t->buf, (unsigned)t->len, t->off);
        break;
    default:
        io_uring_prep_fsync(sqe, u->fd, IORING_FSYNC_DATASYNC);
        sqe->flags |= IOSQE_IO_DRAIN;
        break;
    }
    io_uring_sqe_set_data(sqe, t);
    return 0;
}

/* Synchronous path (no ring): do t now. */
static int sync_do(struct uring_disk *u, drv_blk_ticket *t)
{
    while (t->op != DRV_BLK_FLUSH && t->len) {
        ssize_t n = t->op == DRV_BLK_READ ? pread(u->fd, t->buf, t->len, (off_t)t->off)
                                          : pwrite(u->fd, t->buf, t->len, (off_t)t->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        t->off += (uint64_t)n;
        t->buf += n;
        t->len -= (size_t)n;
    }
    if (t->op == DRV_BLK_FLUSH && fdatasync(u->fd) < 0)
        return -errno;
    return 0;
}

static void finish(struct uring_disk *u, drv_blk_ticket *t, int status)
{
    if (u->have_ring)
        u->inflight--;
    if (t->bounce) {
        if (status == 0 && t->op == DRV_BLK_READ)
            memcpy(t->user, t->bounce, t->user_len);
        free(t->bounce);
        t->bounce = NULL;
    }
    drv_blk_expire_(&u->base, t, status);
}

static int ur_reap(drv_blk *d, bool wait);

static int start(drv_blk *d, drv_blk_ticket *t)
{
    struct uring_disk *u = U(d);
    /* Never more operations in flight than the completion queue holds (twice the
     * submission queue): the kernel would otherwise refuse submissions (-EBUSY) until
     * completions are reaped. */
    while (u->have_ring && u->inflight >= 2 * QUEUE_DEPTH) {
        int r = ur_reap(d, true);
        if (r < 0)
            return r;
    }
    if (t->op != DRV_BLK_FLUSH && u->direct && ((uintptr_t)t->buf % u->align)) {
        uint8_t *b = aligned_alloc(u->align, t->len);
        if (!b)
            return -ENOMEM;
        if (t->op == DRV_BLK_WRITE)
            memcpy(b, t->buf, t->len);
        t->bounce = b;
        t->user = t->buf;
        t->user_len = t->len;
        t->buf = b;
    }
    int err;
    if (!u->have_ring) {
        finish(u, t, sync_do(u, t));
        return 0;
    }
    err = queue(u, t);
    if (err < 0) {
        free(t->bounce);
        t->bounce = NULL;
        return err;
    }
    u->inflight++;
    return 0;
}

static int ur_reap(drv_blk *d, bool wait)
{
    struct uring_disk *u = U(d);
    if (!u->have_ring)
        return 0;
    int done = 0;
    for (;;) {
        int r = (wait && done == 0 && d->pending) ? io_uring_submit_and_wait(&u->ring, 1)
                                                  : io_uring_submit(&u->ring);
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY)
            return r;
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&u->ring, head, cqe) {
            seen++;
            drv_blk_ticket *t = io_uring_cqe_get_data(cqe);
            int res = cqe->res;
            if (res == -EINTR || res == -EAGAIN) {
                if (queue(u, t) < 0)
                    finish(u, t, res);
                continue;
            }
            if (res < 0) {
                finish(u, t, res);
                done++;
                continue;
            }
            if (t->op != DRV_BLK_FLUSH && (size_t)res < t->len) {
                /* Short transfer: continue where it stopped; nothing at all is an error
                 * (the file shrank under us). */
                if (res == 0) {
                    finish(u, t, -EIO);
                    done++;
                    continue;
                }
                t->off += (uint64_t)res;
                t->buf += res;
                t->len -= (size_t)res;
                if (queue(u, t) < 0) {
                    finish(u, t, -EIO);
                    done++;
                }
                continue;
            }
            finish(u, t, 0);
            done++;
        }
        io_uring_cq_advance(&u->ring, seen);
        if (!wait || done > 0 || d->pending == 0)
            return done;
    }
}

static void ur_close(drv_blk *d)
{
    struct uring_disk *u = U(d);
    if (u->have_ring)
        io_uring_queue_exit(&u->ring);
    close(u->fd);
    free(u);
}

static const struct drv_blk_ops uring_ops = {
    .name = "uring",
    .size = ur_size,
    .block_size = ur_block_size,
    .read = start,
    .write = start,
    .flush = start,
    .reap = ur_reap,
    .close = ur_close,
};

/* Does an aligned O_DIRECT read of block 0 work? Some file systems accept the open and
 * refuse the transfer. */
static bool direct_read_works(int fd, uint32_t align, uint32_t bs)
{
    void *b = aligned_alloc(align, bs);
    if (!b)
        return false;
    ssize_t n = pread(fd, b, bs, 0);
    int e = errno;
    free(b);
    return n >= 0 || e != EINVAL;
}

int drv_blk_uring_open(const char *path, unsigned flags, uint64_t create_bytes, drv_blk **out)
{
    *out = NULL;
    int acc = (flags & DRV_BLK_READONLY) ? O_RDONLY : O_RDWR;
    int oflags = acc | O_CLOEXEC | ((flags & DRV_BLK_CREATE) ? O_CREAT : 0);
    const char *why_buffered = (flags & DRV_BLK_BUFFERED) ? "buffered on request" : NULL;
    int fd = -1;
    if (!why_buffered) {
        fd = open(path, oflags | O_DIRECT, 0644);
        if (fd < 0 && errno == EINVAL)
            why_buffered = "buffered: the file system refuses O_DIRECT";
        else if (fd < 0)
            return -errno;
    }
    if (fd < 0 && (fd = open(path, oflags, 0644)) < 0)
        return -errno;

    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    uint64_t bytes;
    uint32_t bs = 4096, align = 4096;
    if (S_ISBLK(st.st_mode)) {
        int pbs = 0, lbs = 0;
        if (ioctl(fd, BLKGETSIZE64, &bytes) < 0 || ioctl(fd, BLKSSZGET, &lbs) < 0) {
            int e = -errno;
            close(fd);
            return e;
        }
        if (ioctl(fd, BLKPBSZGET, &pbs) < 0 || pbs < lbs)
            pbs = lbs;
        bs = (uint32_t)(pbs >= 512 ? pbs : 512);
        align = (uint32_t)(lbs >= 512 ? lbs : 512);
    } else if (S_ISREG(st.st_mode)) {
        bytes = (uint64_t)st.st_size;
        if (create_bytes > bytes && !(flags & DRV_BLK_READONLY)) {
            if (ftruncate(fd, (off_t)create_bytes) < 0) {
                int e = -errno;
                close(fd);
                return e;
            }
            bytes = create_bytes;
        }
    } else {
        close(fd);
        return -ENOTBLK;
    }
    if (bytes < bs) {
        close(fd);
        return -ENOSPC;
    }
    if (!why_buffered && !direct_read_works(fd, align, bs)) {
        close(fd);
        if ((fd = open(path, oflags, 0644)) < 0)
            return -errno;
        why_buffered = "buffered: the file system refuses O_DIRECT transfers";
    }

    struct uring_disk *u = calloc(1, sizeof *u);
    if (!u) {
        close(fd);
        return -ENOMEM;
    }
    u->base.ops = &uring_ops;
    u->fd = fd;
    u->direct = why_buffered == NULL;
    u->bs = bs;
    u->align = align;
    u->nblocks = bytes / bs;
    int r = io_uring_queue_init(QUEUE_DEPTH, &u->ring, 0);
    u->have_ring = r == 0;
    drv_blk_set_desc_(&u->base, "%s:%s (%s, %u-byte blocks, %llu blocks%s%s)",
                      u->have_ring ? "uring" : "sync", path, u->direct ? "O_DIRECT" : why_buffered,
                      bs, (unsigned long long)u->nblocks,
                      u->have_ring ? "" : ", io_uring refused: ", u->have_ring ? "" : strerror(-r));
    *out = &u->base;
    return 0;
}
