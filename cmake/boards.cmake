# bn_add_board(<board>): lwIP and boardnet's own libraries built with one board
# profile (stack/boards/<board>/lwipopts.h):
#   lwip_<board>      lwIP core, IPv4/IPv6, api, ethernet, boardnet's sys_arch
#                     (stack/bn_sys_arch.c: the one clock, sized mailboxes),
#                     the per-thread netconn semaphores (stack/bn_thread_sem.c)
#   boardnet_<board>  netif/ + stack/ (+ usocket/) on top of it
# stack/boards/<board>/board.cmake (optional) may set more per-board build
# settings.

# The bottom of the chain, read by netif/, stack/ and bn_sys_arch.c alike:
# the board's clock and its seeded random streams.
add_library(bn_base STATIC ${CMAKE_SOURCE_DIR}/netif/bn_clock.c ${CMAKE_SOURCE_DIR}/netif/bn_random.c)
target_include_directories(bn_base PUBLIC ${CMAKE_SOURCE_DIR}/netif)
target_compile_options(bn_base PRIVATE ${BN_WARNINGS})
target_link_libraries(bn_base PUBLIC Threads::Threads)

set(BN_NETIF_SRCS
  ${CMAKE_SOURCE_DIR}/netif/bn_netif.c
  ${CMAKE_SOURCE_DIR}/netif/bn_pipeline.c
  ${CMAKE_SOURCE_DIR}/netif/impair_decide.c
  ${CMAKE_SOURCE_DIR}/netif/impair_models.c
  ${CMAKE_SOURCE_DIR}/netif/impair_queue.c
  ${CMAKE_SOURCE_DIR}/netif/link_impair.c
  ${CMAKE_SOURCE_DIR}/netif/link_memory.c
  ${CMAKE_SOURCE_DIR}/netif/link_pcap.c
  ${CMAKE_SOURCE_DIR}/netif/link_record.c
  ${CMAKE_SOURCE_DIR}/netif/pcap_source.c
  ${CMAKE_SOURCE_DIR}/netif/record_writer.c
  ${CMAKE_SOURCE_DIR}/netif/replay_census.c
  ${CMAKE_SOURCE_DIR}/netif/replay_frame.c
  ${CMAKE_SOURCE_DIR}/netif/replay_compare.c
  ${CMAKE_SOURCE_DIR}/netif/replay_inject.c
  ${CMAKE_SOURCE_DIR}/netif/replay_live.c
  ${CMAKE_SOURCE_DIR}/netif/replay_plan.c
  ${CMAKE_SOURCE_DIR}/netif/replay_report.c
  ${CMAKE_SOURCE_DIR}/netif/link_tap.c
  ${CMAKE_SOURCE_DIR}/netif/tap_carrier.c
  ${CMAKE_SOURCE_DIR}/netif/tap_uring.c
)
# liburing: the TAP link's batched I/O (netif/tap_uring.c).
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBURING IMPORTED_TARGET liburing)
if(NOT LIBURING_FOUND)
  message(FATAL_ERROR "liburing not found (pkg-config liburing): install liburing-dev "
                      "(sudo tools/setup does)")
endif()
# libpcap: every pcap read, write and filter (netif/link_record.c, ...).
pkg_check_modules(LIBPCAP IMPORTED_TARGET libpcap)
if(NOT LIBPCAP_FOUND)
  message(FATAL_ERROR "libpcap not found (pkg-config libpcap): install libpcap-dev "
                      "(sudo tools/setup does)")
endif()
# The scenario language (scenarios/): plain data, no lwIP, one library for
# every board; libpcap compiles its match filters.
add_library(bn_scenarios STATIC
  ${CMAKE_SOURCE_DIR}/scenarios/scn_lex.c
  ${CMAKE_SOURCE_DIR}/scenarios/scn_netem_words.c
  ${CMAKE_SOURCE_DIR}/scenarios/scn_parse.c
  ${CMAKE_SOURCE_DIR}/scenarios/scn_reader.c
  ${CMAKE_SOURCE_DIR}/scenarios/scn_print.c
  ${CMAKE_SOURCE_DIR}/scenarios/scn_units.c)
target_include_directories(bn_scenarios PUBLIC ${CMAKE_SOURCE_DIR}/scenarios)
target_compile_options(bn_scenarios PRIVATE ${BN_WARNINGS})
target_link_libraries(bn_scenarios PUBLIC PkgConfig::LIBPCAP m)

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
  include(${CMAKE_SOURCE_DIR}/stack/boards/${board}/board.cmake OPTIONAL)
  set(sys_arch ${CMAKE_SOURCE_DIR}/stack/bn_sys_arch.c)

  add_library(lwip_${board} STATIC
    ${lwipcore_SRCS} ${lwipcore4_SRCS} ${lwipcore6_SRCS} ${lwipapi_SRCS}
    ${LWIP_DIR}/src/netif/ethernet.c ${sys_arch} ${CMAKE_SOURCE_DIR}/stack/bn_thread_sem.c
    ${CMAKE_SOURCE_DIR}/stack/bn_lwip_random.c ${CMAKE_SOURCE_DIR}/stack/bn_pool_faults.c
    ${CMAKE_SOURCE_DIR}/stack/bn_chksum.c)
  # A scenario's pool faults (stack/bn_pool_faults.c) meet lwIP's own
  # allocations: every program linking lwIP goes through the wrappers.
  target_link_options(lwip_${board} INTERFACE "LINKER:--wrap=memp_malloc,--wrap=mem_malloc")
  # The board's lwipopts.h must come before the port's include dir, whose
  # lwipopts.h is a GNU/Hurd configuration; stack/port (arch/cc.h, which
  # includes the port's) too.
  target_include_directories(lwip_${board} PUBLIC
    ${CMAKE_SOURCE_DIR}/stack/boards/${board}
    ${CMAKE_SOURCE_DIR}/stack/port
    ${LWIP_DIR}/src/include
    ${LWIP_PORT_DIR}/include
    ${CMAKE_SOURCE_DIR}/netif)
  target_link_libraries(lwip_${board} PUBLIC bn_base Threads::Threads)
  # lwIP itself builds with the compiler's default warnings (it is not our
  # code); our sys_arch in it builds with ours.
  set_source_files_properties(${CMAKE_SOURCE_DIR}/stack/bn_sys_arch.c ${CMAKE_SOURCE_DIR}/stack/bn_thread_sem.c
    ${CMAKE_SOURCE_DIR}/stack/bn_lwip_random.c ${CMAKE_SOURCE_DIR}/stack/bn_pool_faults.c
    ${CMAKE_SOURCE_DIR}/stack/bn_chksum.c PROPERTIES COMPILE_OPTIONS "${BN_WARNINGS}")

  add_library(boardnet_${board} STATIC ${BN_NETIF_SRCS} ${BN_STACK_SRCS} ${BN_USOCKET_SRCS})
  target_include_directories(boardnet_${board} PUBLIC
    ${CMAKE_SOURCE_DIR}/netif ${CMAKE_SOURCE_DIR}/stack ${CMAKE_SOURCE_DIR}/usocket)
  target_compile_options(boardnet_${board} PRIVATE ${BN_WARNINGS})
  target_compile_definitions(boardnet_${board} PRIVATE BN_SYS_ARCH_NAME="boardnet")
  target_link_libraries(boardnet_${board} PUBLIC lwip_${board} bn_scenarios PkgConfig::LIBPCAP PRIVATE PkgConfig::LIBURING)
endfunction()
