/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The kernel types the probe reads, declared with only the members it uses.
 *
 * Every record carries `preserve_access_index`, so clang emits CO-RE relocations and the
 * loader (aya) moves each access to the member's real offset in the running kernel's BTF
 * (/sys/kernel/btf/vmlinux). Member order and sizes here do not matter; names and
 * nesting (anonymous unions included) are resolved by name. The integer types come from
 * the UAPI <linux/types.h>, included first.
 */
#ifndef FALCOC_KERNEL_TYPES_H
#define FALCOC_KERNEL_TYPES_H

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
	unsigned long di;
	unsigned long si;
	unsigned long dx;
	unsigned long r10;
	unsigned long r8;
	unsigned long r9;
	unsigned long orig_ax;
};

typedef struct {
	unsigned int val;
} kuid_t;

struct tty_driver {
	int major;
	int minor_start;
};

struct tty_struct {
	struct tty_driver *driver;
	int index;
};

struct signal_struct {
	struct tty_struct *tty;
};

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
	unsigned long env_end;
};

struct file {
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct in6_addr {
	__u8 s6_addr[16];
};

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
};

struct socket {
	struct sock *sk;
};

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
	struct mm_struct *mm;
	struct files_struct *files;
	struct signal_struct *signal;
	kuid_t loginuid;
	int exit_code;
};

#pragma clang attribute pop

#endif
