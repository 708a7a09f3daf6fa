/*
 * threads: pthreads as both C libraries use them (clone/clone3, futex, set_tid_address,
 * CLEARTID wake on exit): a mutex under contention, condition variables, a barrier, rwlocks,
 * thread-local storage, join values, timed waits that time out, sleeps.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#define NT 8
#define N 100000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread long tls_value = 5;

static void *incr(void *arg)
{
	for (int i = 0; i < N; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	tls_value += (long)arg;
	return (void *)(tls_value * 100);
}

/* producer/consumer on a ring of 4 slots */
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;
static int ring[4], head, tail, count;
static void *producer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= 1000; i++) {
		pthread_mutex_lock(&mu);
		while (count == 4)
			pthread_cond_wait(&not_full, &mu);
		ring[head] = i;
		head = (head + 1) % 4;
		count++;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}
static void *consumer(void *arg)
{
	long sum = 0;
	(void)arg;
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&mu);
		while (count == 0)
			pthread_cond_wait(&not_empty, &mu);
		sum += ring[tail];
		tail = (tail + 1) % 4;
		count--;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&mu);
	}
	return (void *)sum;
}

static pthread_barrier_t bar;
static int arrived;
static void *at_barrier(void *arg)
{
	__atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
	int r = pthread_barrier_wait(&bar);
	/* everyone has arrived once anyone passes */
	return (void *)(long)((__atomic_load_n(&arrived, __ATOMIC_SEQ_CST) == 4) * 10 + (r == PTHREAD_BARRIER_SERIAL_THREAD));
	(void)arg;
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long shared;
static void *reader(void *arg)
{
	long seen = 0;
	(void)arg;
	for (int i = 0; i < 1000; i++) {
		pthread_rwlock_rdlock(&rw);
		seen = shared;
		pthread_rwlock_unlock(&rw);
	}
	return (void *)(long)(seen >= 0);
}
static void *writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++) {
		pthread_rwlock_wrlock(&rw);
		shared++;
		pthread_rwlock_unlock(&rw);
	}
	return NULL;
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void *spinner(void *arg)
{
	/* busy, never blocks: only preemption lets main run meanwhile */
	volatile int *stop = arg;
	while (!*stop)
		;
	return (void *)7;
}

int main(void)
{
	pthread_t t[NT];
	long sum = 0;
	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, incr, (void *)i);
	for (int i = 0; i < NT; i++) {
		void *r;
		pthread_join(t[i], &r);
		sum += (long)r;
	}
	printf("8 threads x 100000 increments: %ld\n", counter);
	printf("join values (tls 5 + i) * 100 summed: %ld\n", sum);
	printf("main tls untouched: %ld\n", tls_value);

	pthread_t p, c;
	void *r;
	pthread_create(&c, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, &r);
	printf("producer/consumer sum 1..1000: %ld\n", (long)r);

	pthread_barrier_init(&bar, NULL, 4);
	pthread_t b[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&b[i], NULL, at_barrier, NULL);
	long serial = (long)at_barrier(NULL) % 10, all = 1;
	for (int i = 0; i < 3; i++) {
		pthread_join(b[i], &r);
		serial += (long)r % 10;
		all &= (long)r / 10;
	}
	printf("barrier: all arrived before release: %s, one serial thread: %s\n", all ? "yes" : "no", serial == 1 ? "yes" : "no");

	pthread_t rd[3], wr;
	pthread_create(&wr, NULL, writer, NULL);
	for (int i = 0; i < 3; i++)
		pthread_create(&rd[i], NULL, reader, NULL);
	pthread_join(wr, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(rd[i], NULL);
	printf("rwlock writer increments: %ld\n", shared);

	/* timed waits that time out */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 30 * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	long t0 = now_ms();
	pthread_mutex_lock(&mu);
	int rc = pthread_cond_timedwait(&not_empty, &mu, &ts);
	pthread_mutex_unlock(&mu);
	long waited = now_ms() - t0;
	printf("cond_timedwait: %s, waited >= 25 ms: %s\n", rc == ETIMEDOUT ? "ETIMEDOUT" : strerror(rc), waited >= 25 ? "yes" : "no");
	pthread_mutex_lock(&mu);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20 * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	rc = pthread_mutex_trylock(&mu);
	printf("trylock of a held mutex: %s\n", rc == EBUSY ? "EBUSY" : strerror(rc));
	pthread_mutex_unlock(&mu);

	/* futex directly: wait on a value that differs, and a timed wait */
	int word = 1;
	long ret = syscall(SYS_futex, &word, 0 /* FUTEX_WAIT */, 2, NULL, NULL, 0);
	printf("futex wait on a changed value: ret=%ld errno=%s\n", ret, ret < 0 && errno == EAGAIN ? "EAGAIN" : "?");
	struct timespec rel = {0, 10 * 1000000};
	ret = syscall(SYS_futex, &word, 0, 1, &rel, NULL, 0);
	printf("futex wait 10 ms: ret=%ld errno=%s\n", ret, ret < 0 && errno == ETIMEDOUT ? "ETIMEDOUT" : "?");
	ret = syscall(SYS_futex, &word, 1 /* FUTEX_WAKE */, 5, NULL, NULL, 0);
	printf("futex wake with no waiters: %ld\n", ret);
	ret = syscall(SYS_futex, (char *)&word + 1, 0, 1, NULL, NULL, 0);
	printf("futex wait unaligned: ret=%ld errno=%s\n", ret, ret < 0 && errno == EINVAL ? "EINVAL" : "?");

	/* preemption: a spinning thread does not starve main */
	volatile int stop = 0;
	pthread_t holder;
	pthread_create(&holder, NULL, spinner, (void *)&stop);
	struct timespec s = {0, 20 * 1000000};
	t0 = now_ms();
	nanosleep(&s, NULL);
	printf("nanosleep 20 ms next to a spinner: slept >= 20 ms: %s\n", now_ms() - t0 >= 20 ? "yes" : "no");
	stop = 1;
	pthread_join(holder, &r);
	printf("spinner joined: %ld\n", (long)r);
	printf("gettid == getpid in main: %s\n", syscall(SYS_gettid) == getpid() ? "yes" : "no");
	return 0;
}
