# tools/tools.cmake — the strata shell (tools/shell.c) and strata-slt, the sqllogictest runner
# (tools/slt.c), plus the packaging test (tests/packaging/run.cmake). Included from the
# top-level CMakeLists.txt when STRATA_TOOLS is ON. Both tools link strata_static.

find_path(STRATA_EDITLINE_INCLUDE editline/readline.h)
find_library(STRATA_EDITLINE_LIB edit)
if(NOT STRATA_EDITLINE_INCLUDE OR NOT STRATA_EDITLINE_LIB)
  message(FATAL_ERROR "the strata shell needs editline/readline.h and libedit: "
                      "apt-get install libedit-dev (or configure with -DSTRATA_TOOLS=OFF)")
endif()

add_executable(strata tools/shell.c)
target_compile_options(strata PRIVATE ${STRATA_WARN})
target_compile_definitions(strata PRIVATE _GNU_SOURCE)
target_include_directories(strata PRIVATE ${STRATA_EDITLINE_INCLUDE})
target_link_libraries(strata PRIVATE strata_static ${STRATA_EDITLINE_LIB})

add_executable(strata-slt tools/slt.c)
target_compile_options(strata-slt PRIVATE ${STRATA_WARN})
target_compile_definitions(strata-slt PRIVATE _GNU_SOURCE)
target_link_libraries(strata-slt PRIVATE strata_static)

install(TARGETS strata strata-slt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The packaging test: installs this build into a temporary prefix and builds, links and runs a
# tiny consumer through find_package(strata) and through pkg-config.
if(STRATA_TESTS)
  add_test(NAME packaging/install_consumer
           COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${CMAKE_BINARY_DIR}
                   -DSRC_DIR=${CMAKE_CURRENT_SOURCE_DIR}/tests/packaging
                   -DWORK_DIR=${CMAKE_BINARY_DIR}/testtmp/packaging
                   -DC_COMPILER=${CMAKE_C_COMPILER}
                   -DBUILD_TYPE=${CMAKE_BUILD_TYPE}
                   -DSANITIZE=${STRATA_SANITIZE}
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/tests/packaging/run.cmake)
  set_tests_properties(packaging/install_consumer PROPERTIES TIMEOUT 600)

  # the tools themselves, driven as a user would
  add_test(NAME tools/slt_selftest
           COMMAND ${CMAKE_COMMAND} -DSLT=$<TARGET_FILE:strata-slt>
                   -DDIR=${CMAKE_CURRENT_SOURCE_DIR}/tests/tools
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/tests/tools/run_slt.cmake)
  add_test(NAME tools/shell
           COMMAND ${CMAKE_COMMAND} -DSHELL_BIN=$<TARGET_FILE:strata>
                   -DWORK=${CMAKE_BINARY_DIR}/testtmp/shell_test
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/tests/tools/run_shell.cmake)
  set_tests_properties(tools/slt_selftest tools/shell PROPERTIES TIMEOUT 300
                       ENVIRONMENT "STRATA_TEST_TMP=${CMAKE_BINARY_DIR}/testtmp")
endif()
