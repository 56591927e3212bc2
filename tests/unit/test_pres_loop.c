/* Unit tests for the event loop (pr/loop.h): fd callbacks, one-shot and periodic timers,
 * cancellation, the scheduler hook bounding the sleep, quitting. */
#include <sys/eventfd.h>
#include <unistd.h>

#include "check.h"
#include "pr/loop.h"

static int fd_calls, once_calls, tick_calls, hook_calls;
static pr_loop *loop;

static void on_fd(void *data, int fd)
{
    uint64_t v;
    (void)data;
    if (read(fd, &v, sizeof v) == sizeof v)
        fd_calls += (int)v;
}
static void on_once(void *data)
{
    (void)data;
    once_calls++;
}
static void on_tick(void *data)
{
    (void)data;
    if (++tick_calls == 3)
        pr_loop_quit(loop);
}
static int hook_busy(void *data)
{
    (void)data;
    hook_calls++;
    return 0; /* more work: the loop must not sleep */
}

int main(void)
{
    loop = pr_loop_new();
    CHECK(loop != NULL);
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK_EQ_INT(pr_loop_add_fd(loop, efd, on_fd, NULL), 0);
    CHECK(pr_loop_add_fd(loop, -1, on_fd, NULL) < 0);
    uint64_t two = 2;
    CHECK_EQ_INT(write(efd, &two, sizeof two), sizeof two);
    CHECK_EQ_INT(pr_loop_run_once(loop, 1000), 1);
    CHECK_EQ_INT(fd_calls, 2);

    /* Nothing ready: a bounded wait returns after about its timeout. */
    uint64_t t0 = pr_now_us();
    CHECK_EQ_INT(pr_loop_run_once(loop, 20), 0);
    CHECK(pr_now_us() - t0 >= 15000);

    /* Timers: a one-shot, a cancelled one, a periodic one that quits the loop. */
    pr_loop_add_timer(loop, 1000, 0, on_once, NULL);
    uint32_t cancelled = pr_loop_add_timer(loop, 1000, 0, on_once, NULL);
    pr_loop_cancel_timer(loop, cancelled);
    uint32_t tick = pr_loop_add_timer(loop, 2000, 2000, on_tick, NULL);
    CHECK(tick != 0);
    CHECK_EQ_INT(pr_loop_run(loop), 0);
    CHECK_EQ_INT(once_calls, 1);
    CHECK_EQ_INT(tick_calls, 3);
    pr_loop_cancel_timer(loop, tick);

    /* The hook says it has work: run_once with no timeout must not block. */
    pr_loop_set_hook(loop, hook_busy, NULL);
    t0 = pr_now_us();
    pr_loop_run_once(loop, -1);
    CHECK(pr_now_us() - t0 < 500000);
    CHECK_EQ_INT(hook_calls, 1);

    pr_loop_remove_fd(loop, efd);
    CHECK_EQ_INT(write(efd, &two, sizeof two), sizeof two);
    pr_loop_run_once(loop, 0);
    CHECK_EQ_INT(fd_calls, 2); /* removed: not called */
    close(efd);
    pr_loop_free(loop);
    return check_report();
}
