/* drv/block.h: the block-device protocol of CLOSOS chapter 7 (disks and tickets).
 *
 * A disk (struct drv_blk) is a sequence of size() blocks of block_size() bytes each,
 * behind a const ops table. Every transfer is asynchronous: drv_blk_read, drv_blk_write
 * and drv_blk_flush start an operation and fill a caller-owned *ticket*. A ticket is
 * pending until the operation completes, then it has *expired* and carries its result
 * (0 or a negative errno). drv_blk_wait_some and drv_blk_wait_all suspend the caller until
 * one or all of a set of tickets have expired.
 *
 * Addresses are byte offsets (as in CLOSOS 7.3). A transfer of len bytes at offset off is
 * accepted when either
 *   - len is a non-zero multiple of the block size and off is a multiple of the block
 *     size (several native blocks are transferred), or
 *   - len is a power of two smaller than the block size and off is a multiple of len: the
 *     native block is read into a temporary block (and, for a write, patched and written
 *     back). Such sub-block transfers are done synchronously: the ticket has already
 *     expired when the call returns, and a sub-block write waits for all earlier
 *     operations on the disk first (read-modify-write must see them).
 * and the range lies inside the disk. Anything else fails with -EINVAL (misaligned) or
 * -ERANGE (outside the disk); the ticket then expires at once with that error too.
 *
 * Buffers need no alignment: a backend that needs aligned memory (O_DIRECT) bounces
 * through an aligned buffer of its own. The buffer of a pending read or write belongs
 * to the driver until its ticket has expired.
 *
 * Ordering: operations may complete in any order, except around a flush. drv_blk_flush
 * is an ordered barrier: it starts after every operation submitted before it has
 * completed, operations submitted after it start after it has completed, and when its
 * ticket expires with 0 every write submitted before it is durable (fdatasync).
 *
 * A disk is used by one thread at a time. Errors are negative errno values throughout.
 */
#ifndef KONS_DRV_BLOCK_H
#define KONS_DRV_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct drv_blk drv_blk;

enum drv_blk_op { DRV_BLK_READ = 1, DRV_BLK_WRITE, DRV_BLK_FLUSH };

/* Status of a ticket that has not expired yet (a positive value: results are <= 0). */
#define DRV_BLK_PENDING 1

/* A ticket: allocated by the caller (on the stack, in an array...), filled by the submit
 * call, and left alone until it has expired. Only `status` is public: DRV_BLK_PENDING, or
 * once expired 0 (success) or a negative errno. */
typedef struct drv_blk_ticket {
    volatile int status;
    /* Private to the driver. */
    uint8_t op;
    drv_blk *disk;
    uint64_t off;              /* current offset (advances over short transfers) */
    uint8_t *buf;              /* current position in the transfer buffer */
    size_t len;                /* bytes still to transfer */
    uint8_t *bounce;           /* aligned bounce buffer (O_DIRECT), or NULL */
    uint8_t *user;             /* caller's buffer when bouncing */
    size_t user_len;
} drv_blk_ticket;

/* The ops table every backend provides. The generic functions below validate requests,
 * so backends only ever see whole, in-range blocks. */
struct drv_blk_ops {
    const char *name;
    uint64_t (*size)(drv_blk *d);          /* number of blocks */
    uint32_t (*block_size)(drv_blk *d);    /* native block size, a power of two >= 512 */
    /* Start a transfer / a barrier; t->op, off, buf, len are filled in and t->status is
     * DRV_BLK_PENDING. Returns 0, or a negative errno if nothing was started (the caller
     * then expires the ticket with it). A backend may complete t before returning. */
    int (*read)(drv_blk *d, drv_blk_ticket *t);
    int (*write)(drv_blk *d, drv_blk_ticket *t);
    int (*flush)(drv_blk *d, drv_blk_ticket *t);
    /* Harvest completions, expiring their tickets. With wait, block until at least one
     * pending operation has completed (returns at once when none is pending). Returns the
     * number of tickets expired, or a negative errno. */
    int (*reap)(drv_blk *d, bool wait);
    void (*close)(drv_blk *d);
};

/* The common head of every disk; backends embed it first. */
struct drv_blk {
    const struct drv_blk_ops *ops;
    unsigned pending;          /* operations submitted and not yet expired */
    char desc[160];            /* human-readable: backend, path, mode (see drv_blk_describe) */
};

/* --- The protocol --- */
uint64_t drv_blk_size(drv_blk *d);           /* in blocks */
uint32_t drv_blk_block_size(drv_blk *d);     /* in bytes */
uint64_t drv_blk_bytes(drv_blk *d);          /* size * block_size */
int drv_blk_read(drv_blk *d, uint64_t off, void *buf, size_t len, drv_blk_ticket *t);
int drv_blk_write(drv_blk *d, uint64_t off, const void *buf, size_t len, drv_blk_ticket *t);
int drv_blk_flush(drv_blk *d, drv_blk_ticket *t);
bool drv_blk_expired(const drv_blk_ticket *t);
/* Wait until at least one of the n tickets has expired; returns its index (the lowest
 * such), or -EINVAL when n is 0 or a ticket was never submitted. */
