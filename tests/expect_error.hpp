// SPDX-License-Identifier: MIT
#pragma once
/// expect_error(f, needle): f must throw rotary::invalid_argument whose message contains
/// needle (the bad-parameter tests of the builders, query scales and angle models).

#include <gtest/gtest.h>

#include <string>

#include <rotary/error.hpp>

namespace rotary_test {

template <class F>
void expect_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing: " << needle;
  } catch (const rotary::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

/// The same for rotary::out_of_range (positions past a table, xPos ranges).
template <class F>
void expect_range_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected an out_of_range containing: " << needle;
  } catch (const rotary::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace rotary_test
