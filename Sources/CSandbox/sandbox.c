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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/loop.h>
#include <stdio.h>
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
    return swiftlet_netns_listeners(&port, 1, listener, netns, step);
}

int swiftlet_netns_listeners(const int *ports, int count, int *listeners, int *netns, const char **step) {
    for (int index = 0; index < count; index++) listeners[index] = -1;
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
    for (int index = 0; result == 0 && index < count; index++) {
        result = listen_on_loopback(ports[index], &listeners[index]);
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
        for (int index = 0; index < count; index++) {
            if (listeners[index] >= 0) close(listeners[index]);
            listeners[index] = -1;
        }
        if (*netns >= 0) close(*netns);
        *netns = -1;
    }
    return result;
}

struct spawn_context {
    const char *path;
    char *const *argv;
    char *const *envp;
    const struct swiftlet_sandbox_child *child;
};

// The child has no way back to the parent but its stderr, which the server
// reads into the function's log: one line naming the step and the errno.
static int fail(struct spawn_context *context, const char *step) {
    int code = errno;
    char line[256];
    size_t length = 0;
    const char *prefix = "swiftlet sandbox: ";
    for (const char *part = prefix; *part && length < sizeof line - 16; part++) line[length++] = *part;
    for (const char *part = step; *part && length < sizeof line - 16; part++) line[length++] = *part;
    const char *middle = " failed, errno ";
    for (const char *part = middle; *part && length < sizeof line - 16; part++) line[length++] = *part;
    char digits[12];
    int count = 0;
    do {
        digits[count++] = (char)('0' + code % 10);
        code /= 10;
    } while (code > 0 && count < 11);
    while (count > 0) line[length++] = digits[--count];
    line[length++] = '\n';
    ssize_t ignored = write(context->child->stderr_fd, line, length);
    (void)ignored;
    _exit(127);
}

