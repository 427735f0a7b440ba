// Thin wrappers over Linux calls that Swift cannot import directly
// (variadic functions and raw system calls without a libc wrapper).
#ifndef SWIFTLET_CSYSTEM_H
#define SWIFTLET_CSYSTEM_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/types.h>

/// pidfd_open(2): a file descriptor that becomes readable when `pid` exits.
int swiftlet_pidfd_open(pid_t pid);

/// fcntl(fd, F_SETFL, flags | O_NONBLOCK); returns -1 and sets errno on failure.
int swiftlet_set_nonblocking(int fd);

/// fcntl(fd, F_SETFD, FD_CLOEXEC); returns -1 and sets errno on failure.
int swiftlet_set_cloexec(int fd);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends no spawned program inherits, made atomically.
int swiftlet_pipe_cloexec(int fds[2]);

/// prctl(PR_SET_PDEATHSIG, signal) for the calling process.
int swiftlet_set_parent_death_signal(int signal);

/// accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC).
int swiftlet_accept(int fd);

/// Starts `path` with `argv` and `envp` in directory `cwd` as the leader of a
/// new session (so the whole process group can be signalled), with stdin,
/// stdout and stderr set to the given descriptors. Every other descriptor
/// must be close-on-exec. Returns 0 and stores the pid, or an errno value.
int swiftlet_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                   int stdin_fd, int stdout_fd, int stderr_fd, pid_t *pid);

/// Starts `path` with `argv` and `envp`, stdin and stdout on `stdio_fd` (stderr is
/// inherited), and descriptor i of `fds` (at most 16) as descriptor 3 + i. Every
/// other descriptor of the caller must be close-on-exec. Returns 0 and stores the
/// pid, or an errno value.
int swiftlet_spawn_passing(const char *path, char *const argv[], char *const envp[], const int *fds, int count,
                           int stdio_fd, pid_t *pid);

#endif
