/* The demo: a small sensor station, mostly in user mode.
 *
 * The sampler (a statically defined kernel thread, like a driver) sends readings through a
 * message queue to the logger, a user thread, which folds them into statistics in the
 * station's memory partition under a mutex and signals the reporter, another user thread,
 * through a semaphore after every batch. Each user thread may use only the objects main
 * granted it and the station's partition. Two more user threads misbehave: 'faulty' has a
 * bug (it reads an unmapped address) and 'intruder' signals a semaphore it was never
 * granted. Both are stopped and reported while the others carry on; main waits for the
 * last report and ends the run with status 0 when everything went as described.
 */
#include <app_memory.h>
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

/* User data lives in the station's partition; the kernel object guarding it does not. */
K_APP_DMEM(station_part) static struct stats {
	unsigned int count;
	int sum;
	int min, max;
} stats = {.min = 1000000, .max = -1000000};
K_APPMEM_PARTITION_DEFINE(station_part);
static struct k_mem_domain station_domain;

static struct {
	struct k_mutex lock;
} stats_guard;

enum { LOGGER, REPORTER, FAULTY, INTRUDER, WORKERS };
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
		k_mutex_lock(&stats_guard.lock, K_FOREVER);
		stats.count++;
		stats.sum += r.millicelsius;
		stats.min = r.millicelsius < stats.min ? r.millicelsius : stats.min;
		stats.max = r.millicelsius > stats.max ? r.millicelsius : stats.max;
		unsigned int count = stats.count;
		k_mutex_unlock(&stats_guard.lock);
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
		k_mutex_lock(&stats_guard.lock, K_FOREVER);
		int average = stats.sum / (int)stats.count;
		printk("[%4lu] reporter: batch %d: %u readings, average %d mC, range %d..%d mC\n",
		       k_uptime_ticks(), batch, stats.count, average, stats.min, stats.max);
		k_mutex_unlock(&stats_guard.lock);
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

static void intrude(void *arg)
{
	(void)arg;
	k_sleep(20);
	printk("[%4lu] intruder: signalling batch_ready without permission\n", k_uptime_ticks());
	k_sem_give(&batch_ready);
	printk("intruder: not stopped!\n");
}

/* Starts a user thread in the station's domain with permission on `objects`. */
static void start(int index, k_thread_entry_t entry, void *arg, int prio, const char *name,
		  const void *const objects[])
{
	struct k_thread *thread = &workers[index];
	k_thread_name_set(thread, name);
	k_mem_domain_add_thread(&station_domain, thread);
	for (; *objects != NULL; objects++)
		k_object_access_grant(*objects, thread);
	int err = k_thread_create(thread, worker_stacks[index],
				  K_THREAD_STACK_SIZEOF(worker_stacks[index]), entry, arg, prio,
				  K_USER);
	if (err != 0)
		printk("demo: cannot start %s (%d)\n", name, err);
}

int main(void)
{
	printk("demo: sensor station on %s; %d readings, one every %d ticks\n", "mps2-an385",
	       READINGS, SAMPLE_PERIOD_TICKS);
	k_mutex_init(&stats_guard.lock);
	struct k_mem_partition *parts[] = {&station_part};
	if (k_mem_domain_init(&station_domain, 1, parts) != 0) {
		printk("demo: the station partition breaks the MPU rules\n");
		return 1;
	}
	start(LOGGER, log_readings, NULL, 5, "logger",
	      (const void *const[]){&readings, &stats_guard.lock, &batch_ready, NULL});
	start(REPORTER, report, NULL, 7, "reporter",
	      (const void *const[]){&stats_guard.lock, &batch_ready, NULL});
	start(FAULTY, read_calibration, (void *)0x70000000, 8, "faulty", (const void *const[]){NULL});
	start(INTRUDER, intrude, NULL, 8, "intruder", (const void *const[]){NULL});

	for (int i = 0; i < WORKERS; i++)
		k_thread_join(&workers[i], K_FOREVER);
	k_thread_join(&sampler, K_FOREVER);

	struct k_thread *faulty = &workers[FAULTY], *intruder = &workers[INTRUDER];
	printk("[%4lu] demo: done; '%s' was stopped by a fault at PC %p (address %p), '%s' by a "
	       "refused system call; the other threads finished\n",
	       k_uptime_ticks(), k_thread_name_get(faulty), (void *)faulty->fault_pc,
	       (void *)faulty->fault_addr, k_thread_name_get(intruder));
	bool contained = faulty->fault == K_FAULT_MEMMANAGE && intruder->fault == K_FAULT_SYSCALL &&
			 intruder->fault_reason == K_REFUSED_NO_PERMISSION;
	for (int i = LOGGER; i <= REPORTER; i++)
		contained = contained && workers[i].fault == K_FAULT_NONE;
	return contained && stats.count == READINGS ? 0 : 1;
}
