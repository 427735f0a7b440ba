// Thin wrappers over Linux calls that Swift cannot import directly
// (variadic functions and raw system calls without a libc wrapper).
#ifndef SWIFTLET_CSYSTEM_H
#define SWIFTLET_CSYSTEM_H

#include <sys/types.h>

/// pidfd_open(2): a file descriptor that becomes readable when `pid` exits.
int swiftlet_pidfd_open(pid_t pid);

/// fcntl(fd, F_SETFL, flags | O_NONBLOCK); returns -1 and sets errno on failure.
int swiftlet_set_nonblocking(int fd);

/// fcntl(fd, F_SETFD, FD_CLOEXEC); returns -1 and sets errno on failure.
int swiftlet_set_cloexec(int fd);

/// prctl(PR_SET_PDEATHSIG, signal) for the calling process.
int swiftlet_set_parent_death_signal(int signal);

#endif
