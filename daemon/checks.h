/*
 * The loop module of the active health checks and passive ejection
 * (upstream/health.h): its probes' events come under LOOP_TAG_PROBE.
 */
#ifndef MIOPROXY_CHECKS_H
#define MIOPROXY_CHECKS_H

#include "loop.h"

extern const struct loop_module checks_module;

#endif /* MIOPROXY_CHECKS_H */
