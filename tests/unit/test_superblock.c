/* test_superblock.c: store identity (ck/superblock.h): probe, claim, update, damage. */
#include "check.h"

#include <ck/superblock.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1u << 20)

static drv_blk *mem_disk(uint64_t bytes)
{
    drv_blk *d = NULL;
    drv_blk_mem_open(bytes / 4096, 4096, &d);
    return d;
}

static void test_records(void)
{
    struct ck_sb sb = {.version = CK_SB_VERSION, .block_size = 4096, .seq = 7,
                       .created_ns = 1, .updated_ns = 2, .disk_bytes = 8 * MIB,
                       .log_tail = 3 * MIB, .log_head = MIB};
    for (int i = 0; i < 16; i++)
        sb.uuid[i] = (uint8_t)(i * 17);
    uint8_t rec[CK_SB_RECORD_BYTES];
    ck_sb_encode(&sb, rec);
    CHECK(memcmp(rec, "KONS", 4) == 0);
    struct ck_sb back;
    CHECK_EQ_INT(ck_sb_decode(rec, &back), 0);
    CHECK(back.seq == 7 && back.log_tail == 3 * MIB && back.log_head == MIB &&
          memcmp(back.uuid, sb.uuid, 16) == 0 && back.disk_bytes == 8 * MIB);
    /* Every single-bit flip anywhere in the record is caught. */
    int caught = 1;
    for (unsigned bit = 0; bit < CK_SB_RECORD_BYTES * 8; bit++) {
        rec[bit / 8] ^= (uint8_t)(1u << bit % 8);
        caught &= ck_sb_decode(rec, &back) < 0;
        rec[bit / 8] ^= (uint8_t)(1u << bit % 8);
    }
    CHECK(caught);
    rec[0] = 'X';
    CHECK_EQ_INT(ck_sb_decode(rec, &back), -ENOENT);
    sb.version = CK_SB_VERSION + 1;
    ck_sb_encode(&sb, rec);
    CHECK_EQ_INT(ck_sb_decode(rec, &back), -EPROTONOSUPPORT);
    sb.version = CK_SB_VERSION;
    sb.seq = 0;
    ck_sb_encode(&sb, rec);
    CHECK_EQ_INT(ck_sb_decode(rec, &back), -EINVAL);
    char id[37];
    uint8_t u[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef, 0x80, 1, 2, 3, 4, 5, 6, 7};
    ck_sb_uuid_string(u, id);
    CHECK(strcmp(id, "12345678-9abc-4def-8001-020304050607") == 0);
    CHECK(strcmp(ck_store_state_name(CK_STORE_BLANK), "blank") == 0);
}

static void test_lifecycle(void)
{
    drv_blk *d = mem_disk(4 * MIB);
    struct ck_probe p;
    CHECK_EQ_INT(ck_sb_probe(d, &p), 0);
    CHECK_EQ_INT(p.state, CK_STORE_BLANK);
    struct ck_sb sb;
    CHECK_EQ_INT(ck_sb_claim(d, &sb, NULL), 0);
    CHECK_EQ_INT(sb.seq, 1);
    CHECK_EQ_INT(sb.disk_bytes, 4 * MIB);
    CHECK((sb.uuid[6] >> 4) == 4);
    CHECK_EQ_INT(ck_sb_probe(d, &p), 0);
    CHECK_EQ_INT(p.state, CK_STORE_KONS);
    CHECK(p.valid[0] && p.valid[1]);
    CHECK(memcmp(p.sb.uuid, sb.uuid, 16) == 0 && p.sb.seq == 1);
    printf("%s\n", p.reason);
    /* A second claim refuses and writes nothing. */
    uint8_t *before = malloc(MIB);
    memcpy(before, drv_blk_mem_data(d), MIB);
    struct ck_sb other;
    CHECK_EQ_INT(ck_sb_claim(d, &other, &p), -EEXIST);
    CHECK(memcmp(before, drv_blk_mem_data(d), MIB) == 0);
    /* Updates alternate slots; the newest wins. */
    for (int i = 0; i < 5; i++) {
        sb.log_tail = (uint64_t)(i + 1) * MIB;
        CHECK_EQ_INT(ck_sb_update(d, &sb), 0);
        CHECK_EQ_INT(sb.slot, (i + 1) % 2);
        CHECK_EQ_INT(ck_sb_probe(d, &p), 0);
        CHECK(p.state == CK_STORE_KONS && p.sb.seq == sb.seq && p.sb.slot == sb.slot &&
              p.sb.log_tail == sb.log_tail);
    }
    CHECK_EQ_INT(sb.seq, 6);
    /* Damage the current copy: the older one takes over; damage both: foreign. */
    uint8_t *data = drv_blk_mem_data(d);
    data[(sb.slot ? CK_SB_OFFSET_B : CK_SB_OFFSET_A) + 40] ^= 4;
    CHECK_EQ_INT(ck_sb_probe(d, &p), 0);
    CHECK(p.state == CK_STORE_KONS && p.sb.seq == 5 && !p.valid[sb.slot]);
    printf("%s\n", p.reason);
    data[(sb.slot ? CK_SB_OFFSET_A : CK_SB_OFFSET_B) + 500] ^= 1;
    CHECK_EQ_INT(ck_sb_probe(d, &p), 0);
    CHECK_EQ_INT(p.state, CK_STORE_FOREIGN);
    CHECK(strstr(p.reason, "damaged") != NULL);
    printf("%s\n", p.reason);
    CHECK_EQ_INT(ck_sb_claim(d, &other, NULL), -EPERM);
    free(before);
    drv_blk_close(d);
}

