# tests/tools/run_shell.cmake — checks the strata shell as a user would (cmake -P; SHELL_BIN = the
# binary, WORK = a scratch directory): -c before and after DIR, -f with a statement spanning
# lines, standard input with dot commands, the three output modes, an error's exit status and
# message, and that rows persist across runs.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(db ${WORK}/db)

function(shell_run)
  cmake_parse_arguments(A "" "STDIN;EXPECT_RC" "ARGS" ${ARGN})
  set(input_args)
  if(A_STDIN)
    set(input_args INPUT_FILE ${A_STDIN})
  endif()
  execute_process(COMMAND ${SHELL_BIN} ${A_ARGS} ${input_args} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT A_EXPECT_RC)
    set(A_EXPECT_RC 0)
  endif()
  if(A_EXPECT_RC STREQUAL "nonzero")
    if(rc EQUAL 0)
      message(FATAL_ERROR "strata ${A_ARGS}: exit 0, expected an error\n${out}\n${err}")
    endif()
  elseif(NOT rc EQUAL A_EXPECT_RC)
    message(FATAL_ERROR "strata ${A_ARGS}: exit ${rc}\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  set(OUT "${out}" PARENT_SCOPE)
  set(ERR "${err}" PARENT_SCOPE)
endfunction()

function(expect_match text regex)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "expected output matching \"${regex}\", got:\n${text}")
  endif()
endfunction()

# -c after DIR
# (CMake lists split on ';', so the -c strings here omit it: a last statement needs none)
shell_run(ARGS ${db} -c "CREATE TABLE t (a INT PRIMARY KEY, b TEXT)"
               -c "INSERT INTO t VALUES (1, 'x'), (2, 'y')")
# -c before DIR; table mode with column names
shell_run(ARGS -c "SELECT a, b FROM t ORDER BY a" ${db})
expect_match("${OUT}" "\\| a \\| b \\|\n")
expect_match("${OUT}" "\\| 1 \\| x \\|\n\\| 2 \\| y \\|\n")
expect_match("${OUT}" "\\(2 rows\\)")

# -f FILE: csv mode, a statement over several lines
file(WRITE ${WORK}/q.sql ".mode csv\nSELECT a,\n       b\nFROM t\nORDER BY a;\n")
shell_run(ARGS ${db} -f ${WORK}/q.sql)
expect_match("${OUT}" "^a,b\n1,x\n2,y\n$")

# standard input (not a terminal): json mode, .tables, .timer
file(WRITE ${WORK}/in1.txt ".mode json\nSELECT a, b FROM t WHERE a = 2;\n.tables\n.timer on\nSELECT 1;\n")
shell_run(ARGS ${db} STDIN ${WORK}/in1.txt)
expect_match("${OUT}" "\\[{\"a\":2,\"b\":\"y\"}\\]")
expect_match("${OUT}" "(^|\n)[a-z_]+\\.t\n")
expect_match("${OUT}" "Run Time: [0-9.]+ s")

# an error: message on stderr, non-zero exit, the statements after it still run
file(WRITE ${WORK}/in2.txt "SELECT * FROM no_such_table;\nSELECT count(*) AS n FROM t;\n")
shell_run(ARGS ${db} EXPECT_RC nonzero STDIN ${WORK}/in2.txt)
expect_match("${ERR}" "Error: .*no_such_table")
expect_match("${OUT}" "\\| n \\|")
shell_run(ARGS ${db} -c ".bogus" EXPECT_RC nonzero)

# rows persist: a second process sees them
shell_run(ARGS ${db} -c ".mode csv\nSELECT count(*) AS n FROM t")
expect_match("${OUT}" "^n\n2\n$")
file(REMOVE_RECURSE ${WORK})
