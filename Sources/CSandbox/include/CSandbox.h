// The two steps of building an execution environment that must run as raw
// system calls: making a network namespace with a listening socket in it, and
// starting bubblewrap as an unprivileged child that joins that namespace and
// its cgroups before it runs.
#ifndef SWIFTLET_CSANDBOX_H
#define SWIFTLET_CSANDBOX_H

#include <sys/types.h>

/// Creates a network namespace with its loopback interface up and a TCP
/// socket listening on 127.0.0.1:`port` inside it. The calling thread enters
/// the new namespace only for the duration of the call. Stores the listening
/// socket (non-blocking, close-on-exec) and a descriptor of the namespace.
/// Returns 0, or an errno value with `*step` naming the call that failed.
int swiftlet_netns_listener(int port, int *listener, int *netns, const char **step);
/// A new network namespace with loopback up and one listening socket per port in
/// `ports`, made by this thread without moving the process. On success `listeners`
/// holds `count` descriptors and `netns` the namespace; on failure all are -1.
int swiftlet_netns_listeners(const int *ports, int count, int *listeners, int *netns, const char **step);

/// What the child does between clone and exec, in this order.
struct swiftlet_sandbox_child {
    /// A network namespace to join with setns, or -1 to keep the parent's.
    int netns_fd;
    /// Open `cgroup.procs` files the child writes itself into; -1 entries are skipped.
    const int *cgroup_fds;
    int cgroup_fd_count;
    /// When non-NULL: the child enters a private mount namespace, mounts a
    /// small tmpfs on `stage_root` (an existing directory) and bind-mounts each
    /// `stage_sources[i]` at `stage_root/i`, so that the unprivileged bwrap can
    /// reach trees whose host path it could not walk.
    const char *stage_root;
    const char *const *stage_sources;
    int stage_count;
    /// When non-NULL (and `stage_root` is set): a block device holding an ext4
    /// filesystem, mounted (nosuid, nodev) at `stage_root/tmp` for the sandbox's /tmp.
    const char *tmp_device;
    /// Descriptors that must survive exec (their close-on-exec flag is cleared).
    const int *inherit_fds;
    int inherit_fd_count;
    int stdin_fd, stdout_fd, stderr_fd;
    uid_t uid;
    gid_t gid;
};

/// Starts `path` (bubblewrap) as described by `child`, in a new session, with
/// every signal at its default disposition. Returns 0 and stores the pid as
/// soon as the child exists, without waiting for its setup: a step that fails
/// in the child writes "swiftlet sandbox: STEP failed, errno N" to its stderr
/// and exits with status 127. Returns an errno value (and sets `*step`) only
/// when the child could not be made at all.
int swiftlet_sandbox_spawn(const char *path, char *const argv[], char *const envp[],
                           const struct swiftlet_sandbox_child *child, pid_t *pid,
                           const char **step);

/// memfd_create(name, MFD_CLOEXEC): an anonymous file, for handing bytes to a child.
int swiftlet_memfd(const char *name);
/// Blocks until the process behind `pidfd` exits and reaps it; returns 0 or
/// an errno value (ECHILD when it was reaped already).
int swiftlet_wait_pidfd(int pidfd);
/// Attaches `image_fd` to a free loop device that detaches itself once
/// nothing uses it (LO_FLAGS_AUTOCLEAR). Stores the open device and its path
/// (`path` has room for `length` bytes). Returns 0 or an errno value.
int swiftlet_loop_attach(int image_fd, int *loop_fd, char *path, int length);

/// Shows each host directory `sources[i]` read-only (nosuid, nodev) at `targets[i]`, a path
/// relative to the root of the running process `pid` (a child of `parent`), inside that
/// process's mount namespace (at most 4 trees): detached copies of the trees are made here
/// (open_tree), then attached there (move_mount) by one short-lived thread that joins the
/// namespace, so no other thread of the caller moves. Refuses a process that is no longer
/// `parent`'s child (ESRCH) or shares the caller's mount namespace (EPERM).
/// Returns 0 or an errno value (and sets `*step`).
int swiftlet_mount_into(pid_t parent, pid_t pid, const char *const *sources, const char *const *targets, int count,
                        const char **step);

#endif
