# Manual pages for the installed programs, made from their --help and
# --version by help2man when it is installed (Debian's help2man).
find_program(LIBIPC_HELP2MAN help2man)

# libipc_add_man_page(target component summary): TARGET.1.gz, installed in
# man1 with COMPONENT.
function(libipc_add_man_page target component summary)
    if(NOT LIBIPC_HELP2MAN OR NOT LIBIPC_INSTALL)
        return()
    endif()
    set(page ${CMAKE_CURRENT_BINARY_DIR}/${target}.1)
    add_custom_command(OUTPUT ${page}.gz
        COMMAND ${LIBIPC_HELP2MAN} --no-info --name=${summary} --output=${page}
            $<TARGET_FILE:${target}>
        COMMAND gzip -9nf ${page}
        DEPENDS ${target}
        COMMENT "Writing the manual page of ${target} (help2man)"
        VERBATIM)
    add_custom_target(${target}_man_page ALL DEPENDS ${page}.gz)
    install(FILES ${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT ${component})
endfunction()
