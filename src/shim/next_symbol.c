/* dlsym(RTLD_NEXT, name) without libdl, and this library's own path
 * without dladdr.
 *
 * glibc before 2.34 has dlsym and dladdr in libdl.so.2 only. Needing that
 * library cost every exec of every audited program its loading (five page
 * faults, an mprotect and six system calls), more than the rest of the
 * shim's own load. The glibc shim instead finds each real function as the
 * dynamic loader does, in the symbol tables of the objects loaded after
 * it: dl_iterate_phdr (libc.so.6 since glibc 2.2.4, and musl) lists them
 * in load order, which for a preloaded library is the order of its
 * look-up scope. The answer is the first definition of the name at its
 * default version, which is what dlsym's unversioned look-up returns
 * (a hidden, older version such as nftw@GLIBC_2.2.5 is never taken).
 *
 * The tables read are the program's own libraries, mapped by the loader,
 * not input from anyone: they are trusted, but every index is still kept
 * within the counts the tables give, so that a damaged one ends the
 * search instead of a loop. */
#include "shim.h"

#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>

struct object_tables {
	const ElfW(Sym) * symtab;
	const char *strtab;
	const uint32_t *gnu_hash;
	const uint32_t *sysv_hash;
	const ElfW(Half) * versym;
};

/* One pass over the loaded objects answers every name of a list: a pass
 * per name cost an exec of /bin/true some 80,000 instructions. */
struct search {
	size_t n; /* names; 0: only this library's path is wanted */
	const char *name[CAI_NEXT_MAX];
	uint32_t gnu[CAI_NEXT_MAX];
	void **found; /* n answers, NULL until found */
	size_t left;
	uintptr_t self; /* an address inside this library */
	bool past_self;
	const char *self_name;
};

static uint32_t gnu_hash_of(const char *s)
{
	uint32_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static uint32_t sysv_hash_of(const char *s)
{
	uint32_t h = 0;
	for (; *s; s++) {
		h = (h << 4) + (unsigned char)*s;
		uint32_t g = h & 0xf0000000u;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

/* glibc relocates most objects' dynamic entries in place, musl and the
 * vDSO leave them as offsets: an offset is below the load address. */
static const void *table_at(const struct dl_phdr_info *info, ElfW(Addr) v)
{
	return (const void *)(v < info->dlpi_addr ? info->dlpi_addr + v : v);
}

static bool tables_of(const struct dl_phdr_info *info, const ElfW(Dyn) * dyn, struct object_tables *t)
{
	memset(t, 0, sizeof(*t));
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			t->symtab = table_at(info, dyn->d_un.d_ptr);
			break;
		case DT_STRTAB:
			t->strtab = table_at(info, dyn->d_un.d_ptr);
			break;
		case DT_GNU_HASH:
			t->gnu_hash = table_at(info, dyn->d_un.d_ptr);
			break;
		case DT_HASH:
			t->sysv_hash = table_at(info, dyn->d_un.d_ptr);
			break;
		case DT_VERSYM:
			t->versym = table_at(info, dyn->d_un.d_ptr);
			break;
		default:
			break;
		}
	}
	return t->symtab && t->strtab && (t->gnu_hash || t->sysv_hash);
}

/* A function this object defines under that name, at its default version
 * (or unversioned): what another object's reference would bind to. */
static bool defines(const struct object_tables *t, uint32_t i, const char *name)
{
	const ElfW(Sym) *s = &t->symtab[i];
	unsigned type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);
	if (s->st_shndx == SHN_UNDEF || s->st_value == 0)
		return false;
	if (type != STT_FUNC && type != STT_GNU_IFUNC)
		return false;
	if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
		return false;
	/* 0 is a local symbol; the top bit marks a hidden, non-default version. */
	if (t->versym && ((t->versym[i] & 0x8000) || (t->versym[i] & 0x7fff) == 0))
		return false;
	return strcmp(t->strtab + s->st_name, name) == 0;
}

