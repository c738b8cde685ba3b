// SPDX-License-Identifier: MIT
// The static init (PID 1) of the minimal Linux guest: checks that userspace works (console, procfs,
// SMP count, anonymous memory, fork/wait, the virtio disk when there is one), says so on the console,
// then powers the machine off; with rvhyp.bench=1 on the kernel command line it times a workload
// instead (make bench).
// Built by scripts/build-linux.sh with riscv64-linux-gnu-gcc -static; every line starts with "init:
// ".
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MMAP_PAGES 256
#define CHILDREN 4
#define CHILD_STATUS_BASE 40 /* child i exits with 40 + i, so a mixed-up wait shows */
/* A physical address nothing decodes, natively on QEMU's virt board or in a guest of the hypervisor:
 * a load there is an access fault, which Linux turns into SIGSEGV for the process. */
#define NOWHERE_PA 0x7000000
/* The disk image the Makefile makes (mke2fs -d) holds HOST_FILE with HOST_TEXT; the guest writes
 * GUEST_LINES lines to GUEST_FILE, which tests/e2e/test_linux.py reads back from the image. */
#define DISK_DEV "/dev/vda"
#define DISK_MNT "/mnt"
#define HOST_FILE DISK_MNT "/hello.txt"
#define HOST_TEXT "hello from the host disk image\n"
#define GUEST_FILE DISK_MNT "/guest.txt"
#define GUEST_LINES 2000

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void power_off(void) __attribute__((noreturn));
static void fail(const char *what) __attribute__((noreturn));

// One write(2) per line: no stdio buffer can be lost at power-off or duplicated by fork.
static void say(const char *fmt, ...)
{
    char line[256];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n > sizeof(line) - 2) {
        n = sizeof(line) - 2;
    }
    line[n++] = '\n';
    for (int off = 0; off < n;) {
        ssize_t w = write(STDOUT_FILENO, line + off, (size_t)(n - off));
        if (w <= 0) {
            if (w < 0 && errno == EINTR) {
                continue;
            }
            return;
        }
        off += (int)w;
    }
}

// PID 1 must never return: the kernel would panic instead of stopping the machine.
static void power_off(void)
{
    sync();
    reboot(RB_POWER_OFF);
    say("init: FAIL reboot(RB_POWER_OFF): %s", strerror(errno));
    for (;;) {
        pause();
    }
}

static void fail(const char *what)
{
    say("init: FAIL %s (%s)", what, strerror(errno));
    power_off();
}

// The kernel opens /dev/console as fds 0-2 for init when the initramfs has the node; cover the case
// where it did not (no node): devtmpfs provides one.
static void open_console(void)
{
    if (fcntl(STDOUT_FILENO, F_GETFD) >= 0) {
        return;
    }
    int fd = open("/dev/console", O_RDWR | O_NOCTTY);
    if (fd < 0) {
        mkdir("/dev", 0755);
        mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
        fd = open("/dev/console", O_RDWR | O_NOCTTY);
    }
    if (fd < 0) {
        power_off(); /* nowhere to say why */
    }
    for (int i = 0; i < 3; i++) {
        if (fd != i) {
            dup2(fd, i);
        }
    }
    if (fd > 2) {
        close(fd);
    }
}

static void check_cpus(void)
{
    if (mkdir("/proc", 0555) < 0 && errno != EEXIST) {
        fail("mkdir /proc");
    }
    if (mount("proc", "/proc", "proc", 0, NULL) < 0) {
        fail("mount /proc");
    }
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) {
        fail("open /proc/cpuinfo");
    }
    char line[256];
    int cpus = 0;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "processor", 9) == 0) {
            cpus++;
        }
    }
    fclose(f);
    if (cpus == 0) {
        errno = 0;
        fail("no processor line in /proc/cpuinfo");
    }
    say("init: cpus %d", cpus);
}

