/* Which pages of its own code a program runs, in the order it first runs
 * them: loaded with LD_PRELOAD, it takes execute permission away from the
 * executable's code before main, and on each fault records the page and
 * gives that page its permission back. At exit it appends the offsets from
 * the executable's load address, in hex, one a line, to $TRACE_OUT.
 * Used by bench/layout/generate; a program that forks or installs its own
 * SIGSEGV handler is not traced correctly (ptool's scan commands do neither). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_PAGES 65536
static unsigned long base, text_start, text_end;
static unsigned long pages[MAX_PAGES];
static int count;

static void on_fault(int sig, siginfo_t *info, void *context) {
    (void)sig;
    (void)context;
    unsigned long page = (unsigned long)info->si_addr & ~4095UL;
    if (page < text_start || page >= text_end) {
        signal(SIGSEGV, SIG_DFL); /* a real fault: let it kill the program */
        return;
    }
    if (count < MAX_PAGES)
        pages[count++] = page - base;
    mprotect((void *)page, 4096, PROT_READ | PROT_EXEC);
}

static void write_pages(void) {
    const char *out = getenv("TRACE_OUT");
    FILE *f = out ? fopen(out, "a") : NULL;
    if (!f)
        return;
    for (int i = 0; i < count; i++)
        fprintf(f, "%lx\n", pages[i]);
    fclose(f);
}

__attribute__((constructor)) static void start(void) {
    char exe[4096], line[8192];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    FILE *maps = fopen("/proc/self/maps", "r");
    if (len < 0 || !maps)
        return;
    exe[len] = 0;
    while (fgets(line, sizeof line, maps)) {
        unsigned long from, to;
        char perms[8], path[4096] = "";
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4095s", &from, &to, perms, path) < 3)
            continue;
        if (strcmp(path, exe) != 0)
            continue;
        if (!base)
            base = from; /* the first mapping is at file offset 0, address 0 */
        if (perms[2] == 'x') {
            text_start = from;
            text_end = to;
        }
    }
    fclose(maps);
    if (!text_start)
        return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &action, NULL);
    atexit(write_pages);
    mprotect((void *)text_start, text_end - text_start, PROT_NONE);
}
