/* The demo: a small sensor station.
 *
 * The sampler (a statically defined thread) sends readings through a message queue to the
 * logger, which folds them into shared statistics under a mutex and signals the reporter
 * through a semaphore after every batch. A fourth thread has a bug (it reads an unmapped
 * address): its fault is reported and contained while the others carry on. main starts the
 * dynamic threads, waits for the last report and ends the run with status 0.
 */
#include <kernel.h>
#include <printk.h>

#define READINGS 9
#define BATCH 3
#define SAMPLE_PERIOD_TICKS 15

struct reading {
	unsigned int sequence;
	int millicelsius;
};

/* Objects as globals, a static, struct members and array elements. */
K_MSGQ_DEFINE(readings, sizeof(struct reading), 4);
static K_SEM_DEFINE(batch_ready, 0, READINGS / BATCH);

static struct stats {
	struct k_mutex lock;
	unsigned int count;
	int sum;
	int min, max;
} stats = {.min = 1000000, .max = -1000000};

enum { LOGGER, REPORTER, FAULTY, WORKERS };
static struct k_thread workers[WORKERS];
K_THREAD_STACK_ARRAY_DEFINE(worker_stacks, WORKERS, 1024);

static void sample(void *arg)
{
	(void)arg;
	/* A made-up temperature curve: 21.5 C drifting in 0.25 C steps. */
	static const int drift[READINGS] = {0, 250, 500, 250, -250, -500, 0, 750, 1000};
	for (unsigned int i = 0; i < READINGS; i++) {
		k_sleep(SAMPLE_PERIOD_TICKS);
		struct reading r = {i + 1, 21500 + drift[i]};
		printk("[%4lu] sampler:  reading %u = %d mC\n", k_uptime_ticks(), r.sequence,
		       r.millicelsius);
		if (k_msgq_put(&readings, &r, K_MSEC(100)) != 0)
			printk("[%4lu] sampler:  queue full, reading %u dropped\n", k_uptime_ticks(),
			       r.sequence);
	}
}

K_THREAD_DEFINE(sampler, 1024, sample, NULL, 6, 0);

static void log_readings(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < READINGS; i++) {
		struct reading r;
		k_msgq_get(&readings, &r, K_FOREVER);
		k_mutex_lock(&stats.lock, K_FOREVER);
		stats.count++;
		stats.sum += r.millicelsius;
		stats.min = r.millicelsius < stats.min ? r.millicelsius : stats.min;
		stats.max = r.millicelsius > stats.max ? r.millicelsius : stats.max;
		unsigned int count = stats.count;
		k_mutex_unlock(&stats.lock);
		printk("[%4lu] logger:   stored reading %u (%u so far)\n", k_uptime_ticks(), r.sequence,
		       count);
		if (count % BATCH == 0)
			k_sem_give(&batch_ready);
	}
}

static void report(void *arg)
{
	(void)arg;
	for (int batch = 1; batch <= READINGS / BATCH; batch++) {
		k_sem_take(&batch_ready, K_FOREVER);
		k_mutex_lock(&stats.lock, K_FOREVER);
		int average = stats.sum / (int)stats.count;
		printk("[%4lu] reporter: batch %d: %u readings, average %d mC, range %d..%d mC\n",
		       k_uptime_ticks(), batch, stats.count, average, stats.min, stats.max);
		k_mutex_unlock(&stats.lock);
	}
}

static void read_calibration(void *arg)
{
	/* The bug: the calibration table's address is wrong, nothing is mapped there. */
	const volatile int *table = arg;
	k_sleep(40);
	printk("[%4lu] faulty:   reading calibration table at %p\n", k_uptime_ticks(),
	       (const void *)table);
	printk("faulty: offset %d\n", table[0]);
}

static void start(int index, k_thread_entry_t entry, void *arg, int prio, const char *name)
{
	k_thread_name_set(&workers[index], name);
	int err = k_thread_create(&workers[index], worker_stacks[index],
				  K_THREAD_STACK_SIZEOF(worker_stacks[index]), entry, arg, prio, 0);
	if (err != 0)
		printk("demo: cannot start %s (%d)\n", name, err);
}

int main(void)
{
	printk("demo: sensor station on %s; %d readings, one every %d ticks\n", "mps2-an385",
	       READINGS, SAMPLE_PERIOD_TICKS);
	k_mutex_init(&stats.lock);
	start(LOGGER, log_readings, NULL, 5, "logger");
	start(REPORTER, report, NULL, 7, "reporter");
	start(FAULTY, read_calibration, (void *)0x70000000, 8, "faulty");

	for (int i = 0; i < WORKERS; i++)
		k_thread_join(&workers[i], K_FOREVER);
	k_thread_join(&sampler, K_FOREVER);

	struct k_thread *faulty = &workers[FAULTY];
	printk("[%4lu] demo: done; '%s' was stopped by a fault at PC %p (address %p), "
	       "the other threads finished\n",
	       k_uptime_ticks(), k_thread_name_get(faulty), (void *)faulty->fault_pc,
	       (void *)faulty->fault_addr);
	return faulty->fault == K_FAULT_BUS ? 0 : 1;
}
