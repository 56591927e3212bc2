/* os/pid1_store.c: finds the store disk at boot, through the store identity of ckpt/
 * (ck/superblock.h: probe BLANK / KONS / FOREIGN; claim a BLANK one).
 *
 *   kons.store=/dev/vdb  that disk only: a Kons store is used, a blank one claimed, any
 *                        other content left untouched and reported (no store then).
 *   kons.store=PARTUUID=4b6f6e73-02
 *                        partition 2 of the MBR disk with that signature (kons.img's
 *                        boot loader names its store partition so), waited for up to
 *                        10 s: disk controllers probe asynchronously (init.c).
 *   (none)               every disk and partition present is probed in name order (whole
 *                        disks that carry partitions are skipped, their partitions
 *                        probed): the first Kons store is used; else the first blank one
 *                        is claimed; foreign ones are reported and never written. Disks
 *                        whose controller is still probing are not waited for (a
 *                        diskless boot must not pay for it): name those with kons.store=.
 * The choice goes to the desktop in $KONS_STORE.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ck/superblock.h"
#include "drv/block.h"
#include "os_pid1.h"

static double store_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Probes dev; claims it when blank and allowed. Returns the state, or -1 when it cannot
 * be opened or read. */
static int store_probe(const char *dev, int claim, int quiet)
{
    drv_blk *d = NULL;
    int rc = drv_blk_uring_open(dev, 0, 0, &d);
    if (rc != 0) {
        if (!quiet)
            os_pid1_log("store: cannot open %s: %s", dev, strerror(-rc));
        return -1;
    }
    struct ck_probe p;
    rc = ck_sb_probe(d, &p);
    if (rc != 0) {
        os_pid1_log("store: cannot read %s: %s", dev, p.reason);
        drv_blk_close(d);
        return -1;
    }
    char uuid[37];
    if (p.state == CK_STORE_KONS) {
        ck_sb_uuid_string(p.sb.uuid, uuid);
        os_pid1_log("store: %s is the Kons store %s (sequence %llu)", dev, uuid,
                    (unsigned long long)p.sb.seq);
    } else if (p.state == CK_STORE_BLANK && claim) {
        struct ck_sb sb;
        struct ck_probe why;
        rc = ck_sb_claim(d, &sb, &why);
        if (rc != 0) {
            os_pid1_log("store: cannot claim the blank disk %s: %s", dev,
                        rc == -EPERM || rc == -EEXIST ? why.reason : strerror(-rc));
            drv_blk_close(d);
            return -1;
        }
        ck_sb_uuid_string(sb.uuid, uuid);
        os_pid1_log("store: claimed the blank disk %s as the new Kons store %s", dev, uuid);
        p.state = CK_STORE_KONS;
    } else if (p.state == CK_STORE_FOREIGN) {
        os_pid1_log("store: %s is foreign, left untouched: %s", dev, p.reason);
    }
    drv_blk_close(d);
    return (int)p.state;
}

static int store_use(const char *dev)
{
    setenv("KONS_STORE", dev, 1);
    os_pid1_log("store disk: %s", dev);
    return 0;
}

/* Whether /sys/class/block/name is a whole disk with partitions (then its partitions
 * are probed instead). */
static int store_has_partitions(const char *name)
{
    char path[300];
    snprintf(path, sizeof path, "/sys/class/block/%s", name);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *de;
    int found = 0;
    size_t n = strlen(name);
    while ((de = readdir(d)) && !found)
        found = strncmp(de->d_name, name, n) == 0 && de->d_name[n] != 0;
    closedir(d);
    return found;
}

static int store_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One pass over the disks; returns 1 when a store was chosen. `seen` remembers the
 * foreign disks already reported. */
