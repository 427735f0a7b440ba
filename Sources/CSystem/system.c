#define _GNU_SOURCE
#include "CSystem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int swiftlet_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int swiftlet_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) {
        return -1;
    }
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int swiftlet_set_cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) {
        return -1;
    }
    return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

int swiftlet_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int swiftlet_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

int swiftlet_accept(int fd) {
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int swiftlet_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                   int stdin_fd, int stdout_fd, int stderr_fd, pid_t *pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int result = posix_spawn_file_actions_init(&actions);
    if (result != 0) {
        return result;
    }
    result = posix_spawnattr_init(&attributes);
    if (result != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return result;
    }
    sigset_t defaults;
    sigfillset(&defaults);
    sigset_t empty;
    sigemptyset(&empty);
    // A new session: the environment can be killed as one process group, and
    // it has no controlling terminal to inject input into.
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setsigmask(&attributes, &empty);
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
    if (cwd != NULL) {
        posix_spawn_file_actions_addchdir_np(&actions, cwd);
    }
    result = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return result;
}

int swiftlet_spawn_passing(const char *path, char *const argv[], char *const envp[], const int *fds, int count,
                           int stdio_fd, pid_t *pid) {
    if (count < 0 || count > 16) {
        return EINVAL;
    }
    // Copies numbered above every target first, so no dup2 below overwrites a source
    // still to be copied.
    int sources[16];
    for (int index = 0; index < count; index++) {
        sources[index] = fcntl(fds[index], F_DUPFD_CLOEXEC, 3 + count);
        if (sources[index] < 0) {
            int code = errno;
            while (index-- > 0) close(sources[index]);
            return code;
        }
    }
    posix_spawn_file_actions_t actions;
    int result = posix_spawn_file_actions_init(&actions);
    if (result == 0) {
        posix_spawn_file_actions_adddup2(&actions, stdio_fd, 0);
        posix_spawn_file_actions_adddup2(&actions, stdio_fd, 1);
        // dup2 clears close-on-exec on the copy: descriptor i of `fds` arrives as 3 + i.
        for (int index = 0; index < count; index++) {
            posix_spawn_file_actions_adddup2(&actions, sources[index], 3 + index);
        }
        result = posix_spawn(pid, path, &actions, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&actions);
    }
    for (int index = 0; index < count; index++) close(sources[index]);
    return result;
}
