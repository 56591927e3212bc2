/* presentation/loop.c: the epoll event loop (pr/loop.h). Timers are few (cursor blink,
 * key repeat on behalf of a driver, animations): a plain array scanned for the earliest
 * deadline is faster than a heap at that size. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "pr/loop.h"

typedef struct source {
    int fd;
    void (*cb)(void *, int);
    void *data;
} source;

typedef struct timer {
    uint32_t id;
    uint64_t due, interval;
    void (*cb)(void *);
    void *data;
} timer;

struct pr_loop {
    int ep;
    source *src;
    size_t nsrc, csrc;
    timer *tm;
    size_t ntm, ctm;
    uint32_t next_timer;
    int (*hook)(void *);
    void *hook_data;
    int quit;
};

uint64_t pr_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

pr_loop *pr_loop_new(void)
{
    pr_loop *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    if (l->ep < 0) {
        free(l);
        return NULL;
    }
    l->next_timer = 1;
    return l;
}

void pr_loop_free(pr_loop *l)
{
    if (!l)
        return;
    close(l->ep);
    free(l->src);
    free(l->tm);
    free(l);
}

int pr_loop_add_fd(pr_loop *l, int fd, void (*cb)(void *, int), void *data)
{
    if (fd < 0)
        return -EBADF;
    if (l->nsrc == l->csrc) {
        size_t cap = l->csrc ? l->csrc * 2 : 8;
        source *ns = realloc(l->src, cap * sizeof *ns);
        if (!ns)
            return -ENOMEM;
        l->src = ns;
        l->csrc = cap;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -errno;
    l->src[l->nsrc++] = (source){fd, cb, data};
    return 0;
}

void pr_loop_remove_fd(pr_loop *l, int fd)
{
    for (size_t i = 0; i < l->nsrc; i++)
        if (l->src[i].fd == fd) {
            epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
            l->src[i] = l->src[--l->nsrc];
            return;
        }
}

uint32_t pr_loop_add_timer(pr_loop *l, uint64_t delay_us, uint64_t interval_us,
                           void (*cb)(void *), void *data)
{
    if (l->ntm == l->ctm) {
        size_t cap = l->ctm ? l->ctm * 2 : 8;
        timer *nt = realloc(l->tm, cap * sizeof *nt);
        if (!nt)
            return 0;
        l->tm = nt;
        l->ctm = cap;
    }
    uint32_t id = l->next_timer++;
    if (l->next_timer == 0)
        l->next_timer = 1;
    l->tm[l->ntm++] = (timer){id, pr_now_us() + delay_us, interval_us, cb, data};
    return id;
}

void pr_loop_cancel_timer(pr_loop *l, uint32_t id)
{
    for (size_t i = 0; i < l->ntm; i++)
        if (l->tm[i].id == id) {
            l->tm[i] = l->tm[--l->ntm];
            return;
        }
}

void pr_loop_set_hook(pr_loop *l, int (*hook)(void *), void *data)
{
    l->hook = hook;
    l->hook_data = data;
}

static int run_timers(pr_loop *l)
{
    int ran = 0;
    uint64_t now = pr_now_us();
    for (size_t i = 0; i < l->ntm;) {
        timer t = l->tm[i];
        if (t.due > now) {
            i++;
            continue;
        }
        if (t.interval) {
            l->tm[i].due = now + t.interval;
            i++;
        } else {
            l->tm[i] = l->tm[--l->ntm];
        }
        t.cb(t.data); /* may add or cancel timers: the scan tolerates both */
        ran++;
    }
    return ran;
}

int pr_loop_run_once(pr_loop *l, int timeout_ms)
{
    if (l->hook) {
        int h = l->hook(l->hook_data);
        if (h >= 0 && (timeout_ms < 0 || h < timeout_ms))
            timeout_ms = h;
    }
    if (l->ntm) {
        uint64_t now = pr_now_us(), due = UINT64_MAX;
        for (size_t i = 0; i < l->ntm; i++)
            if (l->tm[i].due < due)
                due = l->tm[i].due;
        int ms = due <= now ? 0 : (int)((due - now + 999) / 1000);
        if (timeout_ms < 0 || ms < timeout_ms)
            timeout_ms = ms;
    }
    struct epoll_event evs[16];
    int n = epoll_wait(l->ep, evs, 16, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    int ran = 0;
    for (int i = 0; i < n; i++) {
        /* Look the source up again: an earlier callback may have removed it. */
        for (size_t k = 0; k < l->nsrc; k++)
            if (l->src[k].fd == evs[i].data.fd) {
                l->src[k].cb(l->src[k].data, evs[i].data.fd);
                ran++;
                break;
            }
    }
    return ran + run_timers(l);
}

int pr_loop_run(pr_loop *l)
{
    l->quit = 0;
    while (!l->quit) {
        int r = pr_loop_run_once(l, -1);
        if (r < 0)
            return r;
    }
    return 0;
}

void pr_loop_quit(pr_loop *l) { l->quit = 1; }
