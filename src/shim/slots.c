/* Working memory for events: the record being built and the comm and cwd
 * read for it, taken per event from a pool instead of static TLS or the
 * stack. Static TLS is carved out of every thread's stack (a shim with
 * 22 KiB of it made pthread_create fail for 16 and 24 KiB stacks), and a
 * hook may run on a small stack (a thread's, a sigaltstack's): the
 * program's memory is the program's.
 *
 * MUST stay lock-free and async-signal-safe: a slot is taken by a
 * compare-and-swap on its busy word, and the pool grows by mmap, which is a
 * system call, never by malloc. Slots are never unmapped: a thread in a
 * signal handler may hold one. The pool is as large as the most events
 * ever in flight at once (threads times two, for a handler nested in a
 * hook), and its pages are touched only when used. */
#include "shim.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STATIC_SLOTS 4
#define CHUNK_SLOTS 16

/* The busy words sit together, apart from the slots: the fork child's
 * handler reads them all, and a read of a slot's page that was never
 * touched would fault it in (see CAI_SET). */
struct chunk {
	struct chunk *next;
	_Atomic int busy[CHUNK_SLOTS];
	struct cai_slot slot[CHUNK_SLOTS];
};

/* The static pool: its busy words, then its slots, in this order (a
 * struct keeps it): with the shim's small state just before it (see
 * SHIM_SRCS in the Makefile), a fork child's exec event writes to two
 * pages of ours, not four. */
static struct {
	_Atomic(struct chunk *) chunks;
	_Atomic int busy[STATIC_SLOTS];
	struct cai_slot slot[STATIC_SLOTS];
} pool;
#define base_busy pool.busy
#define base pool.slot
#define chunks pool.chunks
/* Held by this thread (an event and one nested in a signal handler). */
static CAI_TLS _Atomic int *t_held[2];

static bool try_take(_Atomic int *busy)
{
	int expected = 0;
	return atomic_load_explicit(busy, memory_order_relaxed) == 0 &&
	       atomic_compare_exchange_strong(busy, &expected, 1);
}

static struct cai_slot *take_any(_Atomic int **busy)
{
	for (int i = 0; i < STATIC_SLOTS; i++)
		if (try_take(*busy = &base_busy[i]))
			return &base[i];
	for (struct chunk *c = atomic_load(&chunks); c; c = c->next)
		for (int i = 0; i < CHUNK_SLOTS; i++)
			if (try_take(*busy = &c->busy[i]))
				return &c->slot[i];
	struct chunk *c = (struct chunk *)cai_syscall(SYS_mmap, NULL, sizeof(struct chunk), PROT_READ | PROT_WRITE,
						      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		return NULL;
	c->busy[0] = 1;
	*busy = &c->busy[0];
	struct chunk *head = atomic_load(&chunks);
	do
		c->next = head;
	while (!atomic_compare_exchange_weak(&chunks, &head, c));
	return &c->slot[0];
}

struct cai_slot *cai_slot_take(int depth)
{
	_Atomic int *busy = NULL;
	struct cai_slot *s = take_any(&busy);
	t_held[depth] = s ? busy : NULL;
	return s;
}

void cai_slot_put(int depth)
{
	_Atomic int *busy = t_held[depth];
	t_held[depth] = NULL;
	if (busy)
		atomic_store_explicit(busy, 0, memory_order_release);
}

static void free_unheld(_Atomic int *busy)
{
	if (busy != t_held[0] && busy != t_held[1])
		CAI_SET(*busy, 0);
}

void cai_slots_atfork_child(void)
{
	/* Only this thread came over: the slots other threads held are free. */
	for (int i = 0; i < STATIC_SLOTS; i++)
		free_unheld(&base_busy[i]);
	for (struct chunk *c = atomic_load(&chunks); c; c = c->next)
		for (int i = 0; i < CHUNK_SLOTS; i++)
			free_unheld(&c->busy[i]);
}
