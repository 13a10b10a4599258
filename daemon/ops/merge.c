/*
 * Merging the workers' pages (merge.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "ops/merge.h"

/* Metric families that are the group's, not a sum of workers'. */
static const char *const merge_same_metrics[] = {
	"mioproxy_build_info", "mioproxy_server_up", "mioproxy_server_state",
	"process_max_fds", "process_start_time_seconds", NULL
};

/* JSON keys (the last of the path) that are the group's. */
static const char *const merge_same_keys[] = {
	"pid", "started", "up", "max_fds", "start_time_seconds", NULL
};

static int
merge_in(const char *const *list, const char *s, size_t len)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == len && memcmp(*list, s, len) == 0)
			return 1;
	return 0;
}

/* A figure: integers stay exact; anything else (seconds) is a double. */
struct merge_num {
	uint64_t	 u;
	double		 d;
	int		 real;
};

static void
merge_num_parse(struct merge_num *v, const char *s, size_t len)
{
	char text[64];

	if (len >= sizeof(text))
		len = sizeof(text) - 1;
	memcpy(text, s, len);
	text[len] = '\0';
	v->real = strspn(text, "0123456789") != len;
	v->u = v->real ? 0 : strtoull(text, NULL, 10);
	v->d = strtod(text, NULL);
}

static void
merge_num_add(struct merge_num *a, const struct merge_num *b)
{
	a->u += b->u;
	a->d += b->d;
	a->real |= b->real;
}

static void
merge_num_put(struct buf *out, const struct merge_num *v)
{
	if (v->real)
		buf_printf(out, "%.12g", v->d);
	else
		buf_u64(out, v->u);
}

static const struct merge_set *
merge_find_set(const struct merge_set *set, size_t nset, const char *key,
    size_t len)
{
	size_t i;

	for (i = 0; i < nset; i++)
		if (strlen(set[i].key) == len &&
		    memcmp(set[i].key, key, len) == 0)
			return &set[i];
	return NULL;
}

/* --- Prometheus ------------------------------------------------------ */

struct merge_sample {
	const char	*key;		/* into page 0 */
	size_t		 keylen;
	struct merge_num v;
	int		 same;
};

/* The next line of pg from *at: its start and length (no newline). */
static int
merge_line(const struct merge_page *pg, size_t *at, const char **s,
    size_t *len)
{
	const char *nl;

	if (*at >= pg->len)
		return 0;
	*s = pg->p + *at;
	nl = memchr(*s, '\n', pg->len - *at);
	*len = nl != NULL ? (size_t)(nl - *s) : pg->len - *at;
	*at += *len + 1;
	return 1;
}

/* A sample line's key and value; 0 for a comment or an empty line. */
static int
merge_sample_split(const char *s, size_t len, size_t *keylen,
    const char **val, size_t *vallen)
{
	size_t i;

	if (len == 0 || s[0] == '#')
		return 0;
	for (i = len; i > 0 && s[i - 1] != ' '; i--)
		;
	if (i == 0)
		return 0;
	*keylen = i - 1;
	*val = s + i;
	*vallen = len - i;
	return 1;
}

static size_t
merge_name_len(const char *key, size_t len)
{
	const char *b = memchr(key, '{', len);

	return b != NULL ? (size_t)(b - key) : len;
}

/*
 * The other pages' samples added to page 0's (v[0..nv)), found through
 * an open-addressed index of their keys: 0, or -1 out of memory.
 */
