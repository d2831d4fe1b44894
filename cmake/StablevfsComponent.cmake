# stablevfs_component(NAME <name> DIR <dir> [DEPS <targets>...])
#
# One static library per folder, named stablevfs_<name> with the alias stablevfs::<name>. Sources are
# globbed with CONFIGURE_DEPENDS so that a file added to a folder can never silently drop out of the build
# (the failure LevelDB once shipped); the folder *is* the component.
function(stablevfs_component)
  cmake_parse_arguments(C "" "NAME;DIR" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS "${C_DIR}/*.cpp")
  if(srcs)
    set(scope PUBLIC)
    add_library(stablevfs_${C_NAME} STATIC ${srcs})
  else()
    # A header-only folder is still a component, so its dependents link it the same way.
    set(scope INTERFACE)
    add_library(stablevfs_${C_NAME} INTERFACE)
  endif()
  add_library(stablevfs::${C_NAME} ALIAS stablevfs_${C_NAME})
  target_include_directories(stablevfs_${C_NAME} ${scope} ${PROJECT_SOURCE_DIR})
  target_compile_features(stablevfs_${C_NAME} ${scope} cxx_std_20)
  target_link_libraries(stablevfs_${C_NAME} ${scope} ${C_DEPS})
endfunction()

# stablevfs_test_folder(DIR <dir> DEPS <targets>...)
#
# Every *_test.cpp in DIR becomes its own GoogleTest executable registered with gtest_discover_tests, so a
# new test file is built and run without anyone remembering to list it.
function(stablevfs_test_folder)
  cmake_parse_arguments(T "" "DIR;PREFIX" "DEPS" ${ARGN})
  file(GLOB tests CONFIGURE_DEPENDS "${T_DIR}/*_test.cpp")
  foreach(src IN LISTS tests)
    get_filename_component(base ${src} NAME_WE)
    set(exe ${T_PREFIX}${base})
    add_executable(${exe} ${src})
    target_link_libraries(${exe} PRIVATE ${T_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
    gtest_discover_tests(${exe} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${T_PREFIX})
  endforeach()
endfunction()
