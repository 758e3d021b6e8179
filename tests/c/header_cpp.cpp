// The header compiles as C++11 (make c-header-test) and links with C linkage.
#include "h2o.h"

#include <cstdio>

int h2o_header_compiles_as_cpp();
int h2o_header_compiles_as_cpp() {
    h2o_callbacks_t cbs = {nullptr, nullptr, nullptr, nullptr, nullptr};
    h2o_client_t *client = nullptr;
    h2o_result r = h2o_client_new(nullptr, &client);
    (void)cbs;
    std::printf("%s %s\n", h2o_version(), h2o_strerror(r));
    h2o_client_free(client);
    return r == H2O_RESULT_OK ? 0 : 1;
}
