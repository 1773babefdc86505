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
