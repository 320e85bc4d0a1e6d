# Debian packages from the install rules, built by CPack (scripts/package.sh):
#   libipc0         the shared library                      (component Runtime)
#   libipc-dev      headers, CMake package, pkg-config file, ipc-repc (Development)
#   ipcctl          the command-line tool                   (Tools)
#   ipc-monitor     the monitor, its desktop file and icon  (Monitor)
#   python3-libipc  the Python package                      (Python)
# Dependencies on Debian's libraries come from dpkg-shlibdeps; those between
# these packages are exact versions.
include(GNUInstallDirs)

# The Python package goes only into its Debian package: a plain
# `cmake --install` leaves Python to pip (python/README.md).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/python/libipc
    DESTINATION lib/python3/dist-packages
    COMPONENT Python EXCLUDE_FROM_ALL
    PATTERN __pycache__ EXCLUDE)

# Each package carries its copyright file and a changelog in Debian's format
# (a native package: the version has no Debian revision).
set(LIBIPC_PACKAGE_MAINTAINER "libipc maintainers <maintainers@libipc.invalid>" CACHE STRING
    "The Maintainer field of the Debian packages: whoever publishes them puts their own")
# SOURCE_DATE_EPOCH, when set, makes the date (and so the packages) reproducible.
string(TIMESTAMP LIBIPC_PACKAGE_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.in
    ${CMAKE_CURRENT_BINARY_DIR}/packaging/changelog @ONLY)
execute_process(COMMAND gzip -9nc ${CMAKE_CURRENT_BINARY_DIR}/packaging/changelog
    OUTPUT_FILE ${CMAKE_CURRENT_BINARY_DIR}/packaging/changelog.gz)

set(LIBIPC_PACKAGES
    Runtime libipc0
    Development libipc-dev
    Tools ipcctl
    Monitor ipc-monitor
    Python python3-libipc)
set(LIBIPC_PACKAGE_COMPONENTS "")
while(LIBIPC_PACKAGES)
    list(POP_FRONT LIBIPC_PACKAGES component package)
    list(APPEND LIBIPC_PACKAGE_COMPONENTS ${component})
    string(TOUPPER ${component} upper)
    set(CPACK_DEBIAN_${upper}_PACKAGE_NAME ${package})
    install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright
                  ${CMAKE_CURRENT_BINARY_DIR}/packaging/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package}
        COMPONENT ${component} EXCLUDE_FROM_ALL)
endwhile()

set(CPACK_GENERATOR DEB)
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/packaging/cpack_project_config.cmake)
set(CPACK_PACKAGE_NAME libipc)
set(CPACK_PACKAGE_VENDOR "libipc")
set(CPACK_PACKAGE_CONTACT "${LIBIPC_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_COMPONENTS_ALL ${LIBIPC_PACKAGE_COMPONENTS})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The programs need libipc.so.0 before libipc0 is installed anywhere:
# dpkg-shlibdeps finds it in the build, and the dependency on libipc0 comes
# from the components' own DEPENDS.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/libipc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
"signals-and-slots IPC for Qt 6 (shared library)
libipc lets Qt processes talk through messages, requests and remote objects
(signals, slots and properties) over local sockets and TCP, encrypted by
default with the Noise protocol and OpenSSL. It speaks golang-ipc v2 and
MinIPC's wire formats too.
.
This package holds the shared library.")
# Programs linked against libipc0 get a versioned dependency on it (shlibs),
# and the library cache is refreshed by dpkg's trigger.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
configure_file(${PROJECT_SOURCE_DIR}/packaging/libipc0.triggers
    ${CMAKE_CURRENT_BINARY_DIR}/packaging/runtime/triggers COPYONLY)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_BINARY_DIR}/packaging/runtime/triggers)

set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEVELOPMENT_DEPENDS Runtime)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS "qt6-base-dev (>= 6.4), libssl-dev (>= 3.0)")
set(CPACK_COMPONENT_DEVELOPMENT_DESCRIPTION
"signals-and-slots IPC for Qt 6 (development files)
libipc lets Qt processes talk through messages, requests and remote objects
over local sockets and TCP, encrypted by default.
.
This package holds the headers, the CMake package (find_package(libipc)),
the pkg-config file and ipc-repc, which generates remote-object classes
from interface files (NAME.rep).")

set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION net)
set(CPACK_COMPONENT_TOOLS_DEPENDS Runtime)
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
"command-line tool for libipc servers, clients and remote objects
ipcctl listens, sends, pings and watches libipc endpoints, and reads, sets,
calls and watches remote objects, from a shell or a script.")

set(CPACK_DEBIAN_MONITOR_PACKAGE_SECTION net)
set(CPACK_COMPONENT_MONITOR_DEPENDS Runtime)
set(CPACK_COMPONENT_MONITOR_DESCRIPTION
"live view of libipc processes, connections and traffic
ipc-monitor shows the libipc processes that report to it, their endpoints,
connections, message types, rates and encryption state; it records and
replays sessions and runs headless with --cli.")

set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
set(CPACK_DEBIAN_PYTHON_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "python3 (>= 3.9), python3-cryptography, python3-cbor2")
set(CPACK_DEBIAN_PYTHON_PACKAGE_SHLIBDEPS OFF)
# The maintainer scripts byte-compile the modules (py3compile) and clean up.
foreach(script postinst prerm)
    configure_file(${PROJECT_SOURCE_DIR}/packaging/python3-libipc.${script}
        ${CMAKE_CURRENT_BINARY_DIR}/packaging/python/${script} COPYONLY)
    list(APPEND CPACK_DEBIAN_PYTHON_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_BINARY_DIR}/packaging/python/${script})
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_COMPONENT_PYTHON_DESCRIPTION
"Python peer for libipc processes
The libipc package for Python talks to libipc (Qt) processes over their
native protocol: Noise encryption, acknowledgements, request/reply and
remote objects, with asyncio and a blocking API.")

include(CPack)
