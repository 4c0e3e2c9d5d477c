// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * falcoc's syscall probe (CO-RE). Build: see crates/probe-ebpf/build-probe.sh.
 *
 * Only syscall exits are hooked (one program run per syscall of the machine, not two):
 * sys_exit sends one record for each configured syscall, with its return value, its
 * arguments (still in the saved registers) and the variable parts the configuration asks
 * for; sched_process_exit sends one record per exiting thread. Records go to a single BPF
 * ring buffer without per-record wakeups: the reader polls on a timer and is woken only
 * when more than `wakeup_bytes` are pending. A failed ring-buffer write is a drop,
 * counted per CPU in `stats`.
 */
#include <linux/types.h>
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "kernel_types.h"
#include "record.h"

/* The kernel's name for a GPL-compatible program (its probe-read helpers are GPL-only). */
char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load. */
const volatile __u32 self_tgid = 0;
const volatile __u64 wakeup_bytes = 1 << 20;


struct scratch {
	__u8 buf[SCRATCH_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u32);
} syscall_cfg SEC(".maps");



struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

/* Per CPU: [0] records sent, [1] records dropped (ring buffer full). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &key);
	if (v)
		*v += 1;
}

static __always_inline __u32 config_of(__u64 id)
{
	if (id >= MAX_SYSCALLS)
		return 0;
	__u32 key = id;
	__u32 *cfg = bpf_map_lookup_elem(&syscall_cfg, &key);
	return cfg ? *cfg : 0;
}

static __always_inline struct scratch *scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch_map, &zero);
}

/*
 * Fills the header fields that describe the current task. The parent, login uid and
 * terminal (several dependent kernel reads) only when `full`: records that describe a
 * process (exec, clone, exit); userspace has them from its state for the others.
 */
static __always_inline void fill_task(struct record *r, bool full)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	r->ts = bpf_ktime_get_boot_ns();
	r->tid = (__u32)pid_tgid;
	r->pid = pid_tgid >> 32;
	r->uid = (__u32)uid_gid;
	r->gid = uid_gid >> 32;
	r->ppid = 0;
	r->loginuid = (__u32)-1;
	r->tty_major = 0;
	r->tty_minor = 0;
	if (full) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		r->ppid = BPF_CORE_READ(task, real_parent, tgid);
		r->loginuid = BPF_CORE_READ(task, loginuid.val);
		struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
		if (tty) {
			r->tty_major = BPF_CORE_READ(tty, driver, major);
			r->tty_minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		}
	}
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	r->len[0] = 0;
	r->len[1] = 0;
	r->len[2] = 0;
	r->len[3] = 0;
	r->pad = 0;
}

/* Sends the first `len` bytes of the scratch buffer. */
static __always_inline void send(struct scratch *s, __u32 len)
{
	len &= SCRATCH_SIZE - 1;
	if (len < sizeof(struct record))
		return;
	__u64 flags = BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&events, s->buf, len, flags) == 0)
		count(0);
	else
		count(1);
}

static __always_inline __u32 put_user_str(struct scratch *s, __u32 off, struct record *r, int piece,
					  const void *src)
{
	long n = bpf_probe_read_user_str(&s->buf[off & (SCRATCH_HALF - 1)], MAX_STR, src);
	if (n < 0)
		n = 0;
	n &= (MAX_STR * 2) - 1;
	r->len[piece & 3] = n;
	return off + n;
}

static __always_inline __u32 put_user_bytes(struct scratch *s, __u32 off, struct record *r, int piece,
					    const void *src, __u64 len, __u64 max)
{
	if (len >= max)
		len = max - 1;
	asm volatile("" : "+r"(len));
	len &= max - 1;
	if (bpf_probe_read_user(&s->buf[off & (SCRATCH_HALF - 1)], len, src) != 0)
		len = 0;
	r->len[piece & 3] = len;
	return off + len;
}

/* The socket behind fd `fd` of the current task, or NULL. */
static __always_inline struct sock *sock_of_fd(__s64 fd)
{
	if (fd < 0)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt)
		return 0;
	if (fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return 0;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	if (!sock)
		return 0;
	return BPF_CORE_READ(sock, sk);
}

