# Checks which failpoint runtime symbols a compiled probe object references.
#
#   cmake -DNM=<nm> -DOBJECT=<probe object> -DEXPECT=absent|present -P check_symbols.cmake
#
# EXPECT=absent: the object was compiled with STABLEVFS_FAILPOINTS_ENABLED=0 and must not mention Intern,
# Evaluate, EvaluateSlow, Raise, the thread-local fast path or a per-site id variable: a compiled-out site leaves
# no symbol and no call behind. EXPECT=present: the object was compiled with =1 and must mention each of them,
# which proves this check would notice a leftover. Either way the probe functions themselves must be in the
# object, so that an empty object cannot pass.
foreach(var NM OBJECT EXPECT)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_symbols.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${OBJECT}")
  message(FATAL_ERROR "probe object ${OBJECT} does not exist: build the nofailpoints probe targets first")
endif()

execute_process(COMMAND "${NM}" -C "${OBJECT}" OUTPUT_VARIABLE symbols ERROR_VARIABLE errors RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} -C ${OBJECT} failed (${rc}): ${errors}")
endif()

foreach(fn Write Grow Eval)
  if(NOT symbols MATCHES "nofailpoints_probe::${fn}\\(")
    message(FATAL_ERROR "probe function nofailpoints_probe::${fn} is missing from ${OBJECT}:\n${symbols}")
  endif()
endforeach()

# One pattern per runtime piece a live site uses.
set(pieces
    "stablevfs::fp::Intern\\("
    "stablevfs::fp::(internal::EvaluateSlow|Evaluate)\\("
    "stablevfs::fp::Raise\\("
    "stablevfs::fp::internal::tls_fast_path"
    "stablevfs_fp_site_")

string(REPLACE "\n" ";" lines "${symbols}")
set(found "")
set(missing "")
foreach(piece IN LISTS pieces)
  set(hit FALSE)
  foreach(line IN LISTS lines)
    if(line MATCHES "${piece}")
      set(hit TRUE)
      string(APPEND found "  ${line}\n")
    endif()
  endforeach()
  if(NOT hit)
    list(APPEND missing "${piece}")
  endif()
endforeach()

if(EXPECT STREQUAL "absent")
  if(NOT found STREQUAL "")
    message(FATAL_ERROR "failpoint symbols left in ${OBJECT} compiled with STABLEVFS_FAILPOINTS_ENABLED=0:\n${found}")
  endif()
  message(STATUS "ok: no failpoint symbol in ${OBJECT}")
elseif(EXPECT STREQUAL "present")
  if(NOT missing STREQUAL "")
    message(FATAL_ERROR
            "the check cannot see ${missing} in ${OBJECT} compiled with STABLEVFS_FAILPOINTS_ENABLED=1:\n${symbols}")
  endif()
  message(STATUS "ok: the check sees every failpoint symbol in ${OBJECT}:\n${found}")
else()
  message(FATAL_ERROR "EXPECT must be absent or present, not '${EXPECT}'")
endif()
