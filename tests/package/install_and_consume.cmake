# The install tree, consumed: `cmake --install` of a configured rotary build into a fresh
# prefix, then
#   1. tests/package through find_package(rotary CONFIG REQUIRED COMPONENTS attention), with
#      only that prefix on CMAKE_PREFIX_PATH (and rotary_DIR checked to be in it), built and
#      run (the quick start and the attention example);
#   2. the same two examples compiled by hand with `pkg-config --cflags --libs` of the
#      installed rotary.pc and rotary-attention.pc, and run.
# Run by ctest (tests/CMakeLists.txt):
#   cmake -DROTARY_SOURCE_DIR=... -DROTARY_BUILD_DIR=... -DWORK_DIR=... -DCXX=...
#         -DGENERATOR=... -P install_and_consume.cmake
foreach(v ROTARY_SOURCE_DIR ROTARY_BUILD_DIR WORK_DIR CXX GENERATOR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "install_and_consume.cmake: -D${v}=... is required")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " line "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${line}")
  endif()
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
run(${CMAKE_COMMAND} --install ${ROTARY_BUILD_DIR} --prefix ${prefix})
foreach(f include/rotary/rotary.hpp include/rotary/attention.hpp
          share/cmake/rotary/rotaryConfig.cmake share/cmake/rotary/rotaryAttentionTargets.cmake
          share/pkgconfig/rotary.pc share/pkgconfig/rotary-attention.pc)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "the install tree lacks ${f}")
  endif()
endforeach()

# 1. find_package against the install tree only.
run(${CMAKE_COMMAND} -S ${ROTARY_SOURCE_DIR}/tests/package -B ${WORK_DIR}/consumer
    -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX} -DUSE_FIND_PACKAGE=ON
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    -DROTARY_EXPECTED_DIR=${prefix}/share/cmake/rotary
    -DROTARY_SOURCE_DIR=${ROTARY_SOURCE_DIR} -DROTARY_COMPONENTS=attention)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
run(${WORK_DIR}/consumer/quickstart)
run(${WORK_DIR}/consumer/rope_attention)

# 2. pkg-config against the install tree (prefix found from the .pc file's directory).
find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${prefix}/share/pkgconfig)
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs rotary-attention
                OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config --cflags --libs rotary-attention failed")
endif()
message(STATUS "pkg-config rotary-attention: ${flags}")
string(FIND "${flags}" "-I${prefix}/" at)
if(at EQUAL -1)
  message(FATAL_ERROR "pkg-config's flags name no include directory in ${prefix}: ${flags}")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
foreach(example quickstart rope_attention)
  run(${CXX} -std=c++17 ${ROTARY_SOURCE_DIR}/examples/${example}.cpp ${flags}
      -o ${WORK_DIR}/${example}_pkgconfig)
  run(${WORK_DIR}/${example}_pkgconfig)
endforeach()
