// The header compiles as C++11 with -Wall -Wextra -pedantic -Werror, and a C++ program
// links and runs against the library (make c-header-test).
#include "h2o.h"

#include <cstdio>
#include <cstring>

int main() {
    h2o_callbacks_t cbs = {nullptr, nullptr, nullptr, nullptr, nullptr};
    (void)cbs;
    h2o_client_t *client = nullptr;
    h2o_result r = h2o_client_new(nullptr, &client);
    h2o_request_t *req = nullptr;
    h2o_result bad = h2o_request_new("GET", "ftp://x/", &req);
    std::printf("C++: h2o %s, client_new: %s, bad URL: %s (%s)\n", h2o_version(), h2o_strerror(r),
                h2o_strerror(bad), h2o_last_error_message());
    h2o_client_free(client);
    bool ok = r == H2O_RESULT_OK && bad == H2O_RESULT_INVALID_URL && req == nullptr &&
              std::strcmp(h2o_version(), H2O_VERSION_STRING) == 0;
    return ok ? 0 : 1;
}
