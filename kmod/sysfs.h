/* SPDX-License-Identifier: GPL-2.0 */
/* /sys/class/net/<dev>/sekisho/ */
#ifndef _SEKISHO_SYSFS_H
#define _SEKISHO_SYSFS_H

struct attribute_group;

extern const struct attribute_group sekisho_sysfs_group;

#endif /* _SEKISHO_SYSFS_H */
