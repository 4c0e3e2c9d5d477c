/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The contract between the probe and its loader: per-syscall configuration bits and the
 * record layout. `src/record.rs` mirrors this file; change both together.
 */
#ifndef FALCOC_RECORD_H
#define FALCOC_RECORD_H

/* Syscall numbers the configuration array covers (x86_64 numbers are below 512). */
#define MAX_SYSCALLS 512

/* Bits of a `syscall_cfg` entry. */
#define CFG_SEND (1u << 0)          /* trace this syscall: one record at its exit */
#define CFG_STR_SHIFT 1             /* bits 1..6: argument i is a user string */
#define CFG_STR(i) (1u << (CFG_STR_SHIFT + (i)))
#define CFG_STR_MASK (0x3fu << CFG_STR_SHIFT)
#define CFG_SOCKADDR (1u << 7)      /* arg1 is a user sockaddr, arg2 its length */
#define CFG_TUPLE_ARG0 (1u << 8)    /* socket tuple of the fd in arg0 */
#define CFG_TUPLE_RET (1u << 9)     /* socket tuple of the fd returned */
#define CFG_EXEC (1u << 10)         /* execve/execveat: filename and argv of the new image */
#define CFG_CLONE (1u << 11)        /* clone family: the child's return is sent too */
#define CFG_CLONE_ARGS (1u << 12)   /* clone3: arg0 points to struct clone_args (flags first) */
#define CFG_OPEN_HOW (1u << 13)     /* openat2: arg2 points to struct open_how (24 bytes) */
#define CFG_FDPAIR_ARG0 (1u << 14)  /* pipe/pipe2: arg0 points to int[2] */
#define CFG_FDPAIR_ARG3 (1u << 15)  /* socketpair: arg3 points to int[2] */

/* Record kinds. */
#define KIND_SYSCALL 1   /* a syscall's exit */
#define KIND_PROCEXIT 2  /* a thread exited (sched_process_exit); args[0] = exit code */
#define KIND_CHILD 3     /* the child's return from a clone-family syscall */

/* Sizes of the variable parts (powers of two). */
#define MAX_STR 1024
#define MAX_ARGV 4096
#define MAX_SOCKADDR 128
#define SCRATCH_SIZE 16384
#define SCRATCH_HALF 8192

/* Record pieces (lengths in `len[]`, bytes follow the header in this order). */
#define PIECE_STR0 0     /* first string argument (exec: the filename) */
#define PIECE_STR1 1     /* second string argument (exec: argv, NUL-separated) */
#define PIECE_BLOB 2     /* sockaddr, open_how or int[2] */
#define PIECE_TUPLE 3    /* struct tuple */

/* A socket's endpoints as the kernel holds them. */
struct tuple {
	__u16 family;
	__u16 local_port;   /* host order */
	__u16 remote_port;  /* network order */
	__u16 pad;
	__u8 local_addr[16];
	__u8 remote_addr[16];
};

/* The fixed header of every record (128 bytes). */
struct record {
	__u64 ts;           /* CLOCK_BOOTTIME ns */
	__s64 ret;
	__u64 args[6];
	__u32 tid;
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 loginuid;
	__u32 tty_major;
	__u32 tty_minor;    /* minor_start + index; both 0 without a terminal */
	__u16 id;           /* syscall number */
	__u16 kind;
	__u16 len[4];
	char comm[16];
	__u32 pad;
};

_Static_assert(sizeof(struct record) == 128, "record header is 128 bytes");
_Static_assert(sizeof(struct tuple) == 40, "tuple is 40 bytes");

#endif
