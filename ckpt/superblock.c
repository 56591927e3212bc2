/* superblock.c: the A/B superblock pair that identifies a Kons store (ck/superblock.h). */
#include <ck/superblock.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <xxhash.h>

#define SUM_AT (CK_SB_RECORD_BYTES - 8)
#define FIELDS_END 80u              /* bytes [FIELDS_END, SUM_AT) are reserved: zero */

static const uint64_t slot_offset[2] = {CK_SB_OFFSET_A, CK_SB_OFFSET_B};

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

void ck_sb_encode(const struct ck_sb *sb, uint8_t rec[CK_SB_RECORD_BYTES])
{
    memset(rec, 0, CK_SB_RECORD_BYTES);
    memcpy(rec, CK_SB_MAGIC, 4);
    put32(rec + 4, sb->version);
    put32(rec + 8, CK_SB_RECORD_BYTES);
    put32(rec + 12, sb->block_size);
    memcpy(rec + 16, sb->uuid, 16);
    put64(rec + 32, sb->seq);
    put64(rec + 40, sb->created_ns);
    put64(rec + 48, sb->updated_ns);
    put64(rec + 56, sb->disk_bytes);
    put64(rec + 64, sb->log_tail);
    put64(rec + 72, sb->log_head);
    put64(rec + SUM_AT, XXH3_64bits(rec, SUM_AT));
}

int ck_sb_decode(const uint8_t rec[CK_SB_RECORD_BYTES], struct ck_sb *sb)
{
    memset(sb, 0, sizeof *sb);
    if (memcmp(rec, CK_SB_MAGIC, 4) != 0)
        return -ENOENT;
    if (get64(rec + SUM_AT) != XXH3_64bits(rec, SUM_AT))
        return -EBADMSG;
    sb->version = get32(rec + 4);
    if (sb->version > CK_SB_VERSION)
        return -EPROTONOSUPPORT;
    sb->block_size = get32(rec + 12);
    memcpy(sb->uuid, rec + 16, 16);
    sb->seq = get64(rec + 32);
    sb->created_ns = get64(rec + 40);
    sb->updated_ns = get64(rec + 48);
    sb->disk_bytes = get64(rec + 56);
    sb->log_tail = get64(rec + 64);
    sb->log_head = get64(rec + 72);
    /* A checksummed record with impossible fields was not written by this code. */
    for (unsigned i = FIELDS_END; i < SUM_AT; i++)
        if (rec[i])
            return -EINVAL;
    if (sb->version == 0 || get32(rec + 8) != CK_SB_RECORD_BYTES || sb->seq == 0 ||
        sb->block_size < 512 || (sb->block_size & (sb->block_size - 1)) ||
        sb->disk_bytes < CK_SB_RESERVED_BYTES)
        return -EINVAL;
    return 0;
}

const char *ck_store_state_name(enum ck_store_state s)
{
    switch (s) {
    case CK_STORE_BLANK: return "blank";
    case CK_STORE_KONS: return "kons";
    default: return "foreign";
    }
}

void ck_sb_uuid_string(const uint8_t u[16], char out[37])
{
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
             u[13], u[14], u[15]);
}

static const char *decode_error(int err)
{
    switch (err) {
    case -ENOENT: return "no magic";
    case -EBADMSG: return "bad checksum";
    case -EPROTONOSUPPORT: return "newer format";
    default: return "inconsistent fields";
    }
}

static bool all_zero(const uint8_t *p, size_t n, size_t *first_nonzero)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i]) {
            if (first_nonzero)
                *first_nonzero = i;
            return false;
        }
    }
    return true;
}

