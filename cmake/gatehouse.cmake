# gh_component(NAME DEPS ...): one static library per folder under src/,
# built from every *.cpp beside this file except *_test.cpp, *_benchmark.cpp
# and *_fuzz.cpp. Unit tests (*_test.cpp) become one GoogleTest binary whose
# cases ctest lists one by one.
function(gh_component name)
  cmake_parse_arguments(A "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  list(FILTER srcs EXCLUDE REGEX "(_test|_benchmark|_fuzz|/main)\\.cpp$")
  if(srcs)
    add_library(gh_${name} STATIC ${srcs})
    target_include_directories(gh_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(gh_${name} PUBLIC ${A_DEPS})
  else()  # a component still being written: headers only
    add_library(gh_${name} INTERFACE)
    target_include_directories(gh_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(gh_${name} INTERFACE ${A_DEPS})
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
