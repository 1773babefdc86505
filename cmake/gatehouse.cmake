# gh_component(NAME [PUBLIC deps...] [PRIVATE deps...] [TEST_DEPS deps...]):
# one static library per folder under src/, built from every *.cpp beside
# this file except *_test.cpp, *_benchmark.cpp and *_fuzz.cpp. A dependency is
# PUBLIC only when one of the folder's headers includes it (users of the
# component compile against it too), PRIVATE when only its .cpp files do.
# Which folder may include which is written once, in src/dependencies.txt, and
# checked by ctest arch.includes; these lists link what the code includes.
# Unit tests (*_test.cpp) become one GoogleTest binary whose cases ctest lists
# one by one; TEST_DEPS is what the tests include beyond the component.
function(gh_component name)
  cmake_parse_arguments(A "" "" "PUBLIC;PRIVATE;TEST_DEPS" ${ARGN})
  if(A_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "gh_component(${name}): say PUBLIC or PRIVATE before ${A_UNPARSED_ARGUMENTS}")
  endif()
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  list(FILTER srcs EXCLUDE REGEX "(_test|_benchmark|_fuzz|/main)\\.cpp$")
  if(srcs)
    add_library(gh_${name} STATIC ${srcs})
    target_include_directories(gh_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(gh_${name} PUBLIC ${A_PUBLIC} PRIVATE ${A_PRIVATE})
  else()  # a component still being written: headers only
    add_library(gh_${name} INTERFACE)
    target_include_directories(gh_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(gh_${name} INTERFACE ${A_PUBLIC})
  endif()

  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp)
  if(tests)
    add_executable(gh_${name}_test ${tests})
    target_link_libraries(gh_${name}_test PRIVATE gh_${name} ${A_TEST_DEPS} GTest::gmock_main)
    target_compile_definitions(gh_${name}_test PRIVATE
      GH_SOURCE_DIR="${PROJECT_SOURCE_DIR}" GH_BINARY_DIR="${PROJECT_BINARY_DIR}")
    gtest_discover_tests(gh_${name}_test TEST_PREFIX "${name}." DISCOVERY_TIMEOUT 60
      PROPERTIES ENVIRONMENT "GH_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  endif()
endfunction()

# gh_fuzz_target(NAME SOURCES ... [HEADERS ...] [FLAGS ...] [LIBS ...] [CORPUS dir]):
# a libFuzzer binary built with clang (g++ has no libFuzzer) straight from the
# sources, and the ctest NAME.fuzz that runs it 10 s on the committed corpus
# (CORPUS, by default fuzz_corpus/ beside the CMakeLists; new inputs go to the
# build's NAME_fuzz_work, one per target so two targets of a folder stay apart).
# Without clang's libFuzzer the test fails under CI=true and is skipped elsewhere.
function(gh_fuzz_target name)
  cmake_parse_arguments(F "" "CORPUS" "SOURCES;HEADERS;FLAGS;LIBS" ${ARGN})
  if(NOT F_CORPUS)
    set(F_CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_corpus)
  endif()
  set(bin ${CMAKE_CURRENT_BINARY_DIR}/${name}_fuzz)
  find_program(GH_CLANGXX NAMES clang++-14 clang++)
  set(ok FALSE)
  if(GH_CLANGXX)
    file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe.cpp
         "#include <cstdint>\n#include <cstddef>\nextern \"C\" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n")
    execute_process(COMMAND ${GH_CLANGXX} -fsanitize=fuzzer,address ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe.cpp
                            -o ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe
                    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
    if(rc EQUAL 0)
      set(ok TRUE)
    endif()
  endif()
  if(ok)
    add_custom_command(OUTPUT ${bin}
      COMMAND ${GH_CLANGXX} -std=c++2b -O1 -g ${F_FLAGS} -fsanitize=fuzzer,address,undefined
              -fno-sanitize-recover=undefined -I${PROJECT_SOURCE_DIR}/src ${F_SOURCES} ${F_LIBS} -o ${bin}
      DEPENDS ${F_SOURCES} ${F_HEADERS}
      COMMENT "Building the ${name} libFuzzer target with clang")
    add_custom_target(gh_${name}_fuzz ALL DEPENDS ${bin})
    file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/${name}_fuzz_work)
    add_test(NAME ${name}.fuzz
             COMMAND ${bin} -max_total_time=10 -timeout=5 -rss_limit_mb=1024
                     ${CMAKE_CURRENT_BINARY_DIR}/${name}_fuzz_work ${F_CORPUS})
  else()
    message(WARNING "*** clang++ with libFuzzer NOT FOUND: the ${name} fuzz target is not built. "
                    "Install clang and libclang-rt-14-dev (scripts/deps.sh does). "
                    "ctest ${name}.fuzz will FAIL under CI=true. ***")
    add_test(NAME ${name}.fuzz COMMAND sh -c
             "echo '${name}.fuzz: clang++/libFuzzer missing (install libclang-rt-14-dev)' >&2; [ \"$CI\" = true ] && exit 1; exit 77")
    set_tests_properties(${name}.fuzz PROPERTIES SKIP_RETURN_CODE 77)
  endif()
endfunction()
