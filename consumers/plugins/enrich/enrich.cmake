# The enrich plugin's data (docs/enrich.md): the committed tables are copied,
# the gazetteer is generated from Debian packages (iso-codes, libgeonames0
# via python3-gi, wamerican) by tools/enrich/gen_gazetteer.py, all into
# <build>/share/newswire/enrich and installed to <datadir>/newswire/enrich.
# Language detection reads libexttextcat's fingerprints (package
# libexttextcat-data); it scores them itself (docs/enrich.md, "Language").
if(NOT EXISTS /usr/share/libexttextcat/fpdb.conf)
  message(FATAL_ERROR "enrich: /usr/share/libexttextcat missing (deploy/deps.sh installs "
                      "libexttextcat-data)")
endif()

set(NW_ENRICH_SRC ${CMAKE_CURRENT_SOURCE_DIR}/plugins/enrich)
set(NW_ENRICH_BUILD_DATA ${CMAKE_BINARY_DIR}/share/newswire/enrich)
set(NW_ENRICH_INSTALL_DATA ${CMAKE_INSTALL_FULL_DATADIR}/newswire/enrich)
target_compile_definitions(nwconsumer PRIVATE
  NW_ENRICH_DATA_BUILD_DIR="${NW_ENRICH_BUILD_DATA}"
  NW_ENRICH_DATA_INSTALL_DIR="${NW_ENRICH_INSTALL_DATA}")

# Debian's python3 (python3-gi lives there), not a pyenv or venv one
find_program(NW_SYSTEM_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
file(GLOB NW_LIBGEONAMES /usr/lib/*/libgeonames.so.0*)
set(NW_GAZ_ARGS "")
if(NOT NW_LIBGEONAMES OR NOT EXISTS /usr/bin/gresource)
  message(WARNING "enrich: libgeonames0 or libglib2.0-bin missing (deploy/deps.sh installs "
                  "them): the gazetteer will have no cities")
  set(NW_GAZ_ARGS --no-cities)
endif()
add_custom_command(
  OUTPUT ${NW_ENRICH_BUILD_DATA}/gazetteer.tsv
  COMMAND ${CMAKE_COMMAND} -E make_directory ${NW_ENRICH_BUILD_DATA}
  COMMAND ${NW_SYSTEM_PYTHON3} ${CMAKE_SOURCE_DIR}/tools/enrich/gen_gazetteer.py
          ${NW_ENRICH_BUILD_DATA}/gazetteer.tsv ${NW_GAZ_ARGS}
  DEPENDS ${CMAKE_SOURCE_DIR}/tools/enrich/gen_gazetteer.py
  COMMENT "enrich: generating the gazetteer")
add_custom_command(
  OUTPUT ${NW_ENRICH_BUILD_DATA}/textcat.conf
  COMMAND ${CMAKE_COMMAND} -E make_directory ${NW_ENRICH_BUILD_DATA}
  COMMAND ${NW_SYSTEM_PYTHON3} ${CMAKE_SOURCE_DIR}/tools/enrich/gen_textcat_conf.py
          ${NW_ENRICH_BUILD_DATA}/textcat.conf
  DEPENDS ${CMAKE_SOURCE_DIR}/tools/enrich/gen_textcat_conf.py
  COMMENT "enrich: choosing the languages to detect")
set(NW_ENRICH_COPIED ${NW_ENRICH_BUILD_DATA}/textcat.conf)
foreach(f mediatopics.tsv topic_keywords.tsv entities.tsv nonorgs.tsv)
  add_custom_command(
    OUTPUT ${NW_ENRICH_BUILD_DATA}/${f}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${NW_ENRICH_BUILD_DATA}
    COMMAND ${CMAKE_COMMAND} -E copy ${NW_ENRICH_SRC}/data/${f} ${NW_ENRICH_BUILD_DATA}/${f}
    DEPENDS ${NW_ENRICH_SRC}/data/${f})
  list(APPEND NW_ENRICH_COPIED ${NW_ENRICH_BUILD_DATA}/${f})
endforeach()
add_custom_target(enrich-data ALL DEPENDS ${NW_ENRICH_BUILD_DATA}/gazetteer.tsv ${NW_ENRICH_COPIED})
add_dependencies(nwconsumer enrich-data)
install(FILES ${NW_ENRICH_BUILD_DATA}/gazetteer.tsv ${NW_ENRICH_COPIED} ${NW_ENRICH_SRC}/NOTICE
        DESTINATION ${CMAKE_INSTALL_DATADIR}/newswire/enrich)