static int
merge_add_pages(struct merge_sample *v, size_t nv,
    const struct merge_page *pages, unsigned n)
{
	size_t *slot, nslot = 2 * nv + 1, at, len, kl, vl, i, h;
	struct merge_num num;
	const char *s, *val;
	unsigned pg;

	if ((slot = malloc(nslot * sizeof(*slot))) == NULL)
		return -1;
	for (i = 0; i < nslot; i++)
		slot[i] = SIZE_MAX;
	for (i = 0; i < nv; i++) {
		h = (size_t)(fnv1a(FNV_OFFSET, v[i].key, v[i].keylen) % nslot);
		while (slot[h] != SIZE_MAX)
			h = (h + 1) % nslot;
		slot[h] = i;
	}
	for (pg = 1; pg < n; pg++)
		for (at = 0; merge_line(&pages[pg], &at, &s, &len);) {
			if (!merge_sample_split(s, len, &kl, &val, &vl))
				continue;
			h = (size_t)(fnv1a(FNV_OFFSET, s, kl) % nslot);
			for (; slot[h] != SIZE_MAX; h = (h + 1) % nslot) {
				struct merge_sample *m = &v[slot[h]];

				if (m->keylen == kl &&
				    memcmp(m->key, s, kl) == 0) {
					merge_num_parse(&num, val, vl);
					if (!m->same)
						merge_num_add(&m->v, &num);
					break;
				}
			}
		}
	free(slot);
	return 0;
}

void
merge_metrics(struct buf *out, const struct merge_page *pages, unsigned n,
    const struct merge_set *set, size_t nset)
{
	struct merge_sample *v = NULL, *nvv;
	size_t nv = 0, cap = 0, at, len, kl, vl, i;
	const struct merge_set *ms;
	const char *s, *val;

	if (n == 0)
		return;
	/* Page 0's samples, in order. */
	for (at = 0; merge_line(&pages[0], &at, &s, &len);) {
		if (!merge_sample_split(s, len, &kl, &val, &vl))
			continue;
		if (nv == cap) {
			cap = cap ? cap * 2 : 256;
			if ((nvv = realloc(v, cap * sizeof(*v))) == NULL)
				goto plain;
			v = nvv;
		}
		v[nv].key = s;
		v[nv].keylen = kl;
		merge_num_parse(&v[nv].v, val, vl);
		v[nv].same = merge_in(merge_same_metrics, s,
		    merge_name_len(s, kl));
		nv++;
	}
	if (merge_add_pages(v, nv, pages, n) != 0)
		goto plain;
	/* Page 0 again, with the sums. */
	for (at = 0, i = 0; merge_line(&pages[0], &at, &s, &len);) {
		if (!merge_sample_split(s, len, &kl, &val, &vl)) {
			buf_add(out, s, len);
			buf_str(out, "\n");
			continue;
		}
		buf_add(out, s, kl + 1);
		if ((ms = merge_find_set(set, nset, s, kl)) != NULL)
			buf_u64(out, ms->value);
		else
			merge_num_put(out, &v[i].v);
		buf_str(out, "\n");
		i++;
	}
	free(v);
	return;
plain:
	free(v);
	buf_add(out, pages[0].p, pages[0].len);
}

/* --- JSON ------------------------------------------------------------ */

enum { MJ_END, MJ_STR, MJ_NUM, MJ_PUNCT, MJ_WORD };

struct mj {
	const char	*p, *end;
	const char	*tok;
	size_t		 len;
};

static int
mj_next(struct mj *j)
{
	const char *q;

	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n'))
		j->p++;
	j->tok = j->p;
	if (j->p >= j->end) {
		j->len = 0;
		return MJ_END;
	}
	q = j->p;
	if (*q == '"') {
		for (q++; q < j->end && *q != '"'; q++)
			if (*q == '\\' && q + 1 < j->end)
				q++;
		q = q < j->end ? q + 1 : q;
		j->len = (size_t)(q - j->p);
		j->p = q;
		return MJ_STR;
	}
	if (*q == '-' || (*q >= '0' && *q <= '9')) {
		while (q < j->end && strchr("-+.eE0123456789", *q) != NULL)
			q++;
		j->len = (size_t)(q - j->p);
		j->p = q;
		return MJ_NUM;
	}
	if (strchr("{}[]:,", *q) != NULL) {
		j->len = 1;
		j->p = q + 1;
		return MJ_PUNCT;
	}
	while (q < j->end && strchr("{}[]:, \n\"", *q) == NULL)
		q++;
	j->len = (size_t)(q - j->p);
	j->p = q;
	return MJ_WORD;
}

