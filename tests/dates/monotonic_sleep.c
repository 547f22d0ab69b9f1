/* For `make test-dates` only: libfaketime 0.9.10 with FAKETIME_DONT_FAKE_MONOTONIC=1 turns
 * Python 3.11's clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, ...) into EINVAL
 * (github.com/wolfcw/libfaketime issue 426). The monotonic clock is not faked then, so its
 * sleeps go straight to the kernel; every other clock still goes through libfaketime. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *request,
                    struct timespec *remain) {
    if (clock == CLOCK_MONOTONIC) {
        return syscall(SYS_clock_nanosleep, clock, flags, request, remain) == 0 ? 0 : errno;
    }
    int (*next)(clockid_t, int, const struct timespec *, struct timespec *) =
        dlsym(RTLD_NEXT, "clock_nanosleep");
    return next(clock, flags, request, remain);
}