int ck_sb_probe(drv_blk *d, struct ck_probe *out)
{
    memset(out, 0, sizeof *out);
    out->state = CK_STORE_FOREIGN;
    uint64_t bytes = drv_blk_bytes(d);
    if (bytes < CK_SB_RESERVED_BYTES) {
        snprintf(out->reason, sizeof out->reason,
                 "too small for a Kons store: %llu bytes (at least %u needed)",
                 (unsigned long long)bytes, CK_SB_RESERVED_BYTES);
        return 0;
    }
    /* The two slots first (8 KiB); the whole first MiB only when neither holds a valid
     * copy, to tell a blank disk from a foreign one. */
    uint8_t *head = malloc(CK_SB_RESERVED_BYTES);
    if (!head)
        return -ENOMEM;
    int err = 0;
    for (int i = 0; i < 2 && !err; i++)
        err = drv_blk_pread(d, slot_offset[i], head + slot_offset[i], CK_SB_SLOT_BYTES);
    struct ck_sb sb[2];
    int res[2];
    for (int i = 0; i < 2 && !err; i++) {
        res[i] = ck_sb_decode(head + slot_offset[i], &sb[i]);
        sb[i].slot = i;
        out->valid[i] = res[i] == 0;
    }
    if (!err && !out->valid[0] && !out->valid[1])
        err = drv_blk_pread(d, 0, head, CK_SB_RESERVED_BYTES);
    if (err < 0) {
        snprintf(out->reason, sizeof out->reason, "cannot read the superblocks: %s",
                 strerror(-err));
        free(head);
        return err;
    }
    size_t nz = 0;
    bool zero = !out->valid[0] && !out->valid[1] && all_zero(head, CK_SB_RESERVED_BYTES, &nz);
    free(head);

    if (out->valid[0] && out->valid[1] && memcmp(sb[0].uuid, sb[1].uuid, 16) != 0) {
        snprintf(out->reason, sizeof out->reason,
                 "two valid Kons superblocks of different stores: left untouched");
        return 0;
    }
    if (out->valid[0] || out->valid[1]) {
        int cur = !out->valid[0] ? 1 : !out->valid[1] ? 0 : sb[1].seq > sb[0].seq ? 1 : 0;
        out->state = CK_STORE_KONS;
        out->sb = sb[cur];
        char id[37];
        ck_sb_uuid_string(sb[cur].uuid, id);
        const char *other = out->valid[1 - cur] ? "valid"
                            : res[1 - cur] == -ENOENT ? "not written" : decode_error(res[1 - cur]);
        snprintf(out->reason, sizeof out->reason, "Kons store %s, sequence %llu (copy %c; copy %c %s)",
                 id, (unsigned long long)sb[cur].seq, cur ? 'B' : 'A', cur ? 'A' : 'B', other);
        return 0;
    }
    if (zero) {
        out->state = CK_STORE_BLANK;
        snprintf(out->reason, sizeof out->reason, "blank: the first MiB is all zero");
        return 0;
    }
    if (res[0] != -ENOENT || res[1] != -ENOENT)
        snprintf(out->reason, sizeof out->reason,
                 "damaged Kons superblocks (A: %s, B: %s): left untouched", decode_error(res[0]),
                 decode_error(res[1]));
    else
        snprintf(out->reason, sizeof out->reason,
                 "not a Kons store and not blank (non-zero byte at offset %zu): left untouched", nz);
    return 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Write one copy into its slot (record + zero rest), not yet flushed. */
static int write_copy(drv_blk *d, const struct ck_sb *sb)
{
    uint8_t *slot = calloc(1, CK_SB_SLOT_BYTES);
    if (!slot)
        return -ENOMEM;
    ck_sb_encode(sb, slot);
    int err = drv_blk_pwrite(d, slot_offset[sb->slot], slot, CK_SB_SLOT_BYTES);
    free(slot);
    return err;
}

int ck_sb_claim(drv_blk *d, struct ck_sb *out, struct ck_probe *why)
{
    struct ck_probe p;
    int err = ck_sb_probe(d, &p);
    if (why)
        *why = p;
    if (err < 0)
        return err;
    if (p.state == CK_STORE_KONS)
        return -EEXIST;
    if (p.state != CK_STORE_BLANK)
        return -EPERM;
    struct ck_sb sb = {
        .version = CK_SB_VERSION,
        .block_size = drv_blk_block_size(d),
        .seq = 1,
        .disk_bytes = drv_blk_bytes(d),
    };
    if (getrandom(sb.uuid, sizeof sb.uuid, 0) != (ssize_t)sizeof sb.uuid)
        return -EIO;
    sb.uuid[6] = (uint8_t)((sb.uuid[6] & 0x0f) | 0x40);   /* RFC 4122 version 4 */
    sb.uuid[8] = (uint8_t)((sb.uuid[8] & 0x3f) | 0x80);   /* variant 10 */
    sb.created_ns = sb.updated_ns = now_ns();
    /* A first and durable, then B: a crash between leaves one valid copy (or a blank). */
    for (int slot = 0; slot < 2; slot++) {
        sb.slot = slot;
        if ((err = write_copy(d, &sb)) < 0 || (err = drv_blk_sync(d)) < 0)
            return err;
    }
    sb.slot = 0;
    *out = sb;
    return 0;
}

int ck_sb_update(drv_blk *d, struct ck_sb *sb)
{
    /* The current copy is never touched: a crash while the other one is written leaves
     * the current one valid, and after the flush the new one is valid and newer. */
    if (sb->seq == UINT64_MAX)
        return -EOVERFLOW;
    struct ck_sb next = *sb;
    next.seq++;
    next.updated_ns = now_ns();
    next.slot = 1 - sb->slot;
    int err = write_copy(d, &next);
    if (err == 0)
        err = drv_blk_sync(d);
    if (err < 0)
        return err;
    *sb = next;
    return 0;
}