#define MJ_DEPTH	16

/* Tries the lockstep merge: 0, or -1 when the shapes differ. */
static int
merge_json_try(struct buf *out, const struct merge_page *pages, unsigned n,
    const struct merge_set *set, size_t nset, struct mj *js)
{
	const char *keys[MJ_DEPTH] = { 0 };
	size_t keylen[MJ_DEPTH] = { 0 }, depth = 0;
	const char *last = NULL;
	size_t lastlen = 0;
	struct merge_num sum, num;
	char path[256];
	unsigned pg;
	int t, tk;

	for (pg = 0; pg < n; pg++) {
		js[pg].p = pages[pg].p;
		js[pg].end = pages[pg].p + pages[pg].len;
	}
	for (;;) {
		t = mj_next(&js[0]);
		for (pg = 1; pg < n; pg++)
			if ((tk = mj_next(&js[pg])) != t ||
			    (t == MJ_PUNCT && *js[pg].tok != *js[0].tok))
				return -1;
		if (t == MJ_END)
			return 0;
		if (t == MJ_STR) {
			last = js[0].tok + 1;
			lastlen = js[0].len >= 2 ? js[0].len - 2 : 0;
		} else if (t == MJ_PUNCT && *js[0].tok == ':' &&
		    depth > 0 && depth <= MJ_DEPTH) {
			keys[depth - 1] = last;
			keylen[depth - 1] = lastlen;
		} else if (t == MJ_PUNCT && (*js[0].tok == '{' ||
		    *js[0].tok == '[')) {
			depth++;
			if (depth <= MJ_DEPTH)
				keys[depth - 1] = NULL;
		} else if (t == MJ_PUNCT && (*js[0].tok == '}' ||
		    *js[0].tok == ']') && depth > 0) {
			depth--;
		}
		if (t != MJ_NUM) {
			buf_add(out, js[0].tok, js[0].len);
			continue;
		}
		/* A number: its key path ("reloads.ok") decides. */
		path[0] = '\0';
		if (depth >= 2 && depth <= MJ_DEPTH && keys[depth - 2] != NULL)
			snprintf(path, sizeof(path), "%.*s.",
			    (int)keylen[depth - 2], keys[depth - 2]);
		if (depth >= 1 && depth <= MJ_DEPTH && keys[depth - 1] != NULL)
			snprintf(path + strlen(path), sizeof(path) -
			    strlen(path), "%.*s", (int)keylen[depth - 1],
			    keys[depth - 1]);
		const struct merge_set *ms = merge_find_set(set, nset, path,
		    strlen(path));
		const char *leaf = depth >= 1 && depth <= MJ_DEPTH ?
		    keys[depth - 1] : NULL;

		if (ms != NULL) {
			buf_u64(out, ms->value);
			continue;
		}
		merge_num_parse(&sum, js[0].tok, js[0].len);
		if (leaf == NULL || !merge_in(merge_same_keys, leaf,
		    keylen[depth - 1]))
			for (pg = 1; pg < n; pg++) {
				merge_num_parse(&num, js[pg].tok, js[pg].len);
				merge_num_add(&sum, &num);
			}
		merge_num_put(out, &sum);
	}
}

void
merge_json(struct buf *out, const struct merge_page *pages, unsigned n,
    const struct merge_set *set, size_t nset)
{
	struct mj *js;
	size_t start = out->len;

	if (n == 0)
		return;
	if ((js = calloc(n, sizeof(*js))) != NULL &&
	    merge_json_try(out, pages, n, set, nset, js) == 0) {
		free(js);
		return;
	}
	/* Page 0 alone, with what the supervisor knows better. */
	out->len = start;
	if (js != NULL && n > 1)
		(void)merge_json_try(out, pages, 1, set, nset, js);
	else
		buf_add(out, pages[0].p, pages[0].len);
	free(js);
}
