# Read by cpack for each package: each component's description starts with
# its own summary line, so the project's one summary must not be put before
# it (CPackDeb prepends CPACK_PACKAGE_DESCRIPTION_SUMMARY when it is set).
unset(CPACK_PACKAGE_DESCRIPTION_SUMMARY)
