# The version lives in one place, the VERSION file at the top of the tree
# ("MAJOR.MINOR.PATCH"). CMake reads it for project(); weft.pc and the CMake
# package's version file are generated from it. Two copies cannot be
# generated without making the header or js/package.json build products, so
# they are checked here instead: configuring fails if include/weft.h's
# WEFT_VERSION_* macros or js/package.json's "version" disagree with VERSION.
# To release: edit VERSION, weft.h and js/package.json together.

function(weft_read_version out)
  file(STRINGS ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../VERSION v LIMIT_COUNT 1)
  string(STRIP "${v}" v)
  if(NOT v MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+$")
    message(FATAL_ERROR "VERSION: expected MAJOR.MINOR.PATCH, found '${v}'")
  endif()
  set(${out} ${v} PARENT_SCOPE)
endfunction()

function(weft_check_version version)
  set(root ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/..)
  set(found "")
  file(STRINGS ${root}/include/weft.h defs REGEX "^#define WEFT_VERSION_(MAJOR|MINOR|PATCH) ")
  foreach(part MAJOR MINOR PATCH)
    set(v "?")
    foreach(d IN LISTS defs)
      if(d MATCHES "^#define WEFT_VERSION_${part} +([0-9]+)")
        set(v ${CMAKE_MATCH_1})
      endif()
    endforeach()
    list(APPEND found ${v})
  endforeach()
  list(JOIN found "." header)
  if(NOT header STREQUAL version)
    message(FATAL_ERROR "include/weft.h says version ${header} (WEFT_VERSION_MAJOR/MINOR/PATCH), "
                        "VERSION says ${version}: make them agree")
  endif()
  if(EXISTS ${root}/js/package.json)
    file(READ ${root}/js/package.json pkg)
    string(JSON js GET "${pkg}" version)
    if(NOT js STREQUAL version)
      message(FATAL_ERROR "js/package.json says version ${js}, VERSION says ${version}: "
                          "make them agree")
    endif()
  endif()
endfunction()
