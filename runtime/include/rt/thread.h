/* rt/thread.h: driving the green-thread scheduler from C (an outside event loop).
 *
 * Lisp threads (KONS:MAKE-THREAD ...) run on one OS thread, scheduled by the VM. The
 * initial C context (the desktop's main loop) lends them the processor:
 *
 *   fds[k] = (struct pollfd){rt_threads_wakeup_fd(), POLLIN};   // with the loop's own
 *   for (;;) {
 *       int64_t next = rt_threads_run_slice(5 * 1000000);   // run Lisp for <= 5 ms
 *       poll(fds, n, next < 0 ? -1 : next / 1000000);        // then wait for events
 *   }
 *
 * Ownership: the VM module (runtime/thread.c).
 */
#ifndef RT_THREAD_H
#define RT_THREAD_H

#include <stdint.h>

/* Runs runnable Lisp threads for at most budget_ns (preempting at safepoints). Returns
 * the nanoseconds until a Lisp thread next needs to run: 0 (now, one is runnable), a
 * positive deadline (the earliest sleeper), or -1 (none: wait for an outside event). */
int64_t rt_threads_run_slice(int64_t budget_ns);
int64_t rt_threads_next_deadline_ns(void);
/* Makes the running Lisp thread look at the scheduler at its next safepoint, and makes
 * rt_threads_wakeup_fd readable so that an outside loop blocked in poll() comes back to
 * run Lisp (after Ctrl-C, or when another OS thread finished I/O a Lisp thread waits for).
 * Async-signal-safe; callable from any OS thread. */
void rt_threads_wake(void);
/* An eventfd, readable after rt_threads_wake until the next rt_threads_run_slice (which
 * drains it). -1 if none could be made (then poll with the deadline alone). */
int rt_threads_wakeup_fd(void);

#endif
