/*
 * Group commit: the callers' own threads take turns running the queue as
 * batches.  See include/core/db_group.h.
 *
 * Every caller waits on its own condition variable (on its stack), so a
 * finished batch wakes exactly the threads whose statements it carried,
 * plus the first queued one when another batch may start.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db_group.h"
#include "log.h"

enum item_state {
	ITEM_QUEUED,
	ITEM_TAKEN, /* in a batch being run */
	ITEM_DONE,
};

struct item {
	struct db_batch_item b;
	const char *key;
	unsigned long seq; /* arrival order, for ties on key */
	enum item_state state;
	pthread_cond_t cv;
	struct item *next;
};

static struct {
	pthread_mutex_t mu;
	struct item *head, *tail;
	int running; /* batches in flight */
	int max; /* at most this many */
	unsigned long seq;
	struct db_group_stats stats;
} g = { .mu = PTHREAD_MUTEX_INITIALIZER, .max = 1 };

void
db_group_init(int batches)
{
	pthread_mutex_lock(&g.mu);
	g.max = batches > 0 ? batches : 1;
	pthread_mutex_unlock(&g.mu);
}

void
db_group_shutdown(void)
{
	pthread_mutex_lock(&g.mu);
	memset(&g.stats, 0, sizeof(g.stats));
	g.head = g.tail = NULL;
	pthread_mutex_unlock(&g.mu);
}

/* Key order, NULL first; ties keep arrival order. */
static int
before(const struct item *a, const struct item *b)
{
	int k;

	if (a->key == NULL || b->key == NULL)
		k = (a->key != NULL) - (b->key != NULL);
	else
		k = strcmp(a->key, b->key);
	return k < 0 || (k == 0 && a->seq < b->seq);
}

/* Insertion sort: batches are small. */
static void
sort_batch(struct item **v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct item *x = v[i];
		size_t j = i;

		while (j > 0 && before(x, v[j - 1])) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* Wake the first queued caller when it may start a batch (lock held). */
static void
wake_next(void)
{
	if (g.head != NULL && g.running < g.max)
		pthread_cond_signal(&g.head->cv);
}

/*
 * Take up to DB_GROUP_MAX queued statements and run them as one batch.
 * Called and returns with g.mu held; drops it while the batch runs.
 */
static void
run_batch(void)
{
	struct item *v[DB_GROUP_MAX];
	struct db_batch_item items[DB_GROUP_MAX];
	struct db_conn *c;
	size_t n = 0;

	while (g.head != NULL && n < DB_GROUP_MAX) {
		struct item *it = g.head;

		g.head = it->next;
		it->next = NULL;
		it->state = ITEM_TAKEN;
		g.stats.queued--;
		v[n++] = it;
	}
	if (g.head == NULL)
		g.tail = NULL;
	g.running++;
	wake_next();
	pthread_mutex_unlock(&g.mu);

	sort_batch(v, n);
	for (size_t i = 0; i < n; i++)
		items[i] = v[i]->b;
	c = db_acquire();
	if (c == NULL) {
		for (size_t i = 0; i < n; i++) {
			items[i].result = NULL;
			items[i].res = DB_UNAVAILABLE;
		}
	} else if (n == 1) {
		items[0].result = db_exec(c, items[0].stmt, items[0].nparams,
		    items[0].params, &items[0].res);
	} else {
		db_exec_batch(c, n, items);
	}
	db_release(c);

	pthread_mutex_lock(&g.mu);
	for (size_t i = 0; i < n; i++) {
		v[i]->b.result = items[i].result;
		v[i]->b.res = items[i].res;
		v[i]->state = ITEM_DONE;
		pthread_cond_signal(&v[i]->cv);
	}
	g.running--;
	g.stats.batches++;
	g.stats.statements += n;
	if (n > g.stats.largest)
		g.stats.largest = n;
	wake_next();
}

PGresult *
db_group_exec(const char *key, const char *stmt, int nparams,
    const char *const *params, enum db_result *res)
{
	struct item me;

	memset(&me, 0, sizeof(me));
	me.b.stmt = stmt;
	me.b.nparams = nparams;
	me.b.params = params;
	me.b.res = DB_UNAVAILABLE;
	me.key = key;
	me.state = ITEM_QUEUED;
	pthread_cond_init(&me.cv, NULL);

	pthread_mutex_lock(&g.mu);
	me.seq = g.seq++;
	if (g.tail != NULL)
		g.tail->next = &me;
	else
		g.head = &me;
	g.tail = &me;
	g.stats.queued++;
	while (me.state != ITEM_DONE) {
		if (me.state == ITEM_QUEUED && g.running < g.max)
			run_batch(); /* ours, and whatever queued with it */
		else
			pthread_cond_wait(&me.cv, &g.mu);
	}
	pthread_mutex_unlock(&g.mu);
	pthread_cond_destroy(&me.cv);
	*res = me.b.res;
	return me.b.result;
}

void
db_group_stats(struct db_group_stats *out)
{
	pthread_mutex_lock(&g.mu);
	*out = g.stats;
	pthread_mutex_unlock(&g.mu);
}
