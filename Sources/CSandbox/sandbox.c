#define _GNU_SOURCE
#include "CSandbox.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int bring_loopback_up(void) {
    int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (probe < 0) {
        return errno;
    }
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    int result = 0;
    if (ioctl(probe, SIOCGIFFLAGS, &request) < 0) {
        result = errno;
    } else {
        request.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(probe, SIOCSIFFLAGS, &request) < 0) {
            result = errno;
        }
    }
    close(probe);
    return result;
}

static int listen_on_loopback(int port, int *listener) {
    int descriptor = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (descriptor < 0) {
        return errno;
    }
    int one = 1;
    setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(descriptor, (struct sockaddr *)&address, sizeof address) < 0 || listen(descriptor, 128) < 0) {
        int code = errno;
        close(descriptor);
        return code;
    }
    *listener = descriptor;
    return 0;
}

int swiftlet_netns_listener(int port, int *listener, int *netns, const char **step) {
    *listener = -1;
    *netns = -1;
    int original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (original < 0) {
        *step = "open /proc/thread-self/ns/net";
        return errno;
    }
    // Only this thread moves: network namespaces are per task, and the thread
    // goes back before returning, so nothing else it serves sees the new one.
    if (unshare(CLONE_NEWNET) < 0) {
        int code = errno;
        close(original);
        *step = "unshare(CLONE_NEWNET)";
        return code;
    }
    int result = bring_loopback_up();
    *step = "bring up lo";
    if (result == 0) {
        result = listen_on_loopback(port, listener);
        *step = "listen on 127.0.0.1 in the new namespace";
    }
    if (result == 0) {
        *netns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (*netns < 0) {
            result = errno;
            *step = "open the new namespace";
        }
    }
    if (setns(original, CLONE_NEWNET) < 0) {
        // A server thread stranded in a function's namespace would serve the
        // wrong network: stop rather than continue.
        abort();
    }
    close(original);
    if (result != 0) {
        if (*listener >= 0) close(*listener);
        if (*netns >= 0) close(*netns);
        *listener = -1;
        *netns = -1;
    }
    return result;
}

struct spawn_context {
    const char *path;
    char *const *argv;
    char *const *envp;
    const struct swiftlet_sandbox_child *child;
    // Written by the child, which shares the parent's memory until it execs.
    volatile int error;
    const char *volatile step;
};

static int fail(struct spawn_context *context, const char *step) {
    context->error = errno;
    context->step = step;
    _exit(127);
}

// Runs in the child between clone and exec, on its own stack and sharing the
// parent's memory: raw system calls only, nothing that takes a libc lock.
static int child_main(void *argument) {
    struct spawn_context *context = argument;
    const struct swiftlet_sandbox_child *child = context->child;

    // The order matters: namespace and cgroups first, while still root; then
    // the session; then the drop to the unprivileged uid, after which none of
    // the earlier steps would be allowed.
    if (child->netns_fd >= 0 && syscall(SYS_setns, child->netns_fd, CLONE_NEWNET) < 0) {
        return fail(context, "setns(CLONE_NEWNET)");
    }
    for (int index = 0; index < child->cgroup_fd_count; index++) {
        if (child->cgroup_fds[index] >= 0 && write(child->cgroup_fds[index], "0", 1) < 0) {
            return fail(context, "join cgroup");
        }
    }
    if (child->stage_root != NULL) {
        // Private: nothing mounted here propagates back to the host.
        if (syscall(SYS_unshare, CLONE_NEWNS) < 0) {
            return fail(context, "unshare(CLONE_NEWNS)");
        }
        if (syscall(SYS_mount, NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
            return fail(context, "make mounts private");
        }
        if (syscall(SYS_mount, "swiftlet-stage", child->stage_root, "tmpfs", MS_NOSUID | MS_NODEV,
                    "mode=0755,size=64k") < 0) {
            return fail(context, "mount the staging tmpfs");
        }
        for (int index = 0; index < child->stage_count; index++) {
            char target[4096];
            size_t length = strlen(child->stage_root);
            if (length + 16 > sizeof target) {
                errno = ENAMETOOLONG;
                return fail(context, "staging path");
            }
            memcpy(target, child->stage_root, length);
            target[length] = '/';
            // Decimal index, at most a few digits.
            char digits[12];
            int count = 0;
            int value = index;
            do {
                digits[count++] = (char)('0' + value % 10);
                value /= 10;
            } while (value > 0);
            for (int digit = 0; digit < count; digit++) {
                target[length + 1 + digit] = digits[count - 1 - digit];
            }
            target[length + 1 + count] = '\0';
            if (syscall(SYS_mkdir, target, 0755) < 0) {
                return fail(context, "mkdir staging directory");
            }
            if (syscall(SYS_mount, child->stage_sources[index], target, NULL, MS_BIND | MS_REC, NULL) < 0) {
                return fail(context, "bind a tree into the staging directory");
            }
        }
    }
    if (syscall(SYS_setsid) < 0) {
        return fail(context, "setsid");
    }
    if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, child->gid, child->gid, child->gid) < 0
        || syscall(SYS_setresuid, child->uid, child->uid, child->uid) < 0) {
        return fail(context, "drop to the sandbox uid");
    }
    // Set after the uid change, which clears it.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
        return fail(context, "prctl(PR_SET_PDEATHSIG)");
    }
    if (dup2(child->stdin_fd, 0) < 0 || dup2(child->stdout_fd, 1) < 0 || dup2(child->stderr_fd, 2) < 0) {
        return fail(context, "dup2 stdio");
    }
    for (int index = 0; index < child->inherit_fd_count; index++) {
        if (fcntl(child->inherit_fds[index], F_SETFD, 0) < 0) {
            return fail(context, "keep descriptor across exec");
        }
    }
    struct sigaction defaults;
    memset(&defaults, 0, sizeof defaults);
    defaults.sa_handler = SIG_DFL;
    for (int signal_number = 1; signal_number < NSIG; signal_number++) {
        sigaction(signal_number, &defaults, NULL);
    }
    sigset_t empty;
    sigemptyset(&empty);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty, NULL, NSIG / 8);
    execve(context->path, context->argv, context->envp);
    return fail(context, "execve bwrap");
}

int swiftlet_sandbox_spawn(const char *path, char *const argv[], char *const envp[],
                           const struct swiftlet_sandbox_child *child, pid_t *pid,
                           const char **step) {
    const size_t stack_size = 64 * 1024;
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        *step = "mmap child stack";
        return errno;
    }
    struct spawn_context context = {path, argv, envp, child, 0, NULL};
    // No handler of the parent's may run on the child's stack.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int child_pid = clone(child_main, (char *)stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &context);
    int clone_error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    munmap(stack, stack_size);
    if (child_pid < 0) {
        *step = "clone";
        return clone_error;
    }
    if (context.error != 0) {
        int status;
        waitpid(child_pid, &status, 0);
        *step = context.step;
        return context.error;
    }
    *pid = child_pid;
    return 0;
}

int swiftlet_memfd(const char *name) {
    return memfd_create(name, MFD_CLOEXEC);
}

int swiftlet_wait_pidfd(int pidfd) {
    siginfo_t info;
    while (waitid((idtype_t)3 /* P_PIDFD */, (id_t)pidfd, &info, WEXITED) < 0) {
        if (errno != EINTR) {
            return errno;
        }
    }
    return 0;
}
