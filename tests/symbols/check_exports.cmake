# Checks the dynamic symbol table of libhelionrt.so:
#   - every defined global symbol starts with hrt_ (nothing else leaks: no C++
#     internals, no std:: template instances, no vendored libraries);
#   - every function the public header declares with HRT_API is exported.
# Usage: cmake -DNM=<nm> -DLIBRARY=<libhelionrt.so> -DHEADER=<helionrt.h> -P check_exports.cmake
foreach(var NM LIBRARY HEADER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_exports.cmake: -D${var}=... is required")
  endif()
endforeach()

execute_process(COMMAND ${NM} -D --defined-only ${LIBRARY}
                OUTPUT_VARIABLE nm_out ERROR_VARIABLE nm_err RESULT_VARIABLE nm_rc)
if(NOT nm_rc EQUAL 0)
  message(FATAL_ERROR "${NM} -D --defined-only ${LIBRARY} failed (${nm_rc}): ${nm_err}")
endif()

# Lines are "<address> <type> <name>"; lowercase types are local, except
# u (unique global), v and w (weak), which are global too.
string(REPLACE "\n" ";" lines "${nm_out}")
set(exported "")
set(leaked "")
foreach(line IN LISTS lines)
  if(line MATCHES "^[0-9a-fA-F]* *([A-Za-z]) (.+)$")
    set(type "${CMAKE_MATCH_1}")
    set(name "${CMAKE_MATCH_2}")
    if(type MATCHES "^[A-Zuvw]$")
      if(name MATCHES "^hrt_")
        list(APPEND exported "${name}")
      else()
        list(APPEND leaked "${type} ${name}")
      endif()
    endif()
  endif()
endforeach()

file(READ ${HEADER} header)
string(REGEX MATCHALL "HRT_API[^(]*\\(" declarations "${header}")
set(missing "")
set(declared_count 0)
foreach(decl IN LISTS declarations)
  if(decl MATCHES "(hrt_[a-z0-9_]+)\\($")
    math(EXPR declared_count "${declared_count} + 1")
    list(FIND exported "${CMAKE_MATCH_1}" found)
    if(found EQUAL -1)
      list(APPEND missing "${CMAKE_MATCH_1}")
    endif()
  endif()
endforeach()

list(LENGTH exported exported_count)
message(STATUS "${LIBRARY}: ${exported_count} hrt_ symbols exported, ${declared_count} declared")
if(leaked)
  list(JOIN leaked "\n  " leaked_text)
  message(SEND_ERROR "global symbols without the hrt_ prefix:\n  ${leaked_text}")
endif()
if(missing)
  list(JOIN missing "\n  " missing_text)
  message(SEND_ERROR "declared with HRT_API but not exported:\n  ${missing_text}")
endif()
if(declared_count EQUAL 0)
  message(SEND_ERROR "found no HRT_API declarations in ${HEADER}")
endif()
