/* os/pid1_screen.c: a fatal message on the screen. Placeholder until the KMS driver is in
 * (the kernel log copy, which fbcon shows, is written by init.c). */
#include "os_pid1.h"

void os_pid1_show_fatal(const char *msg)
{
    (void)msg;
}
