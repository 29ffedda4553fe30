# tests/tools/run_slt.cmake — checks strata-slt itself (cmake -P; SLT = the binary, DIR = this
# folder): slt_features.slt passes completely, and in slt_mismatch.slt the two wrong records are
# reported with file:line, expected and actual, the summary says "1 passed"... and the exit
# status is non-zero.
execute_process(COMMAND ${SLT} ${DIR}/slt_features.slt RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "12 passed, 0 failed")
  message(FATAL_ERROR "slt_features.slt should pass (12 records), got status ${rc}:\n${out}\n${err}")
endif()

execute_process(COMMAND ${SLT} ${DIR}/slt_mismatch.slt RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
foreach(want "slt_mismatch.slt:9: query result mismatch" "SQL: SELECT a FROM t"
        "expected \\(1 line\\):\n    2" "actual \\(1 line\\):\n    1"
        "slt_mismatch.slt:14: error message does not match" "3 passed, 2 failed\n$")
  if(NOT out MATCHES "${want}")
    message(FATAL_ERROR "strata-slt output lacks \"${want}\":\n${out}\n${err}")
  endif()
endforeach()
if(rc EQUAL 0)
  message(FATAL_ERROR "strata-slt exited 0 after failures")
endif()

# --stop-on-fail stops at the first failure
execute_process(COMMAND ${SLT} --stop-on-fail ${DIR}/slt_mismatch.slt RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT out MATCHES "2 passed, 1 failed\n$")
  message(FATAL_ERROR "--stop-on-fail: status ${rc}:\n${out}\n${err}")
endif()
