// A custom runtime (provided.al2023) in C with the C library alone: it echoes each event
// back as the response. Swiftlet's benchmark uses it to measure a native bootstrap's cold
// start; it also shows the whole Runtime API loop a custom runtime needs.
//
// Build: cc -O2 -o bootstrap bootstrap.c (scripts/setup does), then zip `bootstrap`.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

enum { HEAD_LIMIT = 16384 };

struct response {
    int status;
    char request_id[128];
    char *body;
    size_t length;
};

static int connect_to(const char *address) {
    char host[256];
    const char *colon = strrchr(address, ':');
    if (colon == NULL || (size_t)(colon - address) >= sizeof host) return -1;
    memcpy(host, address, (size_t)(colon - address));
    host[colon - address] = '\0';
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *found;
    if (getaddrinfo(host, colon + 1, &hints, &found) != 0) return -1;
    int fd = socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(found);
    int one = 1;
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int send_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t sent = send(fd, data, length, MSG_NOSIGNAL);
        if (sent <= 0) return -1;
        data += sent;
        length -= (size_t)sent;
    }
    return 0;
}

// The value of header `name` in `head` (lines ending in CRLF), copied into `value`.
static int header(const char *head, const char *name, char *value, size_t size) {
    size_t name_length = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
        const char *start = line + 2;
        if (strncasecmp(start, name, name_length) != 0 || start[name_length] != ':') continue;
        start += name_length + 1;
        while (*start == ' ') start++;
        const char *end = strstr(start, "\r\n");
        size_t length = end ? (size_t)(end - start) : strlen(start);
        if (length >= size) return -1;
        memcpy(value, start, length);
        value[length] = '\0';
        return 0;
    }
    return -1;
}

// Reads one response with a Content-Length body (all Swiftlet's Runtime API sends).
static int read_response(int fd, struct response *response) {
    char head[HEAD_LIMIT + 1];
    size_t have = 0;
    char *end = NULL;
    while (end == NULL) {
        if (have == HEAD_LIMIT) return -1;
        ssize_t got = recv(fd, head + have, HEAD_LIMIT - have, 0);
        if (got <= 0) return -1;
        have += (size_t)got;
        head[have] = '\0';
        end = strstr(head, "\r\n\r\n");
    }
    end[2] = '\0';
    char *body_start = end + 4;
    size_t extra = have - (size_t)(body_start - head);
    char length_text[32] = "0";
    header(head, "Content-Length", length_text, sizeof length_text);
    response->status = atoi(head + 9);
    response->request_id[0] = '\0';
    header(head, "Lambda-Runtime-Aws-Request-Id", response->request_id, sizeof response->request_id);
    response->length = strtoul(length_text, NULL, 10);
    response->body = malloc(response->length + 1);
    if (response->body == NULL || extra > response->length) return -1;
    memcpy(response->body, body_start, extra);
    for (size_t read_so_far = extra; read_so_far < response->length;) {
        ssize_t got = recv(fd, response->body + read_so_far, response->length - read_so_far, 0);
        if (got <= 0) return -1;
        read_so_far += (size_t)got;
    }
    return 0;
}

int main(void) {
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    int fd = api ? connect_to(api) : -1;
    if (fd < 0) {
        fprintf(stderr, "echo-c: cannot reach the Runtime API at %s\n", api ? api : "(unset)");
        return 1;
    }
    static const char next[] = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: runtime\r\n\r\n";
    for (;;) {
        struct response event, accepted;
        if (send_all(fd, next, sizeof next - 1) != 0 || read_response(fd, &event) != 0 || event.status != 200) {
            fprintf(stderr, "echo-c: invocation/next failed\n");
            return 1;
        }
        char head[512];
        int length = snprintf(head, sizeof head,
                              "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: runtime\r\n"
                              "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                              event.request_id, event.length);
        if (length < 0 || (size_t)length >= sizeof head || send_all(fd, head, (size_t)length) != 0
            || send_all(fd, event.body, event.length) != 0 || read_response(fd, &accepted) != 0) {
            fprintf(stderr, "echo-c: posting the response failed\n");
            return 1;
        }
        free(event.body);
        free(accepted.body);
    }
}