// Touch every page so each one takes a page fault (or is mapped by a neighbour's: a kernel may map
// several pages on one fault) and, under a hypervisor, a mapping of its own; each must read zero
// first. The last page goes first (its neighbours end at the mapping's end), then the rest in order.
// Then read everything back: a page mapped twice or lost shows up as a wrong pattern.
static void check_mmap(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = MMAP_PAGES * page;
    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fail("mmap");
    }
    for (size_t k = 0; k < MMAP_PAGES; k++) {
        size_t i = k == 0 ? MMAP_PAGES - 1 : k - 1;
        volatile unsigned char *q = p + i * page;
        q[page - 1] = 0xa5; /* a store first: a load would map the shared zero page instead */
        for (size_t j = 0; j + 1 < page; j++) {
            if (q[j] != 0) {
                say("init: FAIL fresh mmap page %zu byte %zu reads 0x%02x", i, j, q[j]);
                power_off();
            }
        }
        memset(p + i * page, (int)(i * 7 + 1) & 0xff, page);
    }
    for (size_t i = 0; i < MMAP_PAGES; i++) {
        unsigned char want = (unsigned char)((i * 7 + 1) & 0xff);
        for (size_t j = 0; j < page; j++) {
            if (p[i * page + j] != want) {
                say("init: FAIL mmap page %zu byte %zu reads 0x%02x, wrote 0x%02x",
                    i,
                    j,
                    p[i * page + j],
                    want);
                power_off();
            }
        }
    }
    if (munmap(p, len) < 0) {
        fail("munmap");
    }
    say("init: mmap ok %d pages", MMAP_PAGES);
}

static void check_fork(void)
{
    pid_t pids[CHILDREN];

    for (int i = 0; i < CHILDREN; i++) {
        pids[i] = fork();
        if (pids[i] < 0) {
            fail("fork");
        }
        if (pids[i] == 0) {
            _exit(CHILD_STATUS_BASE + i);
        }
    }
    for (int i = 0; i < CHILDREN; i++) {
        int status;
        if (waitpid(pids[i], &status, 0) != pids[i]) {
            fail("waitpid");
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != CHILD_STATUS_BASE + i) {
            say("init: FAIL child %d: wait status 0x%x, wanted exit %d",
                i,
                (unsigned)status,
                CHILD_STATUS_BASE + i);
            power_off();
        }
    }
    say("init: fork ok %d children", CHILDREN);
}

// A child reads a physical address nothing decodes through /dev/mem: the hart (or the hypervisor,
// as a hart would) raises a load access fault, the kernel kills the child, init carries on.
static void check_devmem(void)
{
    int fd = open("/dev/mem", O_RDONLY | O_SYNC);
    if (fd < 0 && errno == ENOENT) {
        /* The initramfs has only /dev/console: devtmpfs has the node. */
        mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
        fd = open("/dev/mem", O_RDONLY | O_SYNC);
    }
    if (fd < 0) {
        say("init: no /dev/mem (%s)", strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fail("fork");
    }
    if (pid == 0) {
        volatile uint32_t *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, NOWHERE_PA);
        if (p == MAP_FAILED) {
            _exit(2);
        }
        (void)p[0];
        _exit(3); /* the load completed: no fault */
    }
    close(fd);
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        fail("waitpid");
    }
    if (WIFSIGNALED(status)) {
        say("init: devmem read of 0x%x: child killed by signal %d", NOWHERE_PA, WTERMSIG(status));
    } else {
        say("init: devmem read of 0x%x: child exited %d", NOWHERE_PA, WEXITSTATUS(status));
    }
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            fail("write " GUEST_FILE);
        }
        buf += w;
        len -= (size_t)w;
    }
}

// The disk, when the machine has one: mount its ext2 file system, check the file the host put there,
// write one of our own (more than a few blocks, so the request path sees multi-segment I/O), and make
// sure it reached the disk (fsync, umount) before the machine is powered off.
static void check_disk(void)
{
    // The initramfs has no block nodes: devtmpfs makes them as the drivers find devices.
    if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) < 0 && errno != EBUSY) {
        fail("mount devtmpfs");
    }
    // A machine may have the device but no medium behind it (a hypervisor run without a host disk).
    unsigned long long bytes = 0;
    int dev = open(DISK_DEV, O_RDONLY);
    if (dev >= 0) {
        if (ioctl(dev, BLKGETSIZE64, &bytes) < 0) {
            bytes = 0;
        }
        close(dev);
    }
    if (bytes == 0) {
        say("init: no disk");
        return;
    }
    if (mkdir(DISK_MNT, 0755) < 0 && errno != EEXIST) {
        fail("mkdir " DISK_MNT);
    }
    if (mount(DISK_DEV, DISK_MNT, "ext2", 0, NULL) < 0) {
        fail("mount " DISK_DEV);
    }
    char buf[256];
    int fd = open(HOST_FILE, O_RDONLY);
    if (fd < 0) {
        fail("open " HOST_FILE);
    }
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0) {
        fail("read " HOST_FILE);
    }
    buf[n] = '\0';
    if (strcmp(buf, HOST_TEXT) != 0) {
        say("init: FAIL " HOST_FILE " holds \"%.64s\"", buf);
        power_off();
    }
    say("init: disk read ok: %s", HOST_FILE);
    fd = open(GUEST_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        fail("create " GUEST_FILE);
    }
    size_t total = 0;
    for (int i = 0; i < GUEST_LINES; i++) {
        int len = snprintf(buf, sizeof(buf), "line %05d written by the Linux guest\n", i);
        write_all(fd, buf, (size_t)len);
        total += (size_t)len;
    }
    if (fsync(fd) < 0) {
        fail("fsync " GUEST_FILE);
    }
    close(fd);
    sync();
    if (umount(DISK_MNT) < 0) {
        fail("umount " DISK_MNT);
    }
    say("init: disk write ok: %zu bytes to %s", total, GUEST_FILE);
}

