# bn_add_board(<board>): lwIP and boardnet's own libraries built with one board
# profile (stack/boards/<board>/lwipopts.h):
#   lwip_<board>      lwIP core, IPv4/IPv6, api, ethernet, a sys_arch and the
#                     per-thread netconn semaphores (stack/bn_thread_sem.c)
#   boardnet_<board>  netif/ + stack/ (+ usocket/) on top of it
# stack/boards/<board>/board.cmake sets BN_BOARD_SYS_ARCH: "port" (the unix
# port's sys_arch.c) or "boardnet" (stack/bn_sys_arch.c, sized mailboxes).

# The board clock, read by netif/, stack/ and bn_sys_arch.c alike.
add_library(bn_clock STATIC ${CMAKE_SOURCE_DIR}/netif/bn_clock.c)
target_compile_options(bn_clock PRIVATE ${BN_WARNINGS})

set(BN_NETIF_SRCS
  ${CMAKE_SOURCE_DIR}/netif/bn_netif.c
  ${CMAKE_SOURCE_DIR}/netif/link_memory.c
  ${CMAKE_SOURCE_DIR}/netif/link_tap.c
  ${CMAKE_SOURCE_DIR}/netif/tap_uring.c
)
# liburing: the TAP link's batched I/O (netif/tap_uring.c).
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBURING IMPORTED_TARGET liburing)
if(NOT LIBURING_FOUND)
  message(FATAL_ERROR "liburing not found (pkg-config liburing): install liburing-dev "
                      "(sudo tools/setup does)")
endif()
set(BN_STACK_SRCS
  ${CMAKE_SOURCE_DIR}/stack/bn_board.c
  ${CMAKE_SOURCE_DIR}/stack/bn_config.c
  ${CMAKE_SOURCE_DIR}/stack/bn_stack.c
)

set(BN_USOCKET_SRCS
  ${CMAKE_SOURCE_DIR}/usocket/usocket_conn.c
  ${CMAKE_SOURCE_DIR}/usocket/usocket_core.c
  ${CMAKE_SOURCE_DIR}/usocket/usocket_dns.c
  ${CMAKE_SOURCE_DIR}/usocket/usocket_io.c
  ${CMAKE_SOURCE_DIR}/usocket/usocket_poll.c
  ${CMAKE_SOURCE_DIR}/usocket/usocket_stream.c
)

function(bn_add_board board)
  set(BN_BOARD_SYS_ARCH port)
  include(${CMAKE_SOURCE_DIR}/stack/boards/${board}/board.cmake OPTIONAL)
  if(BN_BOARD_SYS_ARCH STREQUAL "boardnet")
    set(sys_arch ${CMAKE_SOURCE_DIR}/stack/bn_sys_arch.c)
  elseif(BN_BOARD_SYS_ARCH STREQUAL "port")
    set(sys_arch ${LWIP_PORT_DIR}/sys_arch.c)
  else()
    message(FATAL_ERROR "stack/boards/${board}/board.cmake: BN_BOARD_SYS_ARCH must be port or boardnet")
  endif()

  add_library(lwip_${board} STATIC
    ${lwipcore_SRCS} ${lwipcore4_SRCS} ${lwipcore6_SRCS} ${lwipapi_SRCS}
    ${LWIP_DIR}/src/netif/ethernet.c ${sys_arch} ${CMAKE_SOURCE_DIR}/stack/bn_thread_sem.c)
  # The board's lwipopts.h must come before the port's include dir, whose
  # lwipopts.h is a GNU/Hurd configuration.
  target_include_directories(lwip_${board} PUBLIC
    ${CMAKE_SOURCE_DIR}/stack/boards/${board}
    ${LWIP_DIR}/src/include
    ${LWIP_PORT_DIR}/include
    ${CMAKE_SOURCE_DIR}/netif)
  target_link_libraries(lwip_${board} PUBLIC bn_clock Threads::Threads)
  # lwIP itself builds with the compiler's default warnings (it is not our
  # code); our sys_arch in it builds with ours.
  set_source_files_properties(${CMAKE_SOURCE_DIR}/stack/bn_sys_arch.c ${CMAKE_SOURCE_DIR}/stack/bn_thread_sem.c
    PROPERTIES COMPILE_OPTIONS "${BN_WARNINGS}")

  add_library(boardnet_${board} STATIC ${BN_NETIF_SRCS} ${BN_STACK_SRCS} ${BN_USOCKET_SRCS})
  target_include_directories(boardnet_${board} PUBLIC
    ${CMAKE_SOURCE_DIR}/netif ${CMAKE_SOURCE_DIR}/stack ${CMAKE_SOURCE_DIR}/usocket)
  target_compile_options(boardnet_${board} PRIVATE ${BN_WARNINGS})
  target_compile_definitions(boardnet_${board} PRIVATE BN_SYS_ARCH_NAME="${BN_BOARD_SYS_ARCH}")
  target_link_libraries(boardnet_${board} PUBLIC lwip_${board} PRIVATE PkgConfig::LIBURING)
endfunction()