static __always_inline __u32 put_tuple(struct scratch *s, __u32 off, struct record *r, __s64 fd)
{
	struct sock *sk = sock_of_fd(fd);
	if (!sk)
		return off;
	struct tuple *t = (struct tuple *)&s->buf[off & (SCRATCH_HALF - 1)];
	__builtin_memset(t, 0, sizeof(*t));
	t->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->remote_port = BPF_CORE_READ(sk, __sk_common.skc_dport);
	if (t->family == 2 /* AF_INET */) {
		BPF_CORE_READ_INTO((__u32 *)t->local_addr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)t->remote_addr, sk, __sk_common.skc_daddr);
	} else if (t->family == 10 /* AF_INET6 */) {
		bpf_core_read(t->local_addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(t->remote_addr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	r->len[PIECE_TUPLE] = sizeof(*t);
	return off + sizeof(*t);
}

static __always_inline __u32 put_argv(struct scratch *s, __u32 off, struct record *r)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	if (!mm)
		return off;
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	if (end <= start)
		return off;
	return put_user_bytes(s, off, r, PIECE_STR1, (const void *)start, end - start, MAX_ARGV);
}

static __always_inline __u32 first_str_arg(__u32 cfg)
{
	for (int i = 0; i < 6; i++)
		if (cfg & CFG_STR(i))
			return i;
	return 0;
}

/*
 * BTF-typed tracepoints: `regs` is a trusted kernel pointer, read with plain loads
 * (CO-RE-relocated) instead of one probe-read helper call per register.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	/* Untraced syscalls leave after one array lookup. */
	__u64 id = regs->orig_ax;
	__u32 cfg = config_of(id);
	if (!(cfg & CFG_SEND))
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((pid_tgid >> 32) == self_tgid)
		return 0;
	struct scratch *s = scratch();
	if (!s)
		return 0;
	struct record *r = (struct record *)s->buf;
	/*
	 * The argument registers still hold the syscall's arguments at its exit (a
	 * successful exec has reset them: its filename and argv come from the new image).
	 */
	r->args[0] = regs->di;
	r->args[1] = regs->si;
	r->args[2] = regs->dx;
	r->args[3] = regs->r10;
	r->args[4] = regs->r8;
	r->args[5] = regs->r9;
	/* A clone child returns 0 from the same syscall. */
	__u16 kind = (cfg & CFG_CLONE) && ret == 0 ? KIND_CHILD : KIND_SYSCALL;
	fill_task(r, cfg & (CFG_EXEC | CFG_CLONE));
	r->ret = ret;
	r->id = id;
	r->kind = kind;
	__u32 off = sizeof(struct record);

	if (cfg & CFG_CLONE_ARGS) {
		__u64 flags = 0;
		bpf_probe_read_user(&flags, sizeof(flags), (const void *)r->args[0]);
		r->args[0] = flags;
	}
	if (cfg & CFG_EXEC) {
		if (ret == 0) {
			/*
			 * The kernel copies the filename to the top of the new stack, right
			 * after the environment strings (`AT_EXECFN`).
			 */
			struct task_struct *task = (struct task_struct *)bpf_get_current_task();
			unsigned long env_end = BPF_CORE_READ(task, mm, env_end);
			off = put_user_str(s, off, r, PIECE_STR0, (const void *)env_end);
			off = put_argv(s, off, r);
		} else {
			__u32 i = first_str_arg(cfg);
			if (i < 6)
				off = put_user_str(s, off, r, PIECE_STR0, (const void *)r->args[i]);
		}
	} else if (cfg & CFG_STR_MASK) {
		int piece = 0;
		for (int i = 0; i < 6; i++) {
			if (!(cfg & CFG_STR(i)) || piece > 1)
				continue;
			off = put_user_str(s, off, r, piece, (const void *)r->args[i]);
			piece++;
		}
	}
	if (cfg & CFG_SOCKADDR)
		off = put_user_bytes(s, off, r, PIECE_BLOB, (const void *)r->args[1], r->args[2],
				     MAX_SOCKADDR);
	else if (cfg & CFG_OPEN_HOW)
		off = put_user_bytes(s, off, r, PIECE_BLOB, (const void *)r->args[2], 24, 32);
	else if ((cfg & CFG_FDPAIR_ARG0) && ret == 0)
		off = put_user_bytes(s, off, r, PIECE_BLOB, (const void *)r->args[0], 8, 16);
	else if ((cfg & CFG_FDPAIR_ARG3) && ret == 0)
		off = put_user_bytes(s, off, r, PIECE_BLOB, (const void *)r->args[3], 8, 16);
	if (cfg & CFG_TUPLE_ARG0)
		off = put_tuple(s, off, r, (__s64)r->args[0]);
	else if ((cfg & CFG_TUPLE_RET) && ret >= 0)
		off = put_tuple(s, off, r, ret);
	send(s, off);
	return 0;
}

SEC("raw_tracepoint/sched_process_exit")
int sched_process_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((pid_tgid >> 32) == self_tgid)
		return 0;
	struct scratch *s = scratch();
	if (!s)
		return 0;
	struct record *r = (struct record *)s->buf;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	fill_task(r, true);
	r->ret = 0;
	r->args[0] = BPF_CORE_READ(task, exit_code);
	for (int i = 1; i < 6; i++)
		r->args[i] = 0;
	r->id = 0;
	r->kind = KIND_PROCEXIT;
	send(s, sizeof(struct record));
	return 0;
}
