# The installed layout (GNUInstallDirs), shared by `cmake --install` and
# debian/rules. With --prefix /usr: /usr/sbin/dnsleakd, /usr/bin/dnsleakctl,
# /etc/dnsleak/dnsleakd.yaml, /usr/share/dnsleak/, /usr/lib/systemd/system/.

# Relative to the prefix unless given absolute (debian/rules does).
set(DNSLEAK_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING "where the systemd unit is installed")
set(DNSLEAK_SYSUSERS_DIR "lib/sysusers.d" CACHE STRING "where the sysusers.d entry is installed")

install(TARGETS dnsleakd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS dnsleakctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The only conffile: short; every key is in dnsleakd.yaml(5) and in the
# commented reference under the documentation.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/dnsleakd.yaml DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/dnsleak)

# Data the package updates without asking: the resolver list, and the API
# for other programs.
install(FILES ${PROJECT_SOURCE_DIR}/config/resolvers/public-resolvers.txt DESTINATION ${CMAKE_INSTALL_DATADIR}/dnsleak)
install(FILES ${PROJECT_SOURCE_DIR}/proto/dnsleak/v1/dnsleak.proto
  DESTINATION ${CMAKE_INSTALL_DATADIR}/dnsleak/proto/dnsleak/v1)

# The service: the unit names the installed paths.
configure_file(${PROJECT_SOURCE_DIR}/packaging/dnsleakd.service.in ${PROJECT_BINARY_DIR}/dnsleakd.service @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/dnsleakd.service DESTINATION ${DNSLEAK_SYSTEMD_UNIT_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/dnsleak.sysusers DESTINATION ${DNSLEAK_SYSUSERS_DIR} RENAME dnsleak.conf)

# Documentation, and the full commented config as an example.
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/architecture.md
  ${PROJECT_SOURCE_DIR}/docs/policy.md ${PROJECT_SOURCE_DIR}/docs/corpus.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/config/dnsleakd.yaml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# Man pages from scdoc sources (docs/man/*.scd), built with the binaries.
find_program(SCDOC scdoc REQUIRED)
set(DNSLEAK_MAN_PAGES dnsleakd.8 dnsleakctl.1 dnsleakd.yaml.5)
set(DNSLEAK_MAN_OUTPUTS)
foreach(page ${DNSLEAK_MAN_PAGES})
  set(source ${PROJECT_SOURCE_DIR}/docs/man/${page}.scd)
  set(output ${PROJECT_BINARY_DIR}/man/${page})
  add_custom_command(OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND sh -c "${SCDOC} < '${source}' > '${output}'"
    DEPENDS ${source} COMMENT "man page ${page}" VERBATIM)
  list(APPEND DNSLEAK_MAN_OUTPUTS ${output})
  string(REGEX MATCH "[0-9]$" section ${page})
  install(FILES ${output} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(man ALL DEPENDS ${DNSLEAK_MAN_OUTPUTS})

# Bash completion for dnsleakctl.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/dnsleakctl.bash-completion
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME dnsleakctl)
