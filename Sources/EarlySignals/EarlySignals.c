// SIGHUP (systemd's reload) and SIGUSR1 (the counts) blocked from the process's
// first instruction of its own: a pre-init function runs right after the dynamic
// loader, before any library's initialiser and long before Swift's main. They wait,
// pending, until peersniff installs their handlers (PeersniffCore's Status.swift),
// instead of ending a process that has only just started.
#include <signal.h>
#include "EarlySignals.h"

static int blocked;

static void block_early(int argc, char **argv, char **envp) {
    (void)argc; (void)argv; (void)envp;
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGHUP);
    sigaddset(&signals, SIGUSR1);
    blocked = sigprocmask(SIG_BLOCK, &signals, 0) == 0;
}

__attribute__((section(".preinit_array"), used))
static void (*const peersniff_preinit)(int, char **, char **) = block_early;

int peersniff_early_signals_blocked(void) { return blocked; }
