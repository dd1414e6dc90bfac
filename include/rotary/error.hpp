// SPDX-License-Identifier: MIT
#pragma once
/// Error policy.
///   - compile time: static_assert on element types, compute types, index types, angle
///     sources and call forms (element_type.hpp, rope.hpp, operand.hpp, positions.hpp);
///   - always on, at every entry point: ROTARY_CHECK throws rotary::invalid_argument
///     (derived from std::invalid_argument) for a bad parameter, ROTARY_CHECK_RANGE throws
///     rotary::out_of_range (derived from std::out_of_range) for a position past a table;
///     each message names the function, the parameter and its value;
///   - there are no debug-only assertions: every check is always on, made once per call
///     before anything is written; the per-element loops contain no checks at all.
/// With ROTARY_NO_EXCEPTIONS a failed check prints the message and aborts.

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "config.hpp"

namespace rotary {

/// Thrown for a bad parameter (odd dimension, bad base, mismatched sizes, null data...).
class invalid_argument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Thrown for a position outside the rows of a fixed cos/sin table.
class out_of_range : public std::out_of_range {
 public:
  using std::out_of_range::out_of_range;
};

namespace detail {

template <class... Parts>
std::string concat(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}

template <class Error, class... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  std::string message = concat(std::forward<Parts>(parts)...);
#if defined(ROTARY_NO_EXCEPTIONS)
  std::fprintf(stderr, "rotary: %s\n", message.c_str());
  std::abort();
#else
  throw Error(message);
#endif
}

}  // namespace detail
}  // namespace rotary

/// ROTARY_CHECK(cond, "rotate: rotary_dim must be even, got ", d): throws
/// rotary::invalid_argument with the concatenated message when cond is false.
#define ROTARY_CHECK(cond, ...)                                                   \
  do {                                                                            \
    if (!(cond)) ::rotary::detail::fail<::rotary::invalid_argument>(__VA_ARGS__); \
  } while (false)

/// Same as ROTARY_CHECK but throws rotary::out_of_range (a position past a table).
#define ROTARY_CHECK_RANGE(cond, ...)                                         \
  do {                                                                        \
    if (!(cond)) ::rotary::detail::fail<::rotary::out_of_range>(__VA_ARGS__); \
  } while (false)
