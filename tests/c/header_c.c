/* The header compiles as strict C99 (make c-header-test). */
#include "h2o.h"

int h2o_header_compiles_as_c(void);
int h2o_header_compiles_as_c(void) {
    h2o_callbacks_t cbs = {0, 0, 0, 0, 0};
    h2o_event_t ev;
    h2o_result r = H2O_RESULT_OK;
    ev.kind = H2O_EVENT_KIND_DATA;
    (void)cbs;
    return (int)r + (int)ev.kind + H2O_DATA_PAUSE;
}
