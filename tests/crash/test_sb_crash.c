/* test_sb_crash.c: superblock updates under injected crashes (torn and lost writes) and
 * bit flips on the fault-injecting disk. Invariant checked after every crash: the store
 * probes as KONS, its sequence is at least the last update that returned 0 and at most
 * the one being written, and its fields are exactly those written with that sequence.
 * Deterministic: fixed seeds; a failure prints the seed and iteration to replay. */
#include "check.h"

#include <ck/superblock.h>

#include <stdlib.h>
#include <string.h>

#define MIB (1u << 20)

static uint64_t rng;
static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* What an update with sequence s writes, so recovery can check the fields belong to s. */
static uint64_t tail_for(uint64_t s) { return MIB + (s * 2654435761u) % (64 * MIB); }

static int failures_reported;
static void report(uint64_t seed, int iter, const char *what, const struct ck_probe *p)
{
    if (failures_reported++ < 10)
        fprintf(stderr, "seed %llu iteration %d: %s (probe: %s: %s)\n", (unsigned long long)seed,
                iter, what, ck_store_state_name(p->state), p->reason);
}

/* Crashes during updates. Returns the number of crashes survived. */
static int update_loop(uint64_t seed, int iterations, struct drv_blk_fault_stats *st)
{
    rng = seed;
    drv_blk *mem, *d;
    drv_blk_mem_open(2 * MIB / 4096, 4096, &mem);
    /* Sector writes are not atomic here: the write in flight at the crash is cut at a
     * random byte, so an in-place update of the current copy would be caught. */
    drv_blk_fault_open(mem, seed, DRV_BLK_FAULT_OWN | DRV_BLK_FAULT_SMEAR, &d);
    struct ck_sb sb;
    if (ck_sb_claim(d, &sb, NULL) != 0)
        return -1;
    uint8_t uuid[16];
    memcpy(uuid, sb.uuid, 16);
    uint64_t durable = sb.seq;   /* the last sequence whose update returned 0 */
    int ok = 1, crashes = 0;
    for (int it = 0; it < iterations; it++) {
        /* Each update is one write and one flush: a crash point in [1, 2n] lands in the
         * middle of one of the next n updates. */
        int n = 1 + (int)(rnd() % 4);
        drv_blk_fault_crash_after(d, 1 + rnd() % (2 * (uint64_t)n));
        for (int k = 0; k < n; k++) {
            struct ck_sb next = sb;
            next.log_tail = tail_for(sb.seq + 1);
            next.log_head = sb.seq + 1;
            if (ck_sb_update(d, &next) != 0)
                break;
            sb = next;
            durable = sb.seq;
        }
        if (!drv_blk_fault_crashed(d))
            drv_blk_fault_crash(d);
        crashes++;
        drv_blk_fault_restart(d);
        struct ck_probe p;
        if (ck_sb_probe(d, &p) != 0 || p.state != CK_STORE_KONS) {
            report(seed, it, "store lost", &p);
            ok = 0;
            break;
        }
        if (p.sb.seq < durable || p.sb.seq > durable + 1) {
            report(seed, it, "sequence outside [durable, durable+1]", &p);
            ok = 0;
        }
        if (memcmp(p.sb.uuid, uuid, 16) != 0 ||
            (p.sb.seq > 1 && (p.sb.log_tail != tail_for(p.sb.seq) || p.sb.log_head != p.sb.seq))) {
            report(seed, it, "fields do not belong to the sequence", &p);
            ok = 0;
        }
        sb = p.sb;   /* carry on from what recovery found, like a rebooted system */
        durable = sb.seq;
    }
    drv_blk_fault_stats(d, st);
    drv_blk_close(d);
    return ok ? crashes : -1;
}

