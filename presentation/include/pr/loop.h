/* pr/loop.h: the one event loop (epoll) over display, input and timer sources.
 *
 * Sources are file descriptors with a callback (the display's and input drivers' fds)
 * and timers (one-shot or periodic, CLOCK_MONOTONIC). A *hook* runs once per iteration
 * before the loop sleeps: this is where the Lisp scheduler will be driven (run green
 * threads for a slice, then say how long the loop may sleep). Nothing here knows about
 * Lisp or drawing. Single-threaded.
 */
#ifndef KONS_PR_LOOP_H
#define KONS_PR_LOOP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pr_loop pr_loop;

pr_loop *pr_loop_new(void);
void pr_loop_free(pr_loop *l);

/* Watches fd for readability; cb(data, fd) runs when it is readable (level-triggered:
 * the callback must drain it). Returns 0 or a negative errno. */
int pr_loop_add_fd(pr_loop *l, int fd, void (*cb)(void *data, int fd), void *data);
void pr_loop_remove_fd(pr_loop *l, int fd);

/* A timer firing after delay_us, then every interval_us (0: once). Returns its id
 * (> 0), or 0 when out of memory. */
uint32_t pr_loop_add_timer(pr_loop *l, uint64_t delay_us, uint64_t interval_us,
                           void (*cb)(void *data), void *data);
void pr_loop_cancel_timer(pr_loop *l, uint32_t id);

/* The hook: called once per iteration before sleeping. It returns how long the loop may
 * sleep at most, in milliseconds: 0 when it has more work (runnable threads), -1 when it
 * is idle (sleep until an fd or timer). */
void pr_loop_set_hook(pr_loop *l, int (*hook)(void *data), void *data);

/* One iteration: runs the hook, sleeps at most timeout_ms (-1: no limit; the hook and the
 * next timer shorten it), dispatches ready fds and due timers. Returns the number of
 * callbacks run, or a negative errno from epoll_wait. */
int pr_loop_run_once(pr_loop *l, int timeout_ms);
/* Runs until pr_loop_quit. Returns 0, or a negative errno. */
int pr_loop_run(pr_loop *l);
void pr_loop_quit(pr_loop *l);

uint64_t pr_now_us(void);

#ifdef __cplusplus
}
#endif

#endif
