# training_test(<name> SOURCES <files...> LIBS <targets...> LABEL unit|integration|e2e)
#
# Builds one GoogleTest binary and registers it with CTest under its label.
function(training_test name)
  cmake_parse_arguments(T "" "LABEL" "SOURCES;LIBS;DEPENDS" ${ARGN})
  if(NOT T_LABEL)
    set(T_LABEL unit)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
  if(T_DEPENDS)
    add_dependencies(${name} ${T_DEPENDS})
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS ${T_LABEL} TIMEOUT 900)
endfunction()

# training_library(<name> SOURCES <files...> LIBS <targets...>)
function(training_library name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${name} STATIC ${T_SOURCES})
  target_link_libraries(${name} PUBLIC ${T_LIBS})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
endfunction()

# training_use_jemalloc(<target>): links jemalloc into a service binary
# (unless sanitized), replacing malloc for the whole process.
function(training_use_jemalloc target)
  if(JEMALLOC_LIBRARY)
    target_link_libraries(${target} PRIVATE ${JEMALLOC_LIBRARY})
  endif()
endfunction()
