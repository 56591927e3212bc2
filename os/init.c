/* os/init.c: Kons as PID 1 (see os/include/os/init.h for the contract).
 *
 * Order of work, chosen for a fast boot under TCG: mounts (needed by everything), kernel
 * modules (the display and disks appear only after them; ~0.5 s), wait for the DRM card,
 * the store disk, then fork the desktop. The parent then becomes the supervisor loop.
 *
 * Invariants: PID 1 never returns from os_init_pid1() and never calls exit(); every
 * failure ends in init_fatal(), which reports and then supervises (reaping, power button,
 * key chords) until power-off.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <linux/reboot.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "os/init.h"
#include "os_pid1.h"

/* ---- messages ---------------------------------------------------------------------
 * Progress goes to stderr, which the kernel connected to /dev/console (the serial port
 * with console=ttyS0). Errors also go to /dev/kmsg at KERN_CRIT, which the kernel prints
 * on every console (the screen's fbcon too) even with `quiet`. */

static int init_debug;
static double init_t0;

static double init_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

void os_pid1_log(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* Time since boot (CLOCK_MONOTONIC starts at boot), as the kernel prints it. */
    fprintf(stderr, "[%8.3f] kons: %s\n", init_now(), buf);
}

static void init_kmsg(int level, const char *msg)
{
    int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[600];
    int n = snprintf(buf, sizeof buf, "<%d>kons: %s\n", level, msg);
    if (n > 0)
        (void)!write(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    close(fd);
}

/* ---- the kernel command line ------------------------------------------------------ */

static char init_cmdline[4096];

/* The value of `key=` on the kernel command line, copied into buf; NULL when absent. */
const char *os_pid1_cmdline(const char *key, char *buf, size_t size)
{
    size_t klen = strlen(key);
    for (const char *p = init_cmdline; *p;) {
        while (*p == ' ' || *p == '\n')
            p++;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\n')
            p++;
        if ((size_t)(p - w) > klen && strncmp(w, key, klen) == 0 && w[klen] == '=') {
            size_t n = (size_t)(p - w) - klen - 1;
            if (n >= size)
                n = size - 1;
            memcpy(buf, w + klen + 1, n);
            buf[n] = 0;
            return buf;
        }
    }
    return NULL;
}

static void init_read_cmdline(void)
{
    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, init_cmdline, sizeof init_cmdline - 1);
    close(fd);
    init_cmdline[n > 0 ? n : 0] = 0;
}

/* ---- mounts ------------------------------------------------------------------------ */

