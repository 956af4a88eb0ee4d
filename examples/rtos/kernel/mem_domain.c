/* Memory domains: the partitions a group of user threads may use beside their own stacks.
 * Every partition is checked against the MPU's rules when it is added (not silently widened)
 * and its regions are encoded once, so a context switch only copies register values. */
#include <arch.h>
#include <kernel_internal.h>
#include <mpu.h>

#define REGION_OFF(i) {(1u << 4) | (MPU_REGION_DOMAIN_FIRST + (i)), 0} /* RBAR valid, RASR 0 */

struct k_mem_domain k_mem_domain_default = {
	.regions = {REGION_OFF(0), REGION_OFF(1), REGION_OFF(2), REGION_OFF(3), REGION_OFF(4)},
};

static bool overlaps(const struct k_mem_partition *a, const struct k_mem_partition *b)
{
	return a->start < b->end && b->start < a->end;
}

/* Re-encodes the domain's regions from its partitions: 0, -EINVAL or -ENOMEM. */
static int encode(struct k_mem_domain *domain)
{
	uint32_t regions[K_MEM_DOMAIN_REGIONS][2];
	unsigned int used = 0;
	for (unsigned int i = 0; i < domain->partition_count; i++) {
		const struct k_mem_partition *part = domain->partitions[i];
		uintptr_t pieces[2][2] = {{part->start, part->split}, {part->split, part->end}};
		for (unsigned int p = 0; p < 2; p++) {
			if (pieces[p][0] == pieces[p][1])
				continue;
			if (used == K_MEM_DOMAIN_REGIONS)
				return -ENOMEM;
			if (arch_mpu_region(pieces[p][0], pieces[p][1], part->attr,
					    MPU_REGION_DOMAIN_FIRST + used, regions[used]) != 0)
				return -EINVAL;
			used++;
		}
	}
	for (unsigned int i = used; i < K_MEM_DOMAIN_REGIONS; i++) {
		regions[i][0] = (1u << 4) | (MPU_REGION_DOMAIN_FIRST + i); /* RBAR valid, RASR 0 */
		regions[i][1] = 0;
	}
	for (unsigned int i = 0; i < K_MEM_DOMAIN_REGIONS; i++) {
		domain->regions[i][0] = regions[i][0];
		domain->regions[i][1] = regions[i][1];
	}
	domain->region_count = (uint8_t)used;
	return 0;
}

static bool partition_valid(const struct k_mem_partition *part)
{
	return part->start <= part->split && part->split <= part->end && part->start < part->end &&
	       (part->attr == K_MEM_PARTITION_RW || part->attr == K_MEM_PARTITION_RO);
}

/* The running thread may be in the domain: its MPU view changes at once. */
static void refresh_current(const struct k_mem_domain *domain)
{
	struct k_thread *current = z_kernel.current;
	if (current != NULL && current->domain == domain)
		arch_mpu_switch(current);
}

int k_mem_domain_add_partition(struct k_mem_domain *domain, struct k_mem_partition *part)
{
	if (!partition_valid(part))
		return -EINVAL;
	unsigned int key = irq_lock();
	int err = 0;
	for (unsigned int i = 0; i < domain->partition_count && err == 0; i++)
		if (domain->partitions[i] == part || overlaps(domain->partitions[i], part))
			err = -EINVAL;
	if (err == 0 && domain->partition_count == K_MEM_DOMAIN_MAX_PARTITIONS)
		err = -ENOMEM;
	if (err == 0) {
		domain->partitions[domain->partition_count++] = part;
		err = encode(domain);
		if (err != 0)
			domain->partition_count--; /* the old encoding is still in place */
		else
			refresh_current(domain);
	}
	irq_unlock(key);
	return err;
}

int k_mem_domain_remove_partition(struct k_mem_domain *domain, struct k_mem_partition *part)
{
	unsigned int key = irq_lock();
	for (unsigned int i = 0; i < domain->partition_count; i++) {
		if (domain->partitions[i] != part)
			continue;
		domain->partitions[i] = domain->partitions[--domain->partition_count];
		encode(domain); /* fewer partitions always encode */
		refresh_current(domain);
		irq_unlock(key);
		return 0;
	}
	irq_unlock(key);
	return -ENOENT;
}

int k_mem_domain_init(struct k_mem_domain *domain, size_t count, struct k_mem_partition *parts[])
{
	*domain = (struct k_mem_domain){.partition_count = 0};
	encode(domain);
	for (size_t i = 0; i < count; i++) {
		int err = k_mem_domain_add_partition(domain, parts[i]);
		if (err != 0)
			return err;
	}
	return 0;
}

void k_mem_domain_add_thread(struct k_mem_domain *domain, struct k_thread *thread)
{
	unsigned int key = irq_lock();
	thread->domain = domain;
	if (thread == z_kernel.current)
		arch_mpu_switch(thread);
	irq_unlock(key);
}