// ---- rvhyp.bench=1: the workload make bench (scripts/bench.py) compares natively and under the
// hypervisor's two engines. Each phase is timed with instret, which on one hart under QEMU -icount
// counts every instruction executed while it runs: the kernel's, the firmware's and the hypervisor's
// too, so the figure is what the phase costs as the guest sees it.

#define BENCH_FILE "/bench.dat" /* the initramfs root: ramfs, memory only */
#define BENCH_CHUNK 65536
#define BENCH_MIB (1u << 20)

static unsigned char bench_buf[BENCH_CHUNK];

static unsigned long instret(void)
{
    unsigned long n;
    __asm__ volatile("rdinstret %0" : "=r"(n));
    return n;
}

static unsigned long bench_getpid(unsigned n)
{
    unsigned long start = instret();
    for (unsigned i = 0; i < n; i++) {
        syscall(SYS_getpid); /* the system call itself, whatever the C library caches */
    }
    return instret() - start;
}

static unsigned long bench_fork(unsigned n)
{
    unsigned long start = instret();
    for (unsigned i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fail("bench fork");
        }
        if (pid == 0) {
            _exit(0);
        }
        int status;
        if (waitpid(pid, &status, 0) != pid) {
            fail("bench waitpid");
        }
    }
    return instret() - start;
}

// One op: map 1 MiB, store to every page (a fault and a fresh page each), unmap it.
static unsigned long bench_mmap(unsigned n)
{
    unsigned long start = instret();
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (unsigned i = 0; i < n; i++) {
        volatile unsigned char *p =
            mmap(NULL, BENCH_MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            fail("bench mmap");
        }
        for (size_t off = 0; off < BENCH_MIB; off += page) {
            p[off] = (unsigned char)i;
        }
        if (munmap((void *)p, BENCH_MIB) < 0) {
            fail("bench munmap");
        }
    }
    return instret() - start;
}

// One op: 4 MiB written to a file in the in-memory root file system, read back, removed.
static unsigned long bench_tmpfs(unsigned n)
{
    unsigned long start = instret();
    for (unsigned i = 0; i < n; i++) {
        int fd = open(BENCH_FILE, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            fail("bench create " BENCH_FILE);
        }
        for (unsigned k = 0; k < 4 * BENCH_MIB / BENCH_CHUNK; k++) {
            bench_buf[0] = (unsigned char)k;
            if (write(fd, bench_buf, BENCH_CHUNK) != BENCH_CHUNK) {
                fail("bench write " BENCH_FILE);
            }
        }
        if (lseek(fd, 0, SEEK_SET) != 0) {
            fail("bench lseek");
        }
        for (unsigned k = 0; k < 4 * BENCH_MIB / BENCH_CHUNK; k++) {
            if (read(fd, bench_buf, BENCH_CHUNK) != BENCH_CHUNK || bench_buf[0] != (unsigned char)k) {
                fail("bench read " BENCH_FILE);
            }
        }
        close(fd);
        unlink(BENCH_FILE);
    }
    return instret() - start;
}

