#ifndef TRAINING_TESTS_TEST_KEYS_H_
#define TRAINING_TESTS_TEST_KEYS_H_

// API key files for tests that start the real binaries.

#include <string>
#include <vector>

namespace training::testing {

// One entry of a key file (training.config.v1.ApiKeyFile) for `key`, stored
// hashed as the services expect, for `organisation`.
std::string KeyEntry(const std::string& name, const std::string& key,
                     const std::string& role,
                     const std::vector<std::string>& scopes,
                     const std::string& organisation = "Test Org");

// The entry of a service key held by `service` (booking, notification, ...).
std::string ServiceKeyEntry(const std::string& name, const std::string& key,
                            const std::string& service);

// A whole key file holding `entries`.
std::string KeyFile(const std::vector<std::string>& entries);

}  // namespace training::testing

#endif  // TRAINING_TESTS_TEST_KEYS_H_