static const ElfW(Sym) * gnu_lookup(const struct object_tables *t, const char *name, uint32_t h)
{
	const uint32_t *g = t->gnu_hash;
	uint32_t nbuckets = g[0], symoffset = g[1], bloom_words = g[2], bloom_shift = g[3];
	if (nbuckets == 0 || bloom_words == 0)
		return NULL;
	const ElfW(Addr) *bloom = (const ElfW(Addr) *)(const void *)(g + 4);
	const uint32_t *buckets = (const uint32_t *)(const void *)(bloom + bloom_words);
	const uint32_t *chain = buckets + nbuckets;
	enum { BITS = sizeof(ElfW(Addr)) * 8 };
	ElfW(Addr) mask = ((ElfW(Addr))1 << (h % BITS)) | ((ElfW(Addr))1 << ((h >> bloom_shift) % BITS));
	if ((bloom[(h / BITS) % bloom_words] & mask) != mask)
		return NULL;
	uint32_t i = buckets[h % nbuckets];
	if (i < symoffset)
		return NULL;
	/* A chain ends at the entry with its low bit set; no library has
	 * a chain anywhere near this long. */
	for (uint32_t steps = 0; steps < 1u << 20; steps++, i++) {
		uint32_t h2 = chain[i - symoffset];
		if ((h | 1) == (h2 | 1) && defines(t, i, name))
			return &t->symtab[i];
		if (h2 & 1)
			break;
	}
	return NULL;
}

/* Only for an object without a GNU hash table (rare): its hash is made here. */
static const ElfW(Sym) * sysv_lookup(const struct object_tables *t, const char *name)
{
	uint32_t h = sysv_hash_of(name);
	const uint32_t *hs = t->sysv_hash;
	uint32_t nbucket = hs[0], nchain = hs[1];
	if (nbucket == 0)
		return NULL;
	const uint32_t *bucket = hs + 2, *chain = bucket + nbucket;
	uint32_t steps = 0;
	for (uint32_t i = bucket[h % nbucket]; i != STN_UNDEF && i < nchain && steps < nchain; i = chain[i], steps++)
		if (defines(t, i, name))
			return &t->symtab[i];
	return NULL;
}

static void *address_of(const struct dl_phdr_info *info, const ElfW(Sym) * sym)
{
	uintptr_t addr = info->dlpi_addr + sym->st_value;
	if (ELF64_ST_TYPE(sym->st_info) == STT_GNU_IFUNC) {
		/* The resolver picks the implementation; aarch64's takes the
		 * hardware capabilities, x86_64's ignores its arguments. */
		uintptr_t (*resolver)(unsigned long) = (uintptr_t(*)(unsigned long))addr;
		addr = resolver(getauxval(AT_HWCAP));
	}
	return (void *)addr;
}

static int visit(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct search *s = data;
	const ElfW(Dyn) *dyn = NULL;
	bool holds_self = false;
	for (ElfW(Half) k = 0; k < info->dlpi_phnum; k++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
		else if (ph->p_type == PT_LOAD && s->self - (info->dlpi_addr + ph->p_vaddr) < ph->p_memsz)
			holds_self = true;
	}
	if (holds_self) {
		s->past_self = true;
		s->self_name = info->dlpi_name;
		return s->n ? 0 : 1;
	}
	if (!s->past_self || !dyn || !s->n)
		return 0;
	struct object_tables t;
	if (!tables_of(info, dyn, &t))
		return 0;
	/* The first object (in load order) that defines a name answers it. */
	for (size_t i = 0; i < s->n; i++) {
		if (s->found[i])
			continue;
		const ElfW(Sym) *sym = t.gnu_hash ? gnu_lookup(&t, s->name[i], s->gnu[i]) : sysv_lookup(&t, s->name[i]);
		void *at = sym ? address_of(info, sym) : NULL;
		if (at) {
			s->found[i] = at;
			s->left--;
		}
	}
	return s->left == 0;
}

size_t cai_next_symbols(const char *names, void **found, size_t max)
{
	struct search s = {.found = found, .self = (uintptr_t)&cai_next_symbols};
	/* The count is checked before the next name is looked at: a single
	 * name (cai_next_symbol) has nothing readable after its NUL. */
	for (const char *p = names; s.n < max && s.n < CAI_NEXT_MAX && *p; p += strlen(p) + 1, s.n++) {
		s.name[s.n] = p;
		s.gnu[s.n] = gnu_hash_of(p);
		found[s.n] = NULL;
	}
	s.left = s.n;
	if (s.n)
		dl_iterate_phdr(visit, &s);
	return s.n;
}

void *cai_next_symbol(const char *name)
{
	void *found = NULL;
	/* The empty name would end the list: it names nothing anyway. */
	if (*name)
		cai_next_symbols(name, &found, 1);
	return found;
}

bool cai_self_path(char *out, size_t cap)
{
	struct search s = {.self = (uintptr_t)&cai_self_path};
	dl_iterate_phdr(visit, &s);
	if (!s.self_name || s.self_name[0] != '/' || strlen(s.self_name) >= cap)
		return false;
	memcpy(out, s.self_name, strlen(s.self_name) + 1);
	return true;
}
