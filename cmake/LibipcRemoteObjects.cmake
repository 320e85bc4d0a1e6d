# ipc_generate_remote_objects(TARGET FILES a.rep [b.rep ...])
#
# Runs ipc-repc on each .rep file and adds NAME_source.h and NAME_replica.h
# (in the build tree, on TARGET's include path) to TARGET, with their moc
# output (the target needs no AUTOMOC). A program that hosts the object
# includes NAME_source.h, one that acquires it NAME_replica.h; both come
# from the same file.
function(ipc_generate_remote_objects target)
    cmake_parse_arguments(ARG "" "" "FILES" ${ARGN})
    if(NOT ARG_FILES)
        message(FATAL_ERROR "ipc_generate_remote_objects(${target}): no FILES given")
    endif()
    # Qt's moc as seen from the caller's directory (imported targets are
    # per directory, and a vendoring parent may not have looked for Qt).
    find_package(Qt6 REQUIRED COMPONENTS Core)
    # One directory per target: two targets may generate from the same file.
    set(output_dir ${CMAKE_CURRENT_BINARY_DIR}/${target}_remote_objects)
    foreach(rep ${ARG_FILES})
        get_filename_component(rep_path ${rep} ABSOLUTE)
        get_filename_component(stem ${rep} NAME_WE)
        set(outputs ${output_dir}/${stem}_source.h ${output_dir}/${stem}_replica.h)
        add_custom_command(
            OUTPUT ${outputs}
            COMMAND libipc::ipc-repc -o ${output_dir} ${rep_path}
            DEPENDS ${rep_path} libipc::ipc-repc
            COMMENT "Generating the remote-object interface ${stem} (ipc-repc)"
            VERBATIM)
        # moc runs on them here, whether or not the target uses AUTOMOC.
        set_source_files_properties(${outputs} PROPERTIES SKIP_AUTOMOC ON)
        qt6_wrap_cpp(moc_sources ${outputs} TARGET ${target})
        target_sources(${target} PRIVATE ${outputs} ${moc_sources})
    endforeach()
    target_include_directories(${target} PRIVATE ${output_dir})
endfunction()
