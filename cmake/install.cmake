# cmake --install: the static and shared libraries, the headers, a CMake
# package (find_package(weft 0.2 CONFIG REQUIRED) -> weft::weft, the static
# library, and weft::weft_shared) and weft.pc for pkg-config. Everything is
# relative to the prefix given at install time (cmake --install --prefix P):
# the CMake package is relocatable by construction, and weft.pc finds the
# prefix from its own place (${pcfiledir}).
include(CMakePackageConfigHelpers)

set(WEFT_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/weft)
install(TARGETS weft weft_shared EXPORT weftTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES include/weft.h include/weft.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT weftTargets NAMESPACE weft:: DESTINATION ${WEFT_CMAKEDIR})

configure_package_config_file(cmake/weftConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/weftConfig.cmake
                              INSTALL_DESTINATION ${WEFT_CMAKEDIR})
# Before 1.0 a minor version may change the API: 0.2 accepts 0.2.x only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/weftConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/weftConfig.cmake ${PROJECT_BINARY_DIR}/weftConfigVersion.cmake
        DESTINATION ${WEFT_CMAKEDIR})

# weft.pc lives in LIBDIR/pkgconfig: the prefix is as many ".." above it as
# that path has parts (absolute install dirs are used as they are).
set(WEFT_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${WEFT_PC_DIR}")
  set(WEFT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  string(REGEX REPLACE "[^/]+" ".." up "${WEFT_PC_DIR}")
  set(WEFT_PC_PREFIX "\${pcfiledir}/${up}")
endif()
foreach(d LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${d}}")
    set(WEFT_PC_${d} "${CMAKE_INSTALL_${d}}")
  else()
    set(WEFT_PC_${d} "\${prefix}/${CMAKE_INSTALL_${d}}")
  endif()
endforeach()
set(WEFT_PC_LIBS_PRIVATE "-pthread")
if(WEFT_PRIM STREQUAL "win")
  string(APPEND WEFT_PC_LIBS_PRIVATE " -lsynchronization")
endif()
configure_file(cmake/weft.pc.in ${PROJECT_BINARY_DIR}/weft.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/weft.pc DESTINATION ${WEFT_PC_DIR})