int drv_blk_wait_some(drv_blk_ticket *const *tickets, size_t n);
/* Wait until all n tickets have expired; returns 0 or the first ticket's error. */
int drv_blk_wait_all(drv_blk_ticket *const *tickets, size_t n);
/* Wait for every operation pending on d. Returns 0 or a negative errno (reap failure). */
int drv_blk_drain(drv_blk *d);
/* Close the disk; waits for pending operations first. NULL is accepted. */
void drv_blk_close(drv_blk *d);
/* "uring:/dev/vda (O_DIRECT, 4096-byte blocks, 2048 blocks)" and the like. */
const char *drv_blk_describe(drv_blk *d);

/* Synchronous conveniences: submit, then wait for the one ticket. */
int drv_blk_pread(drv_blk *d, uint64_t off, void *buf, size_t len);
int drv_blk_pwrite(drv_blk *d, uint64_t off, const void *buf, size_t len);
int drv_blk_sync(drv_blk *d);

/* --- Backends --- */

/* io_uring on a block device or a regular file. O_DIRECT is used unless DRV_BLK_BUFFERED
 * is given or the file system refuses it (then drv_blk_describe says "buffered, O_DIRECT
 * refused: ..."). A file's size in blocks is its length rounded down; DRV_BLK_CREATE
 * creates a missing file, and a non-zero create_bytes extends a shorter file to that
 * size (never shrinks). Block size: the device's physical block size, 4096 for files.
 * When the kernel refuses io_uring (seccomp, old kernel) the backend falls back to
 * pread/pwrite and says so in its description. */
enum { DRV_BLK_CREATE = 1u << 0, DRV_BLK_BUFFERED = 1u << 1, DRV_BLK_READONLY = 1u << 2 };
int drv_blk_uring_open(const char *path, unsigned flags, uint64_t create_bytes, drv_blk **out);
/* True when the io_uring disk d transfers with O_DIRECT. */
bool drv_blk_uring_is_direct(drv_blk *d);

/* In-memory disk (the test twin): nblocks zeroed blocks; every operation completes at
 * once. drv_blk_mem_data gives its bytes (for tests to inspect or damage). */
int drv_blk_mem_open(uint64_t nblocks, uint32_t block_size, drv_blk **out);
uint8_t *drv_blk_mem_data(drv_blk *d);

/* Fault-injecting disk wrapping another one (which it does not own unless
 * DRV_BLK_FAULT_OWN is set), deterministic from its seed.
 *
 * Model: the inner disk is the platter. Writes go to a volatile write cache (later reads
 * see them) and reach the platter only at a flush, which applies them in order. A crash
 * (drv_blk_fault_crash, or the crash point set with drv_blk_fault_crash_after) resolves
 * every unflushed write at random: lost, fully applied, or torn (a random subset of its
 * sectors applied), in random order; the write that meets the crash point is resolved
 * with them (its caller gets -EIO), a flush that meets it never happens. With
 * DRV_BLK_FAULT_SMEAR that in-flight write is instead cut at a random byte (earlier bytes
 * new, later ones old), as on a disk whose sector writes are not atomic. From then on every operation fails with -EIO until drv_blk_fault_restart
 * (the "reboot"), after which the disk shows the platter.
 *
 * Bit flips: drv_blk_fault_flip flips bits of the platter at rest; with a non-zero
 * flip_per_million each block written to the platter gets one random bit flipped with
 * that probability. I/O errors: drv_blk_fault_bad makes reads and/or writes touching a
 * block fail with -EIO. */
enum { DRV_BLK_FAULT_OWN = 1u << 0, DRV_BLK_FAULT_SMEAR = 1u << 1 };
enum { DRV_BLK_BAD_READ = 1u << 0, DRV_BLK_BAD_WRITE = 1u << 1 };
struct drv_blk_fault_stats {
    uint64_t writes, flushes, crashes;
    uint64_t lost, applied, torn;      /* unflushed writes resolved at crashes */
    uint64_t flips, io_errors;
};
int drv_blk_fault_open(drv_blk *inner, uint64_t seed, unsigned flags, drv_blk **out);
/* Crash when the n-th further write or flush is submitted (n >= 1); 0 disarms. */
void drv_blk_fault_crash_after(drv_blk *d, uint64_t n);
void drv_blk_fault_crash(drv_blk *d);
bool drv_blk_fault_crashed(drv_blk *d);
void drv_blk_fault_restart(drv_blk *d);
void drv_blk_fault_set_flip_rate(drv_blk *d, uint32_t flip_per_million);
/* Flip nbits random bits inside [off, off+len) of the platter. */
int drv_blk_fault_flip(drv_blk *d, uint64_t off, size_t len, unsigned nbits);
/* Mark blocks [block, block+count) bad for reads and/or writes (mode 0 heals them). */
void drv_blk_fault_bad(drv_blk *d, uint64_t block, uint64_t count, unsigned mode);
void drv_blk_fault_stats(drv_blk *d, struct drv_blk_fault_stats *out);
/* Sector size used for torn writes (512). */
#define DRV_BLK_FAULT_SECTOR 512u

#endif
