/*
 * tid: thread bookkeeping syscalls the libc calls at start-up:
 * set_tid_address, set_robust_list/get_robust_list, rseq.
 * glibc registers rseq itself at start-up, musl does not; the program takes
 * the path that fits, and only the error paths are common.
 */
#include "check.h"

#define RSEQ_SIG 0x53053053
#define RSEQ_FLAG_UNREGISTER 1

struct rseq_area {
	uint32_t cpu_id_start;
	uint32_t cpu_id;
	uint64_t rseq_cs;
	uint32_t flags;
	uint32_t node_id;
	uint32_t mm_cid;
	char end[];
} __attribute__((aligned(32)));

struct robust_list_head {
	void *next;
	long futex_offset;
	void *pending;
};

/* glibc >= 2.35 exports these; musl does not */
extern const unsigned int __rseq_size __attribute__((weak));
extern const ptrdiff_t __rseq_offset __attribute__((weak));

static struct rseq_area area;
static char misaligned_buf[64] __attribute__((aligned(32)));

int main(void)
{
	long tid = syscall(SYS_gettid);
	int word;
	YESNO("set_tid_address returns tid", syscall(SYS_set_tid_address, &word) == tid);
	YESNO("set_tid_address(NULL) returns tid", syscall(SYS_set_tid_address, NULL) == tid);
	YESNO("set_tid_address(unmapped) returns tid", syscall(SYS_set_tid_address, unmapped_page()) == tid);

	static struct robust_list_head head = {&head, 0, NULL};
	CHECK_RET("set_robust_list", syscall(SYS_set_robust_list, &head, sizeof head));
	CHECK_RET("set_robust_list len 0", syscall(SYS_set_robust_list, &head, 0));
	CHECK_RET("set_robust_list len 23", syscall(SYS_set_robust_list, &head, 23));
	CHECK_RET("set_robust_list len 48", syscall(SYS_set_robust_list, &head, 48));
	CHECK_RET("set_robust_list unmapped head", syscall(SYS_set_robust_list, unmapped_page(), sizeof head));
	CHECK_RET("set_robust_list NULL head", syscall(SYS_set_robust_list, NULL, sizeof head));
	CHECK_RET("set_robust_list again", syscall(SYS_set_robust_list, &head, sizeof head));

	/* rseq error paths: the same errno whether or not the libc registered */
	CHECK_RET("rseq bad flags", syscall(SYS_rseq, &area, sizeof area, 0x80, RSEQ_SIG));
	CHECK_RET("rseq len 0", syscall(SYS_rseq, &area, 0, 0, RSEQ_SIG));
	CHECK_RET("rseq misaligned", syscall(SYS_rseq, misaligned_buf + 8, 32, 0, RSEQ_SIG));
	CHECK_RET("rseq unregister unknown area", syscall(SYS_rseq, &area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG));

	int libc_registered = &__rseq_size != NULL && __rseq_size > 0;
	out("libc registered rseq: %s\n", libc_registered ? "yes" : "no");
	if (libc_registered) {
		struct rseq_area *mine =
			(struct rseq_area *)((char *)__builtin_thread_pointer() + __rseq_offset);
		YESNO("libc rseq cpu_id>=0", (int32_t)mine->cpu_id >= 0);
		YESNO("libc rseq cpu_id_start==cpu_id", mine->cpu_id_start == mine->cpu_id);
		CHECK_RET("register a second area", syscall(SYS_rseq, &area, 32, 0, RSEQ_SIG));
		CHECK_RET("re-register same area, bad sig", syscall(SYS_rseq, mine, __rseq_size < 32 ? 32 : __rseq_size, 0, 0x1234));
	} else {
		area.cpu_id = (uint32_t)-1;
		CHECK_RET("rseq unmapped area", syscall(SYS_rseq, unmapped_page(), 32, 0, RSEQ_SIG));
		CHECK_RET("rseq register", syscall(SYS_rseq, &area, 32, 0, RSEQ_SIG));
		YESNO("rseq cpu_id>=0 after register", (int32_t)area.cpu_id >= 0);
		YESNO("rseq cpu_id_start==cpu_id", area.cpu_id_start == area.cpu_id);
		CHECK_RET("rseq register again", syscall(SYS_rseq, &area, 32, 0, RSEQ_SIG));
		CHECK_RET("rseq register again, other sig", syscall(SYS_rseq, &area, 32, 0, 0x1234));
		CHECK_RET("rseq unregister, other sig", syscall(SYS_rseq, &area, 32, RSEQ_FLAG_UNREGISTER, 0x1234));
		CHECK_RET("rseq unregister", syscall(SYS_rseq, &area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG));
		CHECK_RET("rseq unregister twice", syscall(SYS_rseq, &area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG));
	}
	return 0;
}
