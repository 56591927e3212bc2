/* ck/superblock.h: the identity of a Kons store disk, and the A/B superblock pair that will
 * name the tail of the checkpoint log (DESIGN.md, CLOSOS 6.2).
 *
 * On disk: two copies, A at byte 0 and B at byte CK_SB_OFFSET_B, each a 512-byte record
 * (one sector, so a torn write of it is either whole or absent on real disks; the
 * checksum catches the rest) at the start of its own CK_SB_SLOT_BYTES slot, the rest
 * of the slot zero. The record, little-endian:
 *     0  "KONS"          magic
 *     4  u32 version     format version (CK_SB_VERSION)
 *     8  u32 rec_bytes   512
 *    12  u32 block_size  the disk's block size when the store was claimed
 *    16  u8[16] uuid     the store's identity (random, RFC 4122 version 4)
 *    32  u64 seq         sequence number: +1 on every update; the newest valid copy wins
 *    40  u64 created     creation time, ns since the Unix epoch
 *    48  u64 updated     time of this copy, ns since the Unix epoch
 *    56  u64 disk_bytes  usable size of the store (bytes) when claimed
 *    64  u64 log_tail    byte offset of the newest checkpoint segment (0: none yet)
 *    72  u64 log_head    byte offset of the oldest live segment (0: none yet)
 *    80  ...             zero (reserved)
 *   504  u64 checksum    XXH3-64 of bytes [0, 504)
 * The first CK_SB_RESERVED_BYTES of the disk belong to the superblocks; the log starts
 * after them.
 *
 * Probing never writes. A disk is
 *   BLANK    when its first MiB is all zero (so it can be claimed),
 *   KONS     when at least one copy is valid (magic, version, checksum); the valid copy
 *            with the higher sequence is the current one,
 *   FOREIGN  otherwise (another file system, a damaged store, a newer format, a disk
 *            too small): Kons never writes to it; `reason` says why.
 * Crash safety of claim and update: at every moment at least one copy on the disk is
 * valid and no older than the last update that returned 0 (see ck_sb_update).
 */
#ifndef KONS_CK_SUPERBLOCK_H
#define KONS_CK_SUPERBLOCK_H

#include <drv/block.h>

#include <stdbool.h>
#include <stdint.h>

#define CK_SB_MAGIC "KONS"
#define CK_SB_VERSION 1u
#define CK_SB_RECORD_BYTES 512u
#define CK_SB_SLOT_BYTES 4096u
#define CK_SB_OFFSET_A 0u
#define CK_SB_OFFSET_B 65536u
#define CK_SB_RESERVED_BYTES (1u << 20)   /* probed for BLANK; the log starts here */

enum ck_store_state { CK_STORE_BLANK, CK_STORE_KONS, CK_STORE_FOREIGN };

/* A superblock as the program sees it. */
struct ck_sb {
    uint32_t version;
    uint32_t block_size;
    uint8_t uuid[16];
    uint64_t seq;
    uint64_t created_ns;
    uint64_t updated_ns;
    uint64_t disk_bytes;
    uint64_t log_tail;
    uint64_t log_head;
    int slot;            /* where this copy lives: 0 = A, 1 = B */
};

struct ck_probe {
    enum ck_store_state state;
    struct ck_sb sb;         /* the current superblock, when state is KONS */
    bool valid[2];           /* which copies (A, B) are valid */
    char reason[200];        /* one line: why the disk is in this state */
};

/* Examine d (reads the two slots, and the first MiB only when neither is valid). Returns 0 and fills *out, or a negative errno
 * when the disk cannot be read (then *out says FOREIGN with the error as reason). */
int ck_sb_probe(drv_blk *d, struct ck_probe *out);

/* Claim a BLANK disk: a fresh UUID, both copies written with sequence 1 (A, flush, B,
 * flush). Returns 0 and the new superblock in *out; -EEXIST when the disk already is a
 * Kons store, -EPERM when it is FOREIGN (nothing written in both cases; the probe's
 * reason is copied to *why when why is not NULL), or a negative errno from the disk. */
int ck_sb_claim(drv_blk *d, struct ck_sb *out, struct ck_probe *why);

/* Write sb as the next superblock: sequence sb->seq + 1, updated now, into the slot that
 * does NOT hold the current copy (sb->slot), then flush. Callers change log_tail/log_head
 * in sb before calling. On 0, sb is the new current copy (seq and slot updated) and it is
 * durable. -EOVERFLOW when the sequence cannot grow. On error sb is unchanged; the disk holds the old copy and possibly the new
 * one; probe to learn which. */
int ck_sb_update(drv_blk *d, struct ck_sb *sb);

const char *ck_store_state_name(enum ck_store_state s);   /* "blank", "kons", "foreign" */
void ck_sb_uuid_string(const uint8_t uuid[16], char out[37]);

/* Encode/decode one record (exposed for tests and the fuzz target). decode returns 0 when
 * rec is a valid record, or a negative errno: -ENOENT wrong magic, -EBADMSG bad checksum,
 * -EPROTONOSUPPORT a newer format version, -EINVAL inconsistent fields. */
void ck_sb_encode(const struct ck_sb *sb, uint8_t rec[CK_SB_RECORD_BYTES]);
int ck_sb_decode(const uint8_t rec[CK_SB_RECORD_BYTES], struct ck_sb *sb);

#endif
