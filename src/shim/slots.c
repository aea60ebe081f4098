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

struct chunk {
	struct chunk *next;
	struct cai_slot slot[CHUNK_SLOTS];
};

static struct cai_slot base[STATIC_SLOTS];
static _Atomic(struct chunk *) chunks;
/* Held by this thread (an event and one nested in a signal handler). */
static CAI_TLS struct cai_slot *t_held[2];

static bool try_take(struct cai_slot *s)
{
	int expected = 0;
	return atomic_load_explicit(&s->busy, memory_order_relaxed) == 0 &&
	       atomic_compare_exchange_strong(&s->busy, &expected, 1);
}

static struct cai_slot *take_any(void)
{
	for (int i = 0; i < STATIC_SLOTS; i++)
		if (try_take(&base[i]))
			return &base[i];
	for (struct chunk *c = atomic_load(&chunks); c; c = c->next)
		for (int i = 0; i < CHUNK_SLOTS; i++)
			if (try_take(&c->slot[i]))
				return &c->slot[i];
	struct chunk *c = (struct chunk *)syscall(SYS_mmap, NULL, sizeof(struct chunk), PROT_READ | PROT_WRITE,
						  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		return NULL;
	c->slot[0].busy = 1;
	struct chunk *head = atomic_load(&chunks);
	do
		c->next = head;
	while (!atomic_compare_exchange_weak(&chunks, &head, c));
	return &c->slot[0];
}

struct cai_slot *cai_slot_take(int depth)
{
	struct cai_slot *s = take_any();
	t_held[depth] = s;
	return s;
}

void cai_slot_put(int depth)
{
	struct cai_slot *s = t_held[depth];
	t_held[depth] = NULL;
	if (s)
		atomic_store_explicit(&s->busy, 0, memory_order_release);
}

void cai_slots_atfork_child(void)
{
	/* Only this thread came over: the slots other threads held are free. */
	for (int i = 0; i < STATIC_SLOTS; i++)
		if (&base[i] != t_held[0] && &base[i] != t_held[1])
			atomic_store(&base[i].busy, 0);
	for (struct chunk *c = atomic_load(&chunks); c; c = c->next)
		for (int i = 0; i < CHUNK_SLOTS; i++)
			if (&c->slot[i] != t_held[0] && &c->slot[i] != t_held[1])
				atomic_store(&c->slot[i].busy, 0);
}
