/* os/pid1_probe.c: `kons-probe`, a stand-in desktop for booting the image's PID-1 init
 * without the desktop (tests/qemu's init test, and bring-up). As PID 1 it runs
 * os_init_pid1(); its "desktop" prints a line on the serial console, and powers off
 * when the kernel command line says kons.probe=poweroff. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "os/init.h"

int main(int argc, char **argv)
{
    if (getpid() == 1)
        os_init_pid1(&argc, &argv);
    fprintf(stderr, "kons-probe: desktop stand-in running with");
    for (int i = 1; i < argc; i++)
        fprintf(stderr, " %s", argv[i]);
    const char *store = os_store_device();
    fprintf(stderr, "; store %s\n", store ? store : "(none)");
    char cmdline[4096] = {0};
    FILE *f = fopen("/proc/cmdline", "re");
    if (f) {
        if (!fgets(cmdline, sizeof cmdline, f))
            cmdline[0] = 0;
        fclose(f);
    }
    if (strstr(cmdline, "kons.probe=poweroff")) {
        fprintf(stderr, "kons-probe: asking PID 1 to power off\n");
        if (os_request_shutdown(0) != 0)
            fprintf(stderr, "kons-probe: not running under the PID-1 init\n");
    }
    for (;;)
        pause();
}
