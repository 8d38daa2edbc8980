# SPDX-License-Identifier: MIT
# vc_module(NAME SOURCES ... [DEPS ...] [PUBLIC_DEPS ...]) -> static library vc_NAME
# vc_test(NAME [SOURCES ...] [DEPS ...]) -> cmocka test tests/test_NAME.c, run by ctest
include_guard(GLOBAL)
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

set(VC_WARNINGS -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes
    -Wmissing-prototypes -Wvla -Wimplicit-fallthrough -Wno-missing-field-initializers)
if(VC_WERROR)
  list(APPEND VC_WARNINGS -Werror)
endif()
if(VC_SANITIZE)
  add_compile_options(-fsanitize=${VC_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${VC_SANITIZE})
endif()

pkg_check_modules(xml2 REQUIRED IMPORTED_TARGET libxml-2.0)
pkg_check_modules(archive REQUIRED IMPORTED_TARGET libarchive)
pkg_check_modules(lz4 REQUIRED IMPORTED_TARGET liblz4)
pkg_check_modules(zlib REQUIRED IMPORTED_TARGET zlib)
pkg_check_modules(zstd REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(lzma REQUIRED IMPORTED_TARGET liblzma)
pkg_check_modules(cmocka REQUIRED IMPORTED_TARGET cmocka)

# mbedtls: Debian 12 ships 2.28 without pkg-config or CMake files; 3.x ships a
# CMake config. Find the libraries by name so both work.
find_path(MBEDTLS_INCLUDE_DIR mbedtls/sha256.h REQUIRED)
find_library(MBEDCRYPTO_LIBRARY mbedcrypto REQUIRED)
find_library(MBEDX509_LIBRARY mbedx509 REQUIRED)
if(NOT TARGET vc_mbedtls)
  add_library(vc_mbedtls INTERFACE IMPORTED)
  target_include_directories(vc_mbedtls INTERFACE ${MBEDTLS_INCLUDE_DIR})
  target_link_libraries(vc_mbedtls INTERFACE ${MBEDX509_LIBRARY} ${MBEDCRYPTO_LIBRARY})
endif()

function(vc_module name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(vc_${name} STATIC ${A_SOURCES})
  target_include_directories(vc_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include
                             PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_options(vc_${name} PRIVATE ${VC_WARNINGS})
  target_compile_definitions(vc_${name} PRIVATE _GNU_SOURCE _FILE_OFFSET_BITS=64
                             VC_VERSION="${PROJECT_VERSION}")
  target_link_libraries(vc_${name} PRIVATE ${A_DEPS} PUBLIC ${A_PUBLIC_DEPS})
  if(NOT name STREQUAL "common")
    target_link_libraries(vc_${name} PUBLIC vc_common)
  endif()
  set_property(GLOBAL APPEND PROPERTY VC_MODULES ${name})
endfunction()

function(vc_test name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT A_SOURCES)
    set(A_SOURCES ${PROJECT_SOURCE_DIR}/tests/test_${name}.c)
  endif()
  add_executable(test_${name} ${A_SOURCES})
  target_compile_options(test_${name} PRIVATE ${VC_WARNINGS})
  target_compile_definitions(test_${name} PRIVATE _GNU_SOURCE _FILE_OFFSET_BITS=64
      VC_SOURCE_DIR="${PROJECT_SOURCE_DIR}" VC_BINARY_DIR="${PROJECT_BINARY_DIR}")
  target_link_libraries(test_${name} PRIVATE ${A_DEPS} PkgConfig::cmocka)
  add_test(NAME ${name} COMMAND test_${name})
  set_tests_properties(${name} PROPERTIES LABELS unit)
endfunction()

# vc_script_test(NAME SCRIPT): a shell test run with the vcompose binary's path
# in $VCOMPOSE, the source folder in $VC_SOURCE_DIR and a scratch folder in $VC_TMP.
function(vc_script_test name script)
  add_test(NAME ${name} COMMAND ${PROJECT_SOURCE_DIR}/tests/run-script.sh
           ${PROJECT_SOURCE_DIR}/${script})
  # exit 77: skipped (run-script.sh turns it into a failure under VC_NO_SKIP=1)
  set_tests_properties(${name} PROPERTIES LABELS script SKIP_RETURN_CODE 77
      ENVIRONMENT "VCOMPOSE=$<TARGET_FILE:vcompose>;VC_SOURCE_DIR=${PROJECT_SOURCE_DIR};VC_BUILD_DIR=${PROJECT_BINARY_DIR}")
endfunction()
