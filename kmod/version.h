/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refstore's release version: MODULE_VERSION, `refstore --version`,
 * librefstore.pc and dkms.conf's PACKAGE_VERSION (the Makefile reads it
 * from here; `make dkms-check` fails if dkms.conf disagrees).
 */
#ifndef REFSTORE_VERSION_H
#define REFSTORE_VERSION_H

#define REFSTORE_VERSION "0.1.0"

#endif /* REFSTORE_VERSION_H */
