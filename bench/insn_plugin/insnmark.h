/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mark a guest gives the insncount plugin: cpuid with this in EAX and
 * the mark's number in EBX. A leaf no CPU defines, so on hardware or
 * without the plugin the cpuid only returns the highest basic leaf's data.
 */
#ifndef INSNMARK_H
#define INSNMARK_H

#define INSN_MARK_MAGIC 0x54435053u	/* "TCPS" */

#endif
