/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TCPSTATE_INTERNAL_H
#define _TCPSTATE_INTERNAL_H

#include "ring.h"

/* The one ring all probes write to; owned by main.c. */
extern struct tcpstate_ring tcpstate_ring;

int tcpstate_device_register(void);
void tcpstate_device_unregister(void);

int tcpstate_probes_attach(void);
void tcpstate_probes_detach(void);

#endif /* _TCPSTATE_INTERNAL_H */