static int init_mount(const char *src, const char *dir, const char *type, unsigned long fl,
                      const char *opts)
{
    mkdir(dir, 0755);
    if (mount(src, dir, type, fl, opts) != 0 && errno != EBUSY) {
        os_pid1_log("cannot mount %s on %s: %s", type, dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- kernel modules ----------------------------------------------------------------
 * The image builder puts exactly the modules the image needs, and a modules.dep naming
 * each one's dependencies, under /lib/modules/<release>/. Every module listed is loaded,
 * each after its dependencies (depth first), with finit_module. */

struct init_mod {
    char *path;    /* relative to the modules folder */
    char **deps;   /* paths */
    int ndeps;
    int state;     /* 0 new, 1 loading, 2 done */
};

static struct init_mod *init_mods;
static int init_nmods;

static struct init_mod *init_mod_find(const char *path)
{
    for (int i = 0; i < init_nmods; i++)
        if (strcmp(init_mods[i].path, path) == 0)
            return &init_mods[i];
    return NULL;
}

/* Modules whose probing may finish after finit_module returns (the kernel's generic
 * async_probe parameter): disk controllers probe their ports for 0.3-0.5 s under TCG and
 * nothing before the store search needs them (pid1_store.c waits for their disks). */
static int init_mod_async(const char *path)
{
    static const char *const async[] = {"/ahci.ko", "/ata_piix.ko", "/psmouse.ko",
                                        "/xhci-pci.ko", "/ehci-pci.ko", NULL};
    size_t n = strlen(path);
    for (int i = 0; async[i]; i++) {
        size_t k = strlen(async[i]);
        if (n >= k && strcmp(path + n - k, async[i]) == 0)
            return 1;
    }
    return 0;
}

static int init_mod_load(const char *dir, struct init_mod *m)
{
    if (m->state == 2)
        return 0;
    if (m->state == 1) {
        os_pid1_log("module dependency cycle at %s", m->path);
        return -1;
    }
    m->state = 1;
    int rc = 0;
    for (int i = 0; i < m->ndeps; i++) {
        struct init_mod *d = init_mod_find(m->deps[i]);
        if (!d) {
            os_pid1_log("module %s needs %s, which is not in the image", m->path, m->deps[i]);
            rc = -1;
            continue;
        }
        if (init_mod_load(dir, d) != 0)
            rc = -1;
    }
    m->state = 2;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, m->path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        os_pid1_log("cannot open module %s: %s", path, strerror(errno));
        return -1;
    }
    double t = init_now();
    long r = syscall(SYS_finit_module, fd, init_mod_async(m->path) ? "async_probe" : "", 0);
    int e = errno;
    close(fd);
    if (r != 0 && e != EEXIST) {
        /* ENODEV is normal for a driver whose hardware is absent (e.g. bochs without std
         * VGA) when its init probes; it is not an error of the image. */
        if (e != ENODEV)
            os_pid1_log("cannot load module %s: %s", m->path, strerror(e));
        return e == ENODEV ? 0 : -1;
    }
    if (init_debug)
        os_pid1_log("module %s loaded (%.0f ms)", m->path, (init_now() - t) * 1e3);
    return rc;
}

static int init_load_modules(void)
{
    struct utsname u;
    uname(&u);
    char dir[300], path[400];
    snprintf(dir, sizeof dir, "/lib/modules/%s", u.release);
    snprintf(path, sizeof path, "%s/modules.dep", dir);
    FILE *f = fopen(path, "re");
    if (!f) {
        os_pid1_log("no %s: %s (the image was built for another kernel?)", path,
                    strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = 0;
        init_mods = realloc(init_mods, sizeof *init_mods * (size_t)(init_nmods + 1));
        struct init_mod *m = &init_mods[init_nmods++];
        memset(m, 0, sizeof *m);
        m->path = strdup(line);
        for (char *tok = strtok(colon + 1, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
            m->deps = realloc(m->deps, sizeof *m->deps * (size_t)(m->ndeps + 1));
            m->deps[m->ndeps++] = strdup(tok);
        }
    }
    free(line);
    fclose(f);
    int rc = 0;
    double t = init_now();
    /* Asynchronous ones last: loading any module waits for all pending asynchronous
     * probes (async_synchronize_full in the kernel), which would undo the point. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < init_nmods; i++)
            if (init_mod_async(init_mods[i].path) == pass && init_mod_load(dir, &init_mods[i]) != 0)
                rc = -1;
    os_pid1_log("%d kernel modules loaded in %.0f ms", init_nmods, (init_now() - t) * 1e3);
    return rc;
}

/* Waits up to timeout_s for a path to appear (devtmpfs creates nodes as drivers probe). */
static int init_wait_path(const char *path, double timeout_s)
{
    double end = init_now() + timeout_s;
    while (access(path, F_OK) != 0) {
        if (init_now() > end)
            return -1;
        usleep(10000);
    }
    return 0;
}

/* ---- the supervisor ---------------------------------------------------------------- */

static pid_t init_desktop = -1;
static int init_shutdown_cmd;      /* 0 none, else LINUX_REBOOT_CMD_{POWER_OFF,RESTART} */
static double init_shutdown_deadline;
static int init_fatal_shown;
static char init_fatal_msg[512];

#define INIT_MAX_INPUT 32
static struct {
    int fd;
    char name[16];
} init_inputs[INIT_MAX_INPUT];
static int init_mods_down; /* bit 0 ctrl (l/r counted), bit 1 alt */
static int init_ctrl, init_alt;

static void init_begin_shutdown(int cmd, const char *why)
{
    if (init_shutdown_cmd)
        return;
    init_shutdown_cmd = cmd;
    os_pid1_log("%s: %s", why, cmd == LINUX_REBOOT_CMD_RESTART ? "rebooting" : "powering off");
    if (init_desktop > 0) {
        kill(init_desktop, SIGTERM);
        /* The desktop gets 3 s to finish its checkpoint before SIGKILL. */
        init_shutdown_deadline = init_now() + 3.0;
    } else {
        init_shutdown_deadline = init_now();
    }
}

static void init_finish_shutdown(void)
{
    if (init_desktop > 0)
        kill(init_desktop, SIGKILL);
    sync();
    os_pid1_log("disks synced; %s now", init_shutdown_cmd == LINUX_REBOOT_CMD_RESTART
                                             ? "rebooting" : "powering off");
    reboot(init_shutdown_cmd == LINUX_REBOOT_CMD_RESTART ? RB_AUTOBOOT : RB_POWER_OFF);
    /* Only reached if the kernel refused; keep supervising. */
    os_pid1_log("reboot(2) failed: %s", strerror(errno));
    init_shutdown_cmd = 0;
}

static void init_input_add(int epfd, const char *name)
{
    for (int i = 0; i < INIT_MAX_INPUT; i++)
        if (init_inputs[i].fd > 0 && strcmp(init_inputs[i].name, name) == 0)
            return;
    char path[64];
    snprintf(path, sizeof path, "/dev/input/%s", name);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return;
    /* Only keyboards and power buttons matter here: those reporting KEY_POWER, KEY_END
     * or KEY_DELETE. Never grabbed: the desktop reads the same devices. */
    unsigned long keys[KEY_CNT / (8 * sizeof(long)) + 1];
    memset(keys, 0, sizeof keys);
    ioctl(fd, EVIOCGBIT(EV_KEY, sizeof keys), keys);
#define INIT_HAS(k) (keys[(k) / (8 * sizeof(long))] >> ((k) % (8 * sizeof(long))) & 1)
    if (!INIT_HAS(KEY_POWER) && !INIT_HAS(KEY_DELETE) && !INIT_HAS(KEY_END)) {
        close(fd);
        return;
    }
#undef INIT_HAS
    for (int i = 0; i < INIT_MAX_INPUT; i++) {
        if (init_inputs[i].fd <= 0) {
            init_inputs[i].fd = fd;
            snprintf(init_inputs[i].name, sizeof init_inputs[i].name, "%s", name);
            struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 100 + (uint32_t)i};
            epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
            return;
        }
    }
    close(fd);
}

static void init_input_read(int i)
{
    struct input_event evs[32];
    for (;;) {
        ssize_t n = read(init_inputs[i].fd, evs, sizeof evs);
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) { /* unplugged (ENODEV) */
            close(init_inputs[i].fd);
            init_inputs[i].fd = 0;
            return;
        }
        for (size_t k = 0; k < (size_t)n / sizeof evs[0]; k++) {
            const struct input_event *e = &evs[k];
            if (e->type != EV_KEY)
                continue;
            int down = e->value != 0;
            switch (e->code) {
            case KEY_LEFTCTRL: case KEY_RIGHTCTRL: init_ctrl += e->value == 1 ? 1 : e->value == 0 ? -1 : 0; break;
            case KEY_LEFTALT: case KEY_RIGHTALT: init_alt += e->value == 1 ? 1 : e->value == 0 ? -1 : 0; break;
            case KEY_POWER:
                if (e->value == 1)
                    init_begin_shutdown(LINUX_REBOOT_CMD_POWER_OFF, "power button");
                break;
            case KEY_DELETE:
                if (down && init_ctrl > 0 && init_alt > 0)
                    init_begin_shutdown(LINUX_REBOOT_CMD_RESTART, "Ctrl-Alt-Delete");
                break;
            case KEY_END:
                if (down && init_ctrl > 0 && init_alt > 0)
                    init_begin_shutdown(LINUX_REBOOT_CMD_POWER_OFF, "Ctrl-Alt-End");
                break;
            }
            if (init_ctrl < 0) init_ctrl = 0;
            if (init_alt < 0) init_alt = 0;
        }
    }
    (void)init_mods_down;
}

static void init_input_scan(int epfd)
{
    DIR *d = opendir("/dev/input");
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "event", 5) == 0)
            init_input_add(epfd, de->d_name);
    closedir(d);
}

static void init_show_fatal(void)
{
    if (init_fatal_shown)
        return;
    init_fatal_shown = 1;
    char line[700];
    snprintf(line, sizeof line, "FATAL: %s. Press Ctrl-Alt-Delete to reboot, "
             "Ctrl-Alt-End or the power button to power off.", init_fatal_msg);
    os_pid1_log("%s", line);
    init_kmsg(2, line);
    os_pid1_show_fatal(init_fatal_msg);
}

/* The supervisor loop. Never returns. */
static void __attribute__((noreturn)) init_supervise(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGINT);   /* Ctrl-Alt-Delete from the kernel (CAD off) */
    sigaddset(&set, SIGTERM);  /* a reboot request */
    sigaddset(&set, SIGUSR1);  /* os_request_shutdown(0): power off */
    sigaddset(&set, SIGUSR2);  /* os_request_shutdown(1): reboot */
    sigaddset(&set, SIGPWR);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
    epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
    int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ifd >= 0 && inotify_add_watch(ifd, "/dev/input", IN_CREATE) >= 0) {
        ev.data.u32 = 2;
        epoll_ctl(epfd, EPOLL_CTL_ADD, ifd, &ev);
    }
    init_input_scan(epfd);
    if (init_fatal_msg[0])
        init_show_fatal();

    for (;;) {
        int timeout = -1;
        if (init_shutdown_cmd) {
            double left = init_shutdown_deadline - init_now();
            if (left <= 0 || init_desktop <= 0)
                init_finish_shutdown();
            timeout = left > 0 ? (int)(left * 1000) + 1 : 0;
        }
        struct epoll_event evs[8];
        int n = epoll_wait(epfd, evs, 8, timeout);
        for (int i = 0; i < n; i++) {
            uint32_t id = evs[i].data.u32;
            if (id == 1) {
                struct signalfd_siginfo si;
                while (read(sfd, &si, sizeof si) == sizeof si) {
                    switch (si.ssi_signo) {
                    case SIGINT:
                        init_begin_shutdown(LINUX_REBOOT_CMD_RESTART, "Ctrl-Alt-Delete");
                        break;
                    case SIGTERM: case SIGUSR2:
                        init_begin_shutdown(LINUX_REBOOT_CMD_RESTART, "reboot requested");
                        break;
                    case SIGUSR1: case SIGPWR:
                        init_begin_shutdown(LINUX_REBOOT_CMD_POWER_OFF, "power-off requested");
                        break;
                    }
                }
                /* Reap every child: the desktop and anything reparented to PID 1. */
                int status;
                pid_t p;
                while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
                    if (p != init_desktop)
                        continue;
                    init_desktop = -1;
                    if (init_shutdown_cmd)
                        continue;
                    if (WIFSIGNALED(status))
                        snprintf(init_fatal_msg, sizeof init_fatal_msg,
                                 "the desktop was killed by signal %d (%s)", WTERMSIG(status),
                                 strsignal(WTERMSIG(status)));
                    else
                        snprintf(init_fatal_msg, sizeof init_fatal_msg,
                                 "the desktop exited with status %d", WEXITSTATUS(status));
                    init_show_fatal();
                }
            } else if (id == 2) {
                char buf[4096] __attribute__((aligned(8)));
                ssize_t len;
                while ((len = read(ifd, buf, sizeof buf)) > 0) {
                    for (char *p = buf; p < buf + len;) {
                        struct inotify_event *ie = (struct inotify_event *)p;
                        if (ie->len && strncmp(ie->name, "event", 5) == 0) {
                            usleep(20000); /* let devtmpfs set the node up */
                            init_input_add(epfd, ie->name);
                        }
                        p += sizeof *ie + ie->len;
                    }
                }
            } else if (id >= 100 && id < 100 + INIT_MAX_INPUT) {
                init_input_read((int)(id - 100));
            }
        }
    }
}

