# SPDX-License-Identifier: MIT
# One compile-fail check (run by ctest with cmake -P):
#
#   cmake -DCXX=<compiler> -DINCLUDE_DIR=<rotary include dir> -DSOURCE=<case.cpp> -P this file
#
# The first line of SOURCE is "// expect: <text>". The check passes only if
#   1. compiling SOURCE (-std=c++17 -fsyntax-only) FAILS and the compiler's output contains
#      <text> (the static_assert message that says what is wrong), and
#   2. compiling it again with -DROTARY_COMPILE_FAIL_CONTROL (each case's correct variant
#      of the offending line) SUCCEEDS, so that the failure in 1 comes from that line and
#      not from a typo elsewhere in the case.
foreach(var CXX INCLUDE_DIR SOURCE)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_compile_fail: -D${var}=... is required")
  endif()
endforeach()

file(STRINGS "${SOURCE}" first_line LIMIT_COUNT 1)
if(NOT first_line MATCHES "^// expect: (.+)$")
  message(FATAL_ERROR "${SOURCE}: the first line must be \"// expect: <substring>\", got \"${first_line}\"")
endif()
string(STRIP "${CMAKE_MATCH_1}" expected)

# LC_ALL=C: the compiler's own quotes stay ASCII; the static_assert text is printed as written.
set(compile ${CMAKE_COMMAND} -E env LC_ALL=C ${CXX} -std=c++17 -fsyntax-only -I${INCLUDE_DIR})

execute_process(COMMAND ${compile} ${SOURCE}
                RESULT_VARIABLE rc OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must fail with \"${expected}\"")
endif()
string(FIND "${output}" "${expected}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${SOURCE} failed to compile (as it must), but the output does not "
                      "contain \"${expected}\":\n${output}")
endif()

execute_process(COMMAND ${compile} -DROTARY_COMPILE_FAIL_CONTROL ${SOURCE}
                RESULT_VARIABLE control_rc OUTPUT_VARIABLE control_output
                ERROR_VARIABLE control_output)
if(NOT control_rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE}: the control variant (-DROTARY_COMPILE_FAIL_CONTROL) must "
                      "compile, but it failed:\n${control_output}")
endif()
message(STATUS "${SOURCE}: fails with \"${expected}\"; the control variant compiles")
