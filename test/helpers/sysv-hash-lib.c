/* A library linked with only the old ELF hash table (DT_HASH, no
 * DT_GNU_HASH), for test_next_symbol. Not installed. */
int cai_sysv_hash_probe(void);
int cai_sysv_hash_probe(void)
{
	return 4242;
}