/* Crashes during claim: the disk is blank or a store afterwards, never foreign. */
static int claim_loop(uint64_t seed, int iterations)
{
    rng = seed;
    int ok = 1, stores = 0;
    for (int it = 0; it < iterations && ok; it++) {
        drv_blk *mem, *d;
        drv_blk_mem_open(2 * MIB / 4096, 4096, &mem);
        drv_blk_fault_open(mem, seed + (uint64_t)it, DRV_BLK_FAULT_OWN, &d);
        drv_blk_fault_crash_after(d, 1 + rnd() % 4);
        struct ck_sb sb;
        int r = ck_sb_claim(d, &sb, NULL);
        drv_blk_fault_crash(d);
        drv_blk_fault_restart(d);
        struct ck_probe p;
        ck_sb_probe(d, &p);
        if (p.state == CK_STORE_FOREIGN || (r == 0 && p.state != CK_STORE_KONS)) {
            report(seed, it, "claim crash left a non-store", &p);
            ok = 0;
        }
        stores += p.state == CK_STORE_KONS;
        if (p.state == CK_STORE_BLANK && ck_sb_claim(d, &sb, NULL) != 0) {
            report(seed, it, "cannot claim after a crashed claim", &p);
            ok = 0;
        }
        drv_blk_close(d);
    }
    return ok ? stores : -1;
}

/* Bit flips on the platter (at write time and at rest): probe may find an older copy or
 * call the disk damaged, but never accepts a corrupt record. */
static int flip_loop(uint64_t seed, int iterations)
{
    rng = seed;
    drv_blk *mem, *d;
    drv_blk_mem_open(2 * MIB / 4096, 4096, &mem);
    drv_blk_fault_open(mem, seed, DRV_BLK_FAULT_OWN, &d);
    struct ck_sb sb;
    ck_sb_claim(d, &sb, NULL);
    uint64_t maxseq = sb.seq;
    int ok = 1, damaged = 0;
    drv_blk_fault_set_flip_rate(d, 200000);   /* one block in five gets a flipped bit */
    for (int it = 0; it < iterations && ok; it++) {
        sb.log_tail = tail_for(sb.seq + 1);
        sb.log_head = sb.seq + 1;
        if (ck_sb_update(d, &sb) == 0 && sb.seq > maxseq)
            maxseq = sb.seq;
        if (rnd() % 4 == 0)
            drv_blk_fault_flip(d, (rnd() & 1) ? CK_SB_OFFSET_A : CK_SB_OFFSET_B,
                               CK_SB_RECORD_BYTES, 1 + (unsigned)(rnd() % 3));
        struct ck_probe p;
        ck_sb_probe(d, &p);
        if (p.state == CK_STORE_KONS) {
            if (p.sb.seq > maxseq || (p.sb.seq > 1 && p.sb.log_tail != tail_for(p.sb.seq))) {
                report(seed, it, "accepted a corrupt superblock", &p);
                ok = 0;
            }
            sb = p.sb;
        } else if (p.state == CK_STORE_FOREIGN) {
            /* Both copies damaged: start a fresh store on a wiped disk, as a user would. */
            damaged++;
            memset(drv_blk_mem_data(mem), 0, MIB);
            drv_blk_fault_set_flip_rate(d, 0);
            if (ck_sb_claim(d, &sb, NULL) != 0) {
                report(seed, it, "cannot claim a wiped disk", &p);
                ok = 0;
            }
            drv_blk_fault_set_flip_rate(d, 200000);
            maxseq = sb.seq;
        } else {
            report(seed, it, "a used disk probes blank", &p);
            ok = 0;
        }
    }
    drv_blk_close(d);
    return ok ? damaged : -1;
}

int main(int argc, char **argv)
{
    int iterations = argc > 1 ? atoi(argv[1]) : 2500;
    static const uint64_t seeds[] = {1, 42, 20261122, 0xdeadbeef};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        struct drv_blk_fault_stats st;
        int crashes = update_loop(seeds[i], iterations, &st);
        CHECK(crashes == iterations);
        printf("seed %llu: %d crashes during updates; unflushed writes lost %llu, applied %llu, torn %llu\n",
               (unsigned long long)seeds[i], crashes, (unsigned long long)st.lost,
               (unsigned long long)st.applied, (unsigned long long)st.torn);
        /* The loop must really have exercised every outcome. */
        CHECK(st.lost > 0 && st.applied > 0 && st.torn > 0);
        int stores = claim_loop(seeds[i], iterations / 5);
        CHECK(stores > 0 && stores < iterations / 5);
        printf("seed %llu: %d crashed claims, %d left a store\n", (unsigned long long)seeds[i],
               iterations / 5, stores);
        int damaged = flip_loop(seeds[i], iterations);
        CHECK(damaged >= 0);
        printf("seed %llu: bit flips: both copies damaged %d times, never accepted\n",
               (unsigned long long)seeds[i], damaged);
    }
    return check_report();
}
