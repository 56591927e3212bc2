/* os/pid1_input.c: prepares the input devices present at boot for libinput (the udev
 * database entries; see drv/udevstub.h). Devices plugged in later are prepared by the
 * libinput driver itself. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "drv/udevstub.h"
#include "os_pid1.h"

void os_pid1_prepare_input(void)
{
    if (drv_udevstub_udevd_running())
        return;
    DIR *d = opendir("/dev/input");
    if (!d) {
        os_pid1_log("no /dev/input: no input devices (is evdev loaded?)");
        return;
    }
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, "event", 5) != 0)
            continue;
        char path[300], err[256];
        snprintf(path, sizeof path, "/dev/input/%s", de->d_name);
        if (drv_udevstub_write(path, err, sizeof err) != 0)
            os_pid1_log("input device %s skipped: %s", path, err);
        else
            n++;
    }
    closedir(d);
    os_pid1_log("%d input devices prepared for libinput", n);
}
