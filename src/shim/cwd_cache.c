/* The process's cwd, read once per generation (ident.c bumps it after a
 * chdir) and shared by all threads. In a file of its own so that its 2 KiB
 * come after the slots' pool in the shim's zeroed data (see SHIM_SRCS in
 * the Makefile): an exec's event in a fork child writes no cache.
 *
 * seq is odd while a writer (whoever wins the compare-and-swap) fills it;
 * a reader copies the text out and keeps the copy only if seq did not
 * move meanwhile. A writer that never finishes (its signal handler
 * longjmp'd away) leaves seq odd: every event then reads the cwd itself,
 * slower but never wrong. */
#include "shim.h"

static struct {
	_Atomic unsigned seq;
	_Atomic unsigned long gen; /* 0: none yet */
	bool ok;
	char text[CAI_LIM_PATH + 1];
} cwd_cache;

/* The cached cwd of generation g copied into out; false on a miss. */
bool cai_cwd_from_cache(unsigned long g, char *out, bool *ok)
{
	unsigned s = atomic_load_explicit(&cwd_cache.seq, memory_order_acquire);
	if ((s & 1) || atomic_load_explicit(&cwd_cache.gen, memory_order_relaxed) != g)
		return false;
	*ok = cwd_cache.ok;
	size_t n = cai_strnlen(cwd_cache.text, CAI_LIM_PATH);
	cai_memcpy(out, cwd_cache.text, n);
	out[n] = '\0';
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&cwd_cache.seq, memory_order_relaxed) == s;
}

void cai_cwd_to_cache(unsigned long g, const char *cwd, bool ok)
{
	unsigned s = atomic_load(&cwd_cache.seq);
	if ((s & 1) || !atomic_compare_exchange_strong(&cwd_cache.seq, &s, s + 1))
		return; /* another writer is at it */
	atomic_store_explicit(&cwd_cache.gen, 0, memory_order_relaxed);
	size_t n = ok ? cai_strnlen(cwd, CAI_LIM_PATH) : 0;
	cai_memcpy(cwd_cache.text, cwd, n);
	cwd_cache.text[n] = '\0';
	cwd_cache.ok = ok;
	atomic_store_explicit(&cwd_cache.gen, g, memory_order_relaxed);
	atomic_store_explicit(&cwd_cache.seq, s + 2, memory_order_release);
}
