/* Printing JSON trees as YAML or JSON for the command-line tools.
 *
 * Object keys are printed in sorted order so output is stable. Strings that
 * a YAML reader would take for another type ("True", "8080", "null") are
 * quoted. */
#ifndef EG_CMD_OUTPUT_H
#define EG_CMD_OUTPUT_H

#include <jansson.h>
#include <stdio.h>

/* Writes `v` as one YAML document. Returns 0 or -1 on a write error. */
int output_yaml(FILE *out, const json_t *v);
/* Writes `v` as indented JSON with sorted keys and a final newline. */
int output_json(FILE *out, const json_t *v);

#endif
