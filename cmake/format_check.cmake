# Fails when a project C file is not formatted per .clang-format.
file(GLOB_RECURSE files ${SRC}/include/*.h ${SRC}/util/*.[ch] ${SRC}/lsm/*.[ch] ${SRC}/sql/*.[ch]
     ${SRC}/exec/*.[ch] ${SRC}/catalog/*.[ch] ${SRC}/tools/*.[ch] ${SRC}/bench/*.[ch]
     ${SRC}/fuzz/*.[ch] ${SRC}/tests/*.[ch])
execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror ${files} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "clang-format: files above need formatting (run scripts/format.sh)")
endif()
