/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Change counters of hosts, for answers given from memory.
 *
 * The HTTP threads answer a repeated update (`nochg`) without the writer
 * when they remember that the same credentials were accepted for the same
 * host and nothing about the host has changed since (http/memo.c). "Nothing
 * changed" is this counter: the store bumps it whenever it writes a host's
 * row (addresses, state, owner, reason), deletes the host, or revokes one of
 * its tokens, before the change commits; readers compare it with the value
 * the writer saw when it accepted the update they remember.
 *
 * 2^20 counters indexed by a keyed hash of the host name: hosts that share
 * one only forget each other's memos more often. The writer thread bumps;
 * any thread reads, without locks.
 */
#pragma once

#include <stdint.h>

/* Writer (store): the host called name (lower case, no final dot) changed
 * or is about to. */
void host_epoch_bump(const char *name);

/* Any thread. */
uint32_t host_epoch(const char *name);