void os_pid1_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(init_fatal_msg, sizeof init_fatal_msg, fmt, ap);
    va_end(ap);
    init_supervise();
}

/* ---- the entry point --------------------------------------------------------------- */

static char *init_argv_store[16];
static char init_arg_size[300], init_arg_renderer[300];

void os_init_pid1(int *argc, char ***argv)
{
    init_t0 = init_now();
    /* Unblock everything and start clean: the kernel starts init with default handlers
     * and ignores nothing, but be explicit; SIGCHLD is handled in the loop. */
    umask(022);
    init_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    init_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    init_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    init_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
    init_mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    init_read_cmdline();
    char val[256];
    init_debug = os_pid1_cmdline("kons.debug", val, sizeof val) != NULL;
    os_pid1_log("PID 1 started (%.3f s after boot)", init_t0);
    /* Ctrl-Alt-Delete: the kernel sends SIGINT to PID 1 instead of rebooting at once. */
    reboot(RB_DISABLE_CAD);
    setenv("PATH", "/", 1);
    setenv("HOME", "/run/kons", 1);
    setenv("XDG_RUNTIME_DIR", "/run", 1);
    setenv("LANG", "C.UTF-8", 1);
    setenv("KONS_PID1", "1", 1); /* os_request_shutdown() in the desktop checks it */
    mkdir("/run/kons", 0700);

    init_load_modules();
    /* Input devices for libinput (it needs the udev database entries udevd would write). */
    os_pid1_prepare_input();

    const char *card = "/dev/dri/card0";
    if (init_wait_path(card, 5.0) != 0)
        os_pid1_fatal("no display device: %s did not appear within 5 s (is there a "
                      "virtio-gpu or std VGA, and are its modules in the image?)", card);
    os_pid1_log("display device %s ready", card);

    os_pid1_find_store();

    /* The desktop's arguments. */
    int n = 0;
    init_argv_store[n++] = (*argv)[0];
    init_argv_store[n++] = "--display=kms";
    init_argv_store[n++] = "--input=libinput";
    if (os_pid1_cmdline("kons.size", val, sizeof val)) {
        snprintf(init_arg_size, sizeof init_arg_size, "--size=%s", val);
        init_argv_store[n++] = init_arg_size;
    }
    if (os_pid1_cmdline("kons.renderer", val, sizeof val)) {
        snprintf(init_arg_renderer, sizeof init_arg_renderer, "--renderer=%s", val);
        init_argv_store[n++] = init_arg_renderer;
    }
    for (int i = 1; i < *argc && n < 15; i++)
        init_argv_store[n++] = (*argv)[i];
    init_argv_store[n] = NULL;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL); /* so that no SIGCHLD is lost before the loop */
    pid_t pid = fork();
    if (pid < 0)
        os_pid1_fatal("cannot start the desktop: fork: %s", strerror(errno));
    if (pid == 0) {
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        setsid();
        *argc = n;
        *argv = init_argv_store;
        os_pid1_log("starting the desktop (%.3f s after boot)", init_now());
        return;
    }
    init_desktop = pid;
    init_supervise();
}

int os_request_shutdown(int reboot_)
{
    /* PID 1 is Kons only in the image; elsewhere there is no one to ask. */
    if (getenv("KONS_PID1") == NULL)
        return -1;
    return kill(1, reboot_ ? SIGUSR2 : SIGUSR1);
}

const char *os_store_device(void)
{
    const char *s = getenv("KONS_STORE");
    return s && *s ? s : NULL;
}
