/* Kernel object annotations.
 *
 * `__kobject(kind)` in front of a struct definition marks the struct as a kernel object type
 * for the build-time tools: syscall-gen turns the annotations into the type manifest, and
 * kobject-scan finds every instance of those types in the image's DWARF. To the compiler the annotation
 * is nothing, so the structs stay plain C.
 *
 * Kinds: object (semaphores, mutexes, queues), thread, stack (the element type of thread
 * stack arrays), device (a driver instance; its second argument names the member pointing at
 * the driver API) and driver_api (a driver API struct a device's api member points at).
 */
#ifndef RTOS_KOBJECT_H
#define RTOS_KOBJECT_H

#define __kobject(...)

#endif