static int store_scan(char *seen, size_t seen_size)
{
    DIR *d = opendir("/sys/class/block");
    if (!d)
        return 0;
    char *names[128];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 128) {
        const char *s = de->d_name;
        if (s[0] == '.' || !strncmp(s, "ram", 3) || !strncmp(s, "loop", 4) ||
            !strncmp(s, "sr", 2) || !strncmp(s, "zram", 4) || !strncmp(s, "fd", 2))
            continue;
        names[n++] = strdup(s);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], store_cmp);
    char blank[300] = "";
    int chosen = 0;
    for (int i = 0; i < n && !chosen; i++) {
        if (store_has_partitions(names[i]))
            continue;
        char dev[300], key[310];
        snprintf(dev, sizeof dev, "/dev/%s", names[i]);
        snprintf(key, sizeof key, " %s ", names[i]);
        int quiet = strstr(seen, key) != NULL;
        if (quiet) /* already probed: foreign or unreadable */
            continue;
        int st = store_probe(dev, 0, 0);
        if (st == CK_STORE_KONS)
            chosen = !store_use(dev);
        else if (st == CK_STORE_BLANK && !blank[0])
            snprintf(blank, sizeof blank, "%s", dev);
        else if (st != CK_STORE_BLANK && strlen(seen) + strlen(key) < seen_size)
            strcat(seen, key);
    }
    if (!chosen && blank[0] && store_probe(blank, 1, 0) == CK_STORE_KONS)
        chosen = !store_use(blank);
    for (int i = 0; i < n; i++)
        free(names[i]);
    return chosen;
}

/* PARTUUID=SSSSSSSS-NN (an MBR disk signature and a partition number, as the kernel's
 * root= takes it): the device node of that partition when its disk is present, else 0. */
static int store_partuuid(const char *spec, char *dev, size_t size)
{
    unsigned sig = 0, part = 0;
    if (sscanf(spec, "PARTUUID=%8x-%2x", &sig, &part) != 2)
        return 0;
    DIR *d = opendir("/sys/block");
    if (!d)
        return 0;
    struct dirent *de;
    int found = 0;
    while (!found && (de = readdir(d))) {
        if (de->d_name[0] == '.' || !strncmp(de->d_name, "ram", 3) || !strncmp(de->d_name, "loop", 4))
            continue;
        char path[300];
        snprintf(path, sizeof path, "/dev/%.200s", de->d_name);
        FILE *f = fopen(path, "rbe");
        unsigned char mbr[512];
        if (!f)
            continue;
        size_t n = fread(mbr, 1, sizeof mbr, f);
        fclose(f);
        unsigned disk_sig = (unsigned)mbr[440] | (unsigned)mbr[441] << 8 |
                            (unsigned)mbr[442] << 16 | (unsigned)mbr[443] << 24;
        if (n != sizeof mbr || mbr[510] != 0x55 || mbr[511] != 0xaa || disk_sig != sig)
            continue;
        /* sda2, vda2; nvme0n1p2, mmcblk0p2 when the name ends in a digit. */
        size_t len = strlen(de->d_name);
        int digit = len && de->d_name[len - 1] >= '0' && de->d_name[len - 1] <= '9';
        snprintf(dev, size, "/dev/%.200s%s%u", de->d_name, digit ? "p" : "", part);
        found = access(dev, F_OK) == 0;
    }
    closedir(d);
    return found;
}

void os_pid1_find_store(void)
{
    char dev[256];
    double t0 = store_now();
    if (os_pid1_cmdline("kons.store", dev, sizeof dev) && !strncmp(dev, "PARTUUID=", 9)) {
        char spec[256];
        snprintf(spec, sizeof spec, "%s", dev);
        while (!store_partuuid(spec, dev, sizeof dev)) {
            if (store_now() - t0 > 10) {
                os_pid1_log("store: no partition %s appeared within 10 s; running without a store", spec);
                return;
            }
            usleep(20000);
        }
        os_pid1_log("store: %s is %s", spec, dev);
        int st = store_probe(dev, 1, 0);
        if (st == CK_STORE_KONS)
            store_use(dev);
        else
            os_pid1_log("store: no usable store on %s; running without a store", dev);
        return;
    }
    if (os_pid1_cmdline("kons.store", dev, sizeof dev)) {
        /* Named: wait for it (its controller may still be probing). */
        while (access(dev, F_OK) != 0 && store_now() - t0 < 10)
            usleep(20000);
        int st = store_probe(dev, 1, 0);
        if (st == CK_STORE_KONS)
            store_use(dev);
        else
            os_pid1_log("store: no usable store on %s (from kons.store=); running without a store", dev);
        return;
    }
    char seen[4096] = " ";
    if (store_scan(seen, sizeof seen))
        return;
    os_pid1_log("store: no Kons store and no blank disk found; running without a store");
}
