/*
 * sslkeylog.so: make a program that uses OpenSSL >= 1.1.1 (nginx, kamailio's tls module) write
 * its TLS secrets in the NSS key log format (what SSLKEYLOGFILE holds in browsers and curl), so
 * that tshark -o tls.keylog_file:FILE can decrypt a capture. Used by testdata/gen/tls/make.sh:
 *
 *   gcc -shared -fPIC -O2 -o sslkeylog.so sslkeylog.c -ldl
 *   SSLKEYLOGFILE=/tmp/keys.txt LD_PRELOAD=./sslkeylog.so nginx ...
 *
 * It interposes SSL_CTX_new(), SSL_new() and SSL_set_SSL_CTX() (kamailio makes an SSL_CTX per
 * process and domain, and its server_name callback moves each connection to one): each installs
 * a key log callback on the SSL_CTX it sees (SSL_CTX_set_keylog_callback, OpenSSL's own hook;
 * OpenSSL calls it with one complete line per secret: CLIENT_RANDOM for TLS 1.2, the
 * *_TRAFFIC_SECRET_* lines for TLS 1.3). The
 * file is opened once, in a constructor, so that processes forked later (nginx workers, which
 * lose the environment; kamailio's TCP/TLS workers) inherit the descriptor; each line is written
 * with one write(2) on an O_APPEND descriptor, so lines from several processes never interleave.
 * Nothing else of the program is changed. (The idea is Peter Wu's sslkeylog.c, written here anew
 * with no OpenSSL headers: the few types used are opaque pointers.)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef void (*keylog_cb)(const SSL *, const char *);

static char keylog_path[4096];

__attribute__((constructor)) static void sslkeylog_init(void) {
    const char *path = getenv("SSLKEYLOGFILE");
    if (path && *path && strlen(path) < sizeof keylog_path)
        strcpy(keylog_path, path);
}

/* one line per call: open, one write(2), close (no descriptor is kept: kamailio closes and
 * reuses inherited descriptors, so a kept one could point at one of its sockets by then) */
static void write_line(const SSL *ssl, const char *line) {
    (void)ssl;
    if (!keylog_path[0] || !line)
        return;
    size_t n = strlen(line);
    char buf[1024];
    if (n + 1 > sizeof buf)
        return; /* a key log line is at most ~200 bytes */
    memcpy(buf, line, n);
    buf[n] = '\n';
    int fd = open(keylog_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    ssize_t w = write(fd, buf, n + 1);
    (void)w;
    close(fd);
}

/* the real libssl functions: the next definition after this library, or libssl.so.3 itself
 * when the program loaded libssl with dlopen (kamailio's tls.so) */
static void *real(const char *name) {
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        void *h = dlopen("libssl.so.3", RTLD_LAZY | RTLD_NOLOAD);
        if (!h)
            h = dlopen("libssl.so.1.1", RTLD_LAZY | RTLD_NOLOAD);
        if (h)
            f = dlsym(h, name);
    }
    return f;
}

static void (*set_cb)(SSL_CTX *, keylog_cb);

static void hook(SSL_CTX *ctx) {
    if (!set_cb)
        set_cb = (void (*)(SSL_CTX *, keylog_cb))real("SSL_CTX_set_keylog_callback");
    if (set_cb && ctx && keylog_path[0])
        set_cb(ctx, write_line);
}

SSL_CTX *SSL_CTX_new(const void *method) {
    static SSL_CTX *(*f)(const void *);
    if (!f)
        f = (SSL_CTX * (*)(const void *)) real("SSL_CTX_new");
    if (!f)
        abort();
    SSL_CTX *ctx = f(method);
    hook(ctx);
    return ctx;
}

SSL *SSL_new(SSL_CTX *ctx) {
    static SSL *(*f)(SSL_CTX *);
    if (!f)
        f = (SSL * (*)(SSL_CTX *)) real("SSL_new");
    if (!f)
        abort();
    hook(ctx);
    return f(ctx);
}

/* kamailio's server_name callback moves a connection to its domain's SSL_CTX */
SSL_CTX *SSL_set_SSL_CTX(SSL *ssl, SSL_CTX *ctx) {
    static SSL_CTX *(*f)(SSL *, SSL_CTX *);
    if (!f)
        f = (SSL_CTX * (*)(SSL *, SSL_CTX *)) real("SSL_set_SSL_CTX");
    if (!f)
        abort();
    hook(ctx);
    return f(ssl, ctx);
}
