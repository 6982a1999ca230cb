/* SPDX-License-Identifier: GPL-2.0 */
/*
 * errno numbers as their names ("ECONNREFUSED"), for the socket errors the
 * events carry (struct tcpstate_event @err): one table for every output.
 * The module reports the kernel's numbers, which are the libc's E*
 * constants of the same architecture.
 */
#ifndef TCPSTATE_ERRNAMES_H
#define TCPSTATE_ERRNAMES_H

/* The name of Linux errno @err, or NULL for 0 or a number without one. */
const char *errno_name(int err);

#endif /* TCPSTATE_ERRNAMES_H */