// One op: a byte to the child through one pipe and back through the other (two context switches).
// The child is made before the count starts and reaped after it ends.
static unsigned long bench_pipe(unsigned n)
{
    int to[2], from[2];
    char c = 0;

    if (pipe(to) < 0 || pipe(from) < 0) {
        fail("bench pipe");
    }
    pid_t pid = fork();
    if (pid < 0) {
        fail("bench fork");
    }
    if (pid == 0) {
        /* Only the other ends: the parent closing its write end must be the end of the input. */
        close(to[1]);
        close(from[0]);
        while (read(to[0], &c, 1) == 1) {
            if (write(from[1], &c, 1) != 1) {
                _exit(1);
            }
        }
        _exit(0);
    }
    close(to[0]);
    close(from[1]);
    unsigned long start = instret();
    for (unsigned i = 0; i < n; i++) {
        c = (char)i;
        if (write(to[1], &c, 1) != 1 || read(from[0], &c, 1) != 1 || c != (char)i) {
            fail("bench pipe round trip");
        }
    }
    unsigned long cost = instret() - start;
    close(to[1]);
    waitpid(pid, NULL, 0);
    close(from[0]);
    return cost;
}

// One op: one page of a fresh mapping read (the shared zero page is mapped) then written (copied):
// two page faults, no system call but the mapping's own, amortised over 1,024 pages.
static unsigned long bench_fault(unsigned n)
{
    unsigned long start = instret();
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = (size_t)n * page;
    volatile unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned sum = 0;

    if (p == MAP_FAILED) {
        fail("bench mmap");
    }
    for (size_t off = 0; off < len; off += page) {
        sum += p[off];
        p[off] = (unsigned char)(sum + 1);
    }
    munmap((void *)p, len);
    return instret() - start;
}

static unsigned long bench_compute(unsigned n)
{
    unsigned long start = instret();
    unsigned long x = 88172645463325252ul;
    for (unsigned i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    __asm__ volatile("" : : "r"(x)); /* the loop must not be optimised away */
    return instret() - start;
}

struct bench_phase {
    const char *name;
    unsigned n;
    unsigned long (*run)(unsigned n); /* returns the instructions the n ops took */
};

static const struct bench_phase bench_phases[] = {
    { "getpid", 1000, bench_getpid }, { "fork", 50, bench_fork },        { "mmap", 50, bench_mmap },
    { "tmpfs", 2, bench_tmpfs },      { "pipe", 500, bench_pipe },               { "fault", 1024, bench_fault },
    { "compute", 1000000, bench_compute },
};

static char cmdline[1024];

static void read_cmdline(void)
{
    int fd = open("/proc/cmdline", O_RDONLY);

    if (fd < 0) {
        return;
    }
    ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);
    close(fd);
    cmdline[n > 0 ? n : 0] = '\0';
}

// Whether the kernel command line has the word w (whole, not as part of a longer one).
static bool cmdline_has(const char *w)
{
    size_t len = strlen(w);

    for (const char *c = strstr(cmdline, w); c; c = strstr(c + 1, w)) {
        if ((c == cmdline || c[-1] == ' ') && (c[len] == ' ' || c[len] == '\n' || c[len] == '\0')) {
            return true;
        }
    }
    return false;
}

// Each phase first runs a tenth of its operations uncounted: what a path costs once (the kernel's
// first use of it, the hypervisor patching a newly hot instruction and refilling its shadow tables
// after) lands there, not in whichever counted phase happens to trigger it. rvhyp.zero=NAME runs that
// phase's counted part with n = 0 (its warm-up still runs): the difference between the hypervisor's
// exit tables of such a run and a whole one is what the counted operations cost in exits
// (scripts/bench.py).
static void bench(void)
{
    say("init: bench start");
    for (size_t i = 0; i < sizeof(bench_phases) / sizeof(bench_phases[0]); i++) {
        const struct bench_phase *b = &bench_phases[i];
        char zero[64];
        snprintf(zero, sizeof(zero), "rvhyp.zero=%s", b->name);
        unsigned n = cmdline_has(zero) ? 0 : b->n;
        (void)b->run(b->n / 10 ? b->n / 10 : 1);
        say("init: bench %s n=%u instret=%lu", b->name, n, b->run(n));
    }
    say("init: bench done");
}

int main(void)
{
    /* The platform timer since the machine started, read first thing: under QEMU's -icount shift=0 it
     * counts executed instructions (one per nanosecond), so make bench can measure boot to init. */
    unsigned long ticks;
    __asm__ volatile("rdtime %0" : "=r"(ticks));
    open_console();
    say("init: hello from Linux");
    say("init: time %lu", ticks);
    check_cpus();
    read_cmdline();
    if (cmdline_has("rvhyp.bench=1")) {
        bench();
        power_off();
    }
    check_mmap();
    check_fork();
    check_devmem();
    check_disk();
    say("init: done");
    power_off();
}