// Runs in the child between clone and exec, in a copy of a multi-threaded
// parent: raw system calls only, nothing that takes a libc lock.
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
    if (child->stage_root != NULL && child->tmp_device != NULL) {
        char target[4096];
        size_t length = strlen(child->stage_root);
        if (length + 8 > sizeof target) {
            errno = ENAMETOOLONG;
            return fail(context, "staging path");
        }
        memcpy(target, child->stage_root, length);
        memcpy(target + length, "/tmp", 5);
        if (syscall(SYS_mkdir, target, 0755) < 0) {
            return fail(context, "mkdir staging /tmp");
        }
        if (syscall(SYS_mount, child->tmp_device, target, "ext4", MS_NOSUID | MS_NODEV, "") < 0) {
            return fail(context, "mount the /tmp image");
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
    struct spawn_context context = {path, argv, envp, child};
    // No handler of the parent's may run in the child before its dispositions are reset.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    // A copy of the parent (no CLONE_VM, no CLONE_VFORK): the parent does not
    // wait for the child's setup, whose cgroup join can take an RCU grace
    // period (milliseconds) that must not stall the event loop. A failed step
    // ends the child with status 127 and a line on its stderr.
    int child_pid = clone(child_main, (char *)stack + stack_size, SIGCHLD, &context);
    int clone_error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    munmap(stack, stack_size);
    if (child_pid < 0) {
        *step = "clone";
        return clone_error;
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

int swiftlet_loop_attach(int image_fd, int *loop_fd, char *path, int length) {
    int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if (control < 0) {
        return errno;
    }
    // Another process may take the free device between the two calls: retry.
    for (int attempt = 0; attempt < 16; attempt++) {
        int number = ioctl(control, LOOP_CTL_GET_FREE);
        if (number < 0) {
            int code = errno;
            close(control);
            return code;
        }
        snprintf(path, (size_t)length, "/dev/loop%d", number);
        int device = open(path, O_RDWR | O_CLOEXEC);
        if (device < 0) {
            continue;
        }
        struct loop_config config;
        memset(&config, 0, sizeof config);
        config.fd = (unsigned int)image_fd;
        config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
        if (ioctl(device, LOOP_CONFIGURE, &config) == 0) {
            close(control);
            *loop_fd = device;
            return 0;
        }
        int code = errno;
        close(device);
        if (code != EBUSY) {
            close(control);
            return code;
        }
    }
    close(control);
    return EBUSY;
}

enum { MOUNT_INTO_LIMIT = 4 };

struct mount_job {
    const int *trees;
    int root;
    int namespace_fd;
    const char *const *targets;
    int count;
    int result;
    const char *step;
};

static void *attach_in_namespace(void *argument) {
    struct mount_job *job = argument;
    // The thread gets its own root and working directory first, so that joining the mount
    // namespace (which moves both into it) leaves the rest of the process where it was.
    if (unshare(CLONE_FS) < 0) {
        job->result = errno;
        job->step = "unshare(CLONE_FS)";
        return NULL;
    }
    if (setns(job->namespace_fd, CLONE_NEWNS) < 0) {
        job->result = errno;
        job->step = "setns(CLONE_NEWNS)";
        return NULL;
    }
    for (int index = 0; index < job->count; index++) {
        if (syscall(SYS_move_mount, job->trees[index], "", job->root, job->targets[index], MOVE_MOUNT_F_EMPTY_PATH)
            < 0) {
            job->result = errno;
            job->step = "move_mount";
            return NULL;
        }
    }
    return NULL;
}

static void close_all(const int *descriptors, int count) {
    for (int index = 0; index < count; index++) {
        if (descriptors[index] >= 0) close(descriptors[index]);
    }
}

// The parent pid field of /proc/PID/stat (after the command in parentheses), or -1.
static pid_t parent_of(pid_t pid) {
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t length = read(fd, text, sizeof text - 1);
    close(fd);
    if (length <= 0) return -1;
    text[length] = '\0';
    const char *end = strrchr(text, ')');
    int parent = -1;
    char state;
    if (end == NULL || sscanf(end + 1, " %c %d", &state, &parent) != 2) return -1;
    return (pid_t)parent;
}

int swiftlet_mount_into(pid_t parent, pid_t pid, const char *const *sources, const char *const *targets, int count,
                        const char **step) {
    if (count < 1 || count > MOUNT_INTO_LIMIT) {
        *step = "count the trees to mount";
        return EINVAL;
    }
    int trees[MOUNT_INTO_LIMIT];
    for (int index = 0; index < count; index++) trees[index] = -1;
    for (int index = 0; index < count; index++) {
        trees[index] = (int)syscall(SYS_open_tree, AT_FDCWD, sources[index], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (trees[index] < 0) {
            int code = errno;
            close_all(trees, count);
            *step = "open_tree";
            return code;
        }
        struct mount_attr attributes;
        memset(&attributes, 0, sizeof attributes);
        attributes.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
        if (syscall(SYS_mount_setattr, trees[index], "", AT_EMPTY_PATH, &attributes, sizeof attributes) < 0) {
            int code = errno;
            close_all(trees, count);
            *step = "mount_setattr";
            return code;
        }
    }
    // Pinned first: if `pid` is still this process after its root and namespace are opened
    // and its parent checked, the numbers all named the same process, not a reused pid.
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) {
        int code = errno;
        close_all(trees, count);
        *step = "pidfd_open";
        return code;
    }
    // The root is opened before joining, so each target resolves against the sandbox's root
    // (after bubblewrap's pivot_root) whatever the namespace's own root mount is.
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/root", (int)pid);
    int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
    int namespace_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (root < 0 || namespace_fd < 0) {
        int code = errno;
        if (root >= 0) close(root);
        if (namespace_fd >= 0) close(namespace_fd);
        close(pidfd);
        close_all(trees, count);
        *step = "open the process's root and mount namespace";
        return code;
    }
    if (parent_of(pid) != parent || syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
        close(namespace_fd);
        close(root);
        close(pidfd);
        close_all(trees, count);
        *step = "check that the process is the sandbox's";
        return ESRCH;
    }
    close(pidfd);
    // Fail closed: a process that shares the server's own mount namespace is never a
    // sandbox, and a mount there would cover a host path.
    struct stat theirs, ours;
    if (fstat(namespace_fd, &theirs) < 0 || stat("/proc/thread-self/ns/mnt", &ours) < 0
        || (theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino)) {
        close(namespace_fd);
        close(root);
        close_all(trees, count);
        *step = "check that the process is in a mount namespace of its own";
        return EPERM;
    }
    struct mount_job job = {trees, root, namespace_fd, targets, count, 0, NULL};
    pthread_t thread;
    int result = pthread_create(&thread, NULL, attach_in_namespace, &job);
    if (result == 0) {
        pthread_join(thread, NULL);
        result = job.result;
        *step = job.step;
    } else {
        *step = "pthread_create";
    }
    close(namespace_fd);
    close(root);
    close_all(trees, count);
    return result;
}
