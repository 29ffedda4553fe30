# tests/packaging/run.cmake — the packaging test (cmake -P): installs the build in BUILD_DIR into
# a temporary prefix under WORK_DIR, then
#   1. configures, builds and runs tests/packaging/consumer with find_package(strata)
#      (CMAKE_PREFIX_PATH = the prefix), linked to the shared and to the static library;
#   2. compiles the same consumer with the flags of `pkg-config --cflags --libs strata`
#      (PKG_CONFIG_PATH = the prefix's pkgconfig dir) and runs it.
# Each consumer opens a KV database, writes a key and reads it back.
# Inputs: BUILD_DIR SRC_DIR WORK_DIR C_COMPILER BUILD_TYPE SANITIZE
cmake_minimum_required(VERSION 3.20)

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "packaging: ${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "packaging: ${what}: ok")
  set(STEP_OUT "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

run_step("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# the installed layout
foreach(f include/strata.h include/strata_kv.h include/strata_status.h)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "packaging: ${f} was not installed")
  endif()
endforeach()
file(GLOB_RECURSE pc ${prefix}/*/strata.pc)
file(GLOB_RECURSE cfg ${prefix}/*/strataConfig.cmake)
if(NOT pc OR NOT cfg)
  message(FATAL_ERROR "packaging: strata.pc (${pc}) or strataConfig.cmake (${cfg}) not installed")
endif()
list(GET pc 0 pc)
get_filename_component(pcdir ${pc} DIRECTORY)
get_filename_component(libdir ${pcdir} DIRECTORY)

# 1. find_package
if(NOT BUILD_TYPE)
  set(BUILD_TYPE Release)
endif()
run_step("configure the find_package consumer"
  ${CMAKE_COMMAND} -S ${SRC_DIR}/consumer -B ${WORK_DIR}/consumer-build
  -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_C_COMPILER=${C_COMPILER}
  -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DSANITIZE=${SANITIZE})
run_step("build the find_package consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build)
run_step("run consumer_shared" ${WORK_DIR}/consumer-build/consumer_shared ${WORK_DIR}/db_shared)
run_step("run consumer_static" ${WORK_DIR}/consumer-build/consumer_static ${WORK_DIR}/db_static)

# 2. pkg-config. --define-variable=prefix points the .pc at the temporary prefix (its prefix is
# the one configured at build time).
find_program(PKG_CONFIG pkg-config REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${pcdir})
run_step("pkg-config --cflags --libs strata"
  ${PKG_CONFIG} --define-variable=prefix=${prefix} --cflags --libs strata)
string(STRIP "${STEP_OUT}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
set(san)
if(SANITIZE)
  set(san -fsanitize=address,undefined)
endif()
run_step("compile the pkg-config consumer"
  ${C_COMPILER} ${san} ${SRC_DIR}/consumer/main.c ${flags} -Wl,-rpath,${libdir}
  -o ${WORK_DIR}/consumer_pc)
run_step("run the pkg-config consumer" ${WORK_DIR}/consumer_pc ${WORK_DIR}/db_pc)
file(REMOVE_RECURSE ${WORK_DIR})
