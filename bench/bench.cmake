# bench/bench.cmake — strata-bench: strata's kernel side by side with RocksDB and LevelDB (their C
# APIs), and strata's SQL API with SQLite. Included from the top-level CMakeLists.txt when
# STRATA_BENCH is ON.
#
# The SQL workloads on strata (bench_sql.c, STRATA_BENCH_HAVE_SQL) are compiled only when the
# library's sources define the SQL API (strata_prepare in sql/*.c): the library is built by this
# same project, so a check_symbol_exists/try_compile against it cannot run at configure time;
# a look at its sources is the equivalent. Without it the SQL workloads run on SQLite only.

# strata_bench_require(<var> <header> <library> <Debian package>)
function(strata_bench_require var header lib debpkg)
  find_path(${var}_INCLUDE ${header})
  find_library(${var}_LIB ${lib})
  if(NOT ${var}_INCLUDE OR NOT ${var}_LIB)
    message(FATAL_ERROR "strata-bench needs ${header} and lib${lib}: apt-get install ${debpkg} "
                        "(or configure with -DSTRATA_BENCH=OFF)")
  endif()
endfunction()
strata_bench_require(BENCH_ROCKSDB rocksdb/c.h rocksdb librocksdb-dev)
strata_bench_require(BENCH_LEVELDB leveldb/c.h leveldb libleveldb-dev)
strata_bench_require(BENCH_SQLITE sqlite3.h sqlite3 libsqlite3-dev)

add_executable(strata-bench bench/bench.c bench/bench_sql.c)
target_compile_options(strata-bench PRIVATE ${STRATA_WARN})
target_compile_definitions(strata-bench PRIVATE _GNU_SOURCE)
target_include_directories(strata-bench PRIVATE ${BENCH_ROCKSDB_INCLUDE} ${BENCH_LEVELDB_INCLUDE}
                           ${BENCH_SQLITE_INCLUDE})
target_link_libraries(strata-bench PRIVATE strata_static ${BENCH_ROCKSDB_LIB} ${BENCH_LEVELDB_LIB}
                      ${BENCH_SQLITE_LIB})

file(GLOB _strata_sql_src CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/sql/*.c)
set(STRATA_HAVE_SQL_API OFF)
foreach(f ${_strata_sql_src})
  file(STRINGS ${f} _def REGEX "^int strata_prepare\\(")
  if(_def)
    set(STRATA_HAVE_SQL_API ON)
  endif()
endforeach()
if(STRATA_HAVE_SQL_API)
  target_compile_definitions(strata-bench PRIVATE STRATA_BENCH_HAVE_SQL)
else()
  message(STATUS "strata-bench: the library has no SQL API yet (no strata_prepare in sql/*.c): "
                 "SQL workloads run on SQLite only")
endif()
