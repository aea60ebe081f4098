/* libFuzzer harness for cai-auditd's ring reader (src/collectd/ring.c):
 * the ring is memory an audited process writes, so any bytes at all may
 * be there. Input: head (8 bytes, little endian), tail (8 bytes), then the
 * start of the data area (the rest is zero). Invariants (abort on
 * violation), besides ASan/UBSan finding no access outside the mapping:
 *   - every event handed up is 1..CAI_RING_RECORD_MAX bytes;
 *   - the read position never passes head, nor gets more than a ring
 *     ahead of what was released;
 *   - a release moves tail to the read position and never writes to the
 *     data area (the collector writes only the control page). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/collectd/ring.h"
#include "fuzz_check.h"

#define SIZE CAI_RING_DATA_MIN

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_event(void *ctx, const char *buf, size_t len)
{
	(*(unsigned long *)ctx)++;
	check(len >= 1 && len <= CAI_RING_RECORD_MAX);
	volatile char first = buf[0], last = buf[len - 1]; /* ASan checks the copy's bounds */
	(void)first;
	(void)last;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 16)
		return 0;
	uint64_t head, tail;
	memcpy(&head, data, 8);
	memcpy(&tail, data + 8, 8);
	data += 16;
	size -= 16;
	/* Exactly the mapping's size, so ASan sees any step outside it. */
	char *map = calloc(1, CAI_RING_CTL_SIZE + SIZE);
	struct cai_ring_ctl *c = (struct cai_ring_ctl *)map;
	c->data_size = SIZE;
	atomic_store(&c->head, head);
	atomic_store(&c->tail, tail);
	memcpy(map + CAI_RING_CTL_SIZE, data, size < SIZE ? size : SIZE);
	static char before[SIZE];
	memcpy(before, map + CAI_RING_CTL_SIZE, SIZE);

	struct ring_reader r = {.ctl = c,
				.data = map + CAI_RING_CTL_SIZE,
				.size = SIZE,
				.map_len = CAI_RING_CTL_SIZE + SIZE,
				.rd = tail,
				.released = tail,
				.stuck_pos = UINT64_MAX};
	unsigned long events = 0;
	struct cai_error err = {0};
	for (long long now = 0; now <= 10000; now += 5000) {
		int n = ring_read(&r, -1, now, 5000, on_event, &events, &err);
		check(n >= -1);
		if (n < 0)
			break;
		check(r.rd - tail <= head - tail);
		check(r.rd - r.released <= SIZE);
		uint64_t to = r.rd;
		ring_release(&r);
		check(atomic_load(&c->tail) == to && r.released == to);
		check(memcmp(map + CAI_RING_CTL_SIZE, before, SIZE) == 0);
	}
	check(atomic_load(&c->consumed) <= events);
	free(map);
	return 0;
}