static void test_foreign(void)
{
    /* Anything non-zero in the first MiB, even away from the superblock places. */
    static const uint64_t where[] = {0, 510, 1024, 4096, CK_SB_OFFSET_B + 8, MIB - 1};
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        drv_blk *d = mem_disk(2 * MIB);
        drv_blk_mem_data(d)[where[i]] = 0x53;
        struct ck_probe p;
        CHECK_EQ_INT(ck_sb_probe(d, &p), 0);
        CHECK_EQ_INT(p.state, CK_STORE_FOREIGN);
        struct ck_sb sb;
        CHECK_EQ_INT(ck_sb_claim(d, &sb, &p), -EPERM);
        int untouched = drv_blk_mem_data(d)[where[i]] == 0x53;
        for (uint64_t j = 0; j < 2 * MIB; j++)
            untouched &= j == where[i] || drv_blk_mem_data(d)[j] == 0;
        CHECK(untouched);
        drv_blk_close(d);
    }
    /* Beyond the first MiB does not matter: still blank. */
    drv_blk *d = mem_disk(2 * MIB);
    drv_blk_mem_data(d)[MIB] = 1;
    struct ck_probe p;
    CHECK_EQ_INT(ck_sb_probe(d, &p), 0);
    CHECK_EQ_INT(p.state, CK_STORE_BLANK);
    drv_blk_close(d);
    /* Too small. */
    d = mem_disk(MIB / 2);
    CHECK_EQ_INT(ck_sb_probe(d, &p), 0);
    CHECK_EQ_INT(p.state, CK_STORE_FOREIGN);
    CHECK(strstr(p.reason, "too small") != NULL);
    drv_blk_close(d);
    /* Two valid superblocks of different stores. */
    drv_blk *d1 = mem_disk(2 * MIB), *d2 = mem_disk(2 * MIB);
    struct ck_sb s1, s2;
    CHECK_EQ_INT(ck_sb_claim(d1, &s1, NULL), 0);
    CHECK_EQ_INT(ck_sb_claim(d2, &s2, NULL), 0);
    memcpy(drv_blk_mem_data(d1) + CK_SB_OFFSET_B, drv_blk_mem_data(d2) + CK_SB_OFFSET_B, 512);
    CHECK_EQ_INT(ck_sb_probe(d1, &p), 0);
    CHECK_EQ_INT(p.state, CK_STORE_FOREIGN);
    drv_blk_close(d1);
    drv_blk_close(d2);
}

static void test_io_errors(void)
{
    drv_blk *mem = mem_disk(2 * MIB), *d;
    CHECK_EQ_INT(drv_blk_fault_open(mem, 3, DRV_BLK_FAULT_OWN, &d), 0);
    struct ck_sb sb;
    CHECK_EQ_INT(ck_sb_claim(d, &sb, NULL), 0);
    drv_blk_fault_bad(d, 0, 1, DRV_BLK_BAD_READ);
    struct ck_probe p;
    CHECK_EQ_INT(ck_sb_probe(d, &p), -EIO);
    CHECK(p.state == CK_STORE_FOREIGN && strstr(p.reason, "cannot read") != NULL);
    drv_blk_fault_bad(d, 0, 1, DRV_BLK_BAD_WRITE);
    uint64_t seq = sb.seq;
    CHECK_EQ_INT(ck_sb_update(d, &sb), 0);   /* writes B, not block 0 */
    CHECK_EQ_INT(ck_sb_update(d, &sb), -EIO);   /* A is bad: sb unchanged */
    CHECK_EQ_INT(sb.seq, seq + 1);
    drv_blk_fault_bad(d, 0, 1, 0);
    CHECK_EQ_INT(ck_sb_probe(d, &p), 0);
    CHECK(p.state == CK_STORE_KONS && p.sb.seq == seq + 1);
    drv_blk_close(d);
}

int main(void)
{
    test_records();
    test_lifecycle();
    test_foreign();
    test_io_errors();
    return check_report();
}
