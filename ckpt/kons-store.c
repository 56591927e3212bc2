/* kons-store: look at and claim Kons store disks (a file or a block device).
 *
 *   kons-store probe FILE          print blank / kons / foreign and why; exit 0 for a Kons
 *                                  store, 10 for a blank disk, 11 for a foreign one
 *   kons-store info FILE           the superblock copies in full
 *   kons-store claim FILE [SIZE]   claim a blank disk (a missing file is created with SIZE
 *                                  bytes, suffixes K/M/G; a shorter file is extended);
 *                                  refuses anything not blank (exit 2), writing nothing
 *   kons-store update FILE [N]     write N (default 1) superblock updates (for tests)
 * Errors exit 1 with a message. */
#include <ck/superblock.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int usage(void)
{
    fprintf(stderr, "usage: kons-store probe|info FILE\n"
                    "       kons-store claim FILE [SIZE]\n"
                    "       kons-store update FILE [COUNT]\n");
    return 1;
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    int shift = 0;
    switch (*end) {
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    default: break;
    }
    if (*end || v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static void print_time(const char *label, uint64_t ns)
{
    time_t s = (time_t)(ns / 1000000000u);
    struct tm tm;
    char buf[64] = "?";
    if (gmtime_r(&s, &tm))
        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    printf("%-12s %s\n", label, buf);
}

static void print_sb(const struct ck_sb *sb)
{
    char id[37];
    ck_sb_uuid_string(sb->uuid, id);
    printf("uuid         %s\n", id);
    printf("version      %" PRIu32 "\n", sb->version);
    printf("sequence     %" PRIu64 " (copy %c)\n", sb->seq, sb->slot ? 'B' : 'A');
    print_time("created", sb->created_ns);
    print_time("updated", sb->updated_ns);
    printf("size         %" PRIu64 " bytes\n", sb->disk_bytes);
    printf("block size   %" PRIu32 "\n", sb->block_size);
    printf("log tail     %" PRIu64 "\n", sb->log_tail);
    printf("log head     %" PRIu64 "\n", sb->log_head);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *cmd = argv[1], *path = argv[2];
    bool probe = !strcmp(cmd, "probe"), info = !strcmp(cmd, "info");
    bool claim = !strcmp(cmd, "claim"), update = !strcmp(cmd, "update");
    if (!(probe || info || claim || update) || argc > 4 || ((probe || info) && argc > 3))
        return usage();
    uint64_t size = 0, count = 1;
    if (claim && argc == 4 && (parse_size(argv[3], &size) < 0 || size == 0)) {
        fprintf(stderr, "kons-store: bad size '%s'\n", argv[3]);
        return 1;
    }
    if (update && argc == 4 && parse_size(argv[3], &count) < 0) {
        fprintf(stderr, "kons-store: bad count '%s'\n", argv[3]);
        return 1;
    }
    unsigned flags = (probe || info) ? DRV_BLK_READONLY : (claim && size) ? DRV_BLK_CREATE : 0;
    drv_blk *d;
    int err = drv_blk_uring_open(path, flags, size, &d);
    if (err < 0) {
        fprintf(stderr, "kons-store: %s: %s\n", path, strerror(-err));
        return 1;
    }
    struct ck_probe p;
    err = ck_sb_probe(d, &p);
    int status = 0;
    if (err < 0) {
        fprintf(stderr, "kons-store: %s: %s\n", path, p.reason);
        status = 1;
    } else if (probe) {
        printf("%s: %s\n", ck_store_state_name(p.state), p.reason);
        status = p.state == CK_STORE_KONS ? 0 : p.state == CK_STORE_BLANK ? 10 : 11;
    } else if (info) {
        printf("disk         %s\n", drv_blk_describe(d));
        printf("state        %s: %s\n", ck_store_state_name(p.state), p.reason);
        if (p.state == CK_STORE_KONS)
            print_sb(&p.sb);
        status = p.state == CK_STORE_KONS ? 0 : p.state == CK_STORE_BLANK ? 10 : 11;
    } else if (claim) {
        struct ck_sb sb;
        err = ck_sb_claim(d, &sb, &p);
        if (err == -EEXIST || err == -EPERM) {
            fprintf(stderr, "kons-store: %s: not claimed, nothing written: %s\n", path, p.reason);
            status = 2;
        } else if (err < 0) {
            fprintf(stderr, "kons-store: %s: claim failed: %s\n", path, strerror(-err));
            status = 1;
        } else {
            char id[37];
            ck_sb_uuid_string(sb.uuid, id);
            printf("claimed %s: Kons store %s\n", path, id);
        }
    } else {
        if (p.state != CK_STORE_KONS) {
            fprintf(stderr, "kons-store: %s: not a Kons store: %s\n", path, p.reason);
            status = 2;
        }
        for (uint64_t i = 0; status == 0 && i < count; i++) {
            if ((err = ck_sb_update(d, &p.sb)) < 0) {
                fprintf(stderr, "kons-store: %s: update failed: %s\n", path, strerror(-err));
                status = 1;
            }
        }
        if (status == 0)
            printf("sequence %" PRIu64 "\n", p.sb.seq);
    }
    drv_blk_close(d);
    return status;
}
