#pragma once
/// Nothing to call: the object only holds a pre-init function (see EarlySignals.c).
int peersniff_early_signals_blocked(void);
