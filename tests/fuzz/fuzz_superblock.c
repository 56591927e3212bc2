/* fuzz_superblock.c: ck_sb_probe on arbitrary disk contents, and the promises around it:
 * a blank disk can be claimed, a Kons store updated (the next probe sees seq + 1), and a
 * foreign disk is never written.
 *
 * Input: byte 0 picks where the rest goes on a 1 MiB in-memory disk:
 *   0: at offset 0 (raw disk contents)
 *   1: first 512 bytes as copy A's record, next 512 as copy B's
 *   2: at copy B's slot
 *   3: at an offset given by the next two bytes (in 16-byte units) */
#include "fuzz.h"

#include <ck/superblock.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DISK (1u << 20)

static void put(uint8_t *disk, size_t at, const uint8_t *d, size_t n)
{
    if (at >= DISK)
        return;
    memcpy(disk + at, d, n < DISK - at ? n : DISK - at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    drv_blk *d;
    if (drv_blk_mem_open(DISK / 4096, 4096, &d) != 0)
        abort();
    uint8_t *disk = drv_blk_mem_data(d);
    int mode = data[0] & 3;
    data++, size--;
    switch (mode) {
    case 0:
        put(disk, 0, data, size);
        break;
    case 1:
        put(disk, CK_SB_OFFSET_A, data, size < 512 ? size : 512);
        if (size > 512)
            put(disk, CK_SB_OFFSET_B, data + 512, size - 512 < 512 ? size - 512 : 512);
        break;
    case 2:
        put(disk, CK_SB_OFFSET_B, data, size);
        break;
    default:
        if (size >= 2)
            put(disk, ((size_t)data[0] | (size_t)data[1] << 8) * 16, data + 2, size - 2);
        break;
    }

    struct ck_probe p;
    if (ck_sb_probe(d, &p) != 0 || memchr(p.reason, 0, sizeof p.reason) == NULL || !p.reason[0])
        abort();
    struct ck_sb sb;
    switch (p.state) {
    case CK_STORE_BLANK: {
        if (ck_sb_claim(d, &sb, NULL) != 0)
            abort();
        struct ck_probe q;
        if (ck_sb_probe(d, &q) != 0 || q.state != CK_STORE_KONS || q.sb.seq != 1)
            abort();
        break;
    }
    case CK_STORE_KONS: {
        if (!p.valid[p.sb.slot] || p.sb.seq == 0 || p.sb.version == 0 ||
            p.sb.version > CK_SB_VERSION)
            abort();
        struct ck_sb cur = p.sb;
        if (cur.seq == UINT64_MAX)   /* cannot advance; a real store never gets there */
            break;
        if (ck_sb_claim(d, &sb, NULL) != -EEXIST || ck_sb_update(d, &cur) != 0)
            abort();
        struct ck_probe q;
        if (ck_sb_probe(d, &q) != 0 || q.state != CK_STORE_KONS || q.sb.seq != p.sb.seq + 1 ||
            memcmp(q.sb.uuid, p.sb.uuid, 16) != 0)
            abort();
        break;
    }
    case CK_STORE_FOREIGN: {
        uint8_t *before = malloc(DISK);
        if (!before)
            abort();
        memcpy(before, disk, DISK);
        if (ck_sb_claim(d, &sb, NULL) != -EPERM || memcmp(before, disk, DISK) != 0)
            abort();
        free(before);
        break;
    }
    default:
        abort();
    }
    drv_blk_close(d);
    return 0;
}
