/* test_kill.c: a real process updating the superblocks of a file store (io_uring,
 * O_DIRECT where the file system allows) is killed with SIGKILL at random moments; the
 * store must then probe as the same Kons store with a sequence no older than the last
 * update the process saw complete (reported through a pipe) and at most one newer. */
#include "check.h"

#include <ck/superblock.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void child(const char *path, int fd)
{
    drv_blk *d;
    struct ck_probe p;
    if (drv_blk_uring_open(path, 0, 0, &d) != 0 || ck_sb_probe(d, &p) != 0 ||
        p.state != CK_STORE_KONS)
        _exit(3);
    for (;;) {
        p.sb.log_tail = p.sb.seq + 1;
        if (ck_sb_update(d, &p.sb) != 0)
            _exit(4);
        if (write(fd, &p.sb.seq, sizeof p.sb.seq) != (ssize_t)sizeof p.sb.seq)
            _exit(5);
    }
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "%s/kons-test-kill-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/store.img", dir);
    drv_blk *d;
    CHECK_EQ_INT(drv_blk_uring_open(path, DRV_BLK_CREATE, 4u << 20, &d), 0);
    printf("store: %s\n", drv_blk_describe(d));
    struct ck_sb sb;
    CHECK_EQ_INT(ck_sb_claim(d, &sb, NULL), 0);
    drv_blk_close(d);
    uint8_t uuid[16];
    memcpy(uuid, sb.uuid, 16);

    uint64_t seed = 20261122, durable = sb.seq, total = 0;
    int rounds = 25, bad = 0;
    for (int r = 0; r < rounds; r++) {
        int fds[2];
        if (pipe(fds) != 0)
            return 1;
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            child(path, fds[1]);
        }
        close(fds[1]);
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        struct timespec ts = {0, (long)(1000000 + (seed >> 33) % 20000000)};  /* 1-21 ms */
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        uint64_t seq, last = durable;
        while (read(fds[0], &seq, sizeof seq) == (ssize_t)sizeof seq)
            last = seq;
        close(fds[0]);
        total += last - durable;
        struct ck_probe p;
        CHECK_EQ_INT(drv_blk_uring_open(path, DRV_BLK_READONLY, 0, &d), 0);
        CHECK_EQ_INT(ck_sb_probe(d, &p), 0);
        drv_blk_close(d);
        if (p.state != CK_STORE_KONS || memcmp(p.sb.uuid, uuid, 16) != 0 || p.sb.seq < last ||
            p.sb.seq > last + 1 || (p.sb.seq > 1 && p.sb.log_tail != p.sb.seq)) {
            fprintf(stderr, "round %d: last completed update %llu, probe: %s\n", r,
                    (unsigned long long)last, p.reason);
            bad++;
        }
        durable = p.sb.seq;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(total > 0);   /* the child did make progress before being killed */
    printf("%d kills, %llu updates completed in total, store intact each time\n", rounds,
           (unsigned long long)total);
    unlink(path);
    rmdir(dir);
    return check_report();
}
