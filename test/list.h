/*
 * list.h - every test, once: TEST_ENTRY(name, "labels").
 *
 * Included by runner.c (which defines TEST_ENTRY) and parsed by
 * test/CMakeLists.txt, which registers each line as a ctest test
 * `weft_tests <name>` with those labels (space-separated):
 *   concurrency  exercises stealing, several threads or sleep/wake (run
 *                these under TSan)
 *   stress       long-running; bigger workloads
 * Keep one entry per line, exactly in this form. A TEST() defined in a .c
 * file but missing here is a configure error.
 */

/* errors, config */
TEST_ENTRY(strerror_codes, "")
TEST_ENTRY(config_defaults, "")
TEST_ENTRY(core_count, "")

/* pools */
TEST_ENTRY(pool_create_default, "concurrency")
TEST_ENTRY(pool_create_null_cfg, "concurrency")
TEST_ENTRY(pool_one_worker, "")
TEST_ENTRY(pool_worker_counts, "concurrency")
TEST_ENTRY(pool_workers_zero_is_cores, "concurrency")
TEST_ENTRY(pool_too_many_workers, "")
TEST_ENTRY(pool_bad_config, "")
TEST_ENTRY(pool_config_overflow, "")
TEST_ENTRY(pool_out_null, "")
TEST_ENTRY(pool_several_alive, "concurrency")
TEST_ENTRY(pool_use_after_destroy, "")
TEST_ENTRY(pool_zero_handle, "")
TEST_ENTRY(pool_create_destroy_many, "stress concurrency")
TEST_ENTRY(pool_destroy_from_task, "")
TEST_ENTRY(pool_wait_from_worker, "concurrency")
TEST_ENTRY(pool_destroy_waits_jobs, "concurrency")
TEST_ENTRY(pool_live_limit, "")
TEST_ENTRY(pool_destroy_race, "concurrency")

/* spawn / sync */
TEST_ENTRY(spawn_fib_ffi, "concurrency")
TEST_ENTRY(spawn_fib_macro, "concurrency")
TEST_ENTRY(spawn_lifo_many, "concurrency")
TEST_ENTRY(spawn_deep_chain, "concurrency")
TEST_ENTRY(spawn_errors, "")
TEST_ENTRY(spawn_max_args, "concurrency")
TEST_ENTRY(sync_enotask, "")
TEST_ENTRY(sync_enotask_nested, "concurrency")
TEST_ENTRY(spawn_overflow, "concurrency")
TEST_ENTRY(worker_identity, "concurrency")

/* typed tasks */
TEST_ENTRY(typed_fib, "concurrency")
TEST_ENTRY(typed_args, "concurrency")
TEST_ENTRY(typed_overflow, "concurrency")
TEST_ENTRY(typed_stats, "concurrency")

/* scratch */
TEST_ENTRY(scratch_align, "")
TEST_ENTRY(scratch_mark_reset, "")
TEST_ENTRY(scratch_exhaust, "")
TEST_ENTRY(scratch_bad_args, "")
TEST_ENTRY(scratch_root_release, "")

/* stress */
TEST_ENTRY(stress_exactly_once, "stress concurrency")
TEST_ENTRY(stress_hash_tree, "stress concurrency")
TEST_ENTRY(stress_fib_repeat, "stress concurrency")

/* root jobs */
TEST_ENTRY(roots_concurrent_threads, "stress concurrency")
TEST_ENTRY(roots_submit_wait, "concurrency")
TEST_ENTRY(roots_bad_args, "")
TEST_ENTRY(run_inline_from_worker, "concurrency")
TEST_ENTRY(run_cross_pool, "concurrency")

/* loops */
TEST_ENTRY(loop_parallel_for, "concurrency")
TEST_ENTRY(loop_pool_for, "concurrency")
TEST_ENTRY(loop_errors, "")
TEST_ENTRY(loop_nested, "concurrency")

/* stats, sleep/wake */
TEST_ENTRY(stats_fib_exact, "concurrency")
TEST_ENTRY(stats_errors, "")
TEST_ENTRY(stats_idle_sleep_wake, "concurrency")
TEST_ENTRY(sleep_wake_concurrent, "concurrency")

/* profiler */
TEST_ENTRY(profiler_start_stop, "concurrency")
TEST_ENTRY(profiler_sleep_wake, "concurrency")

/* deque internals (white-box) */
TEST_ENTRY(deque_owner_lifo, "")
TEST_ENTRY(deque_split_protocol, "")
TEST_ENTRY(deque_last_task_race, "concurrency stress")
TEST_ENTRY(deque_full_overflow, "")

/* task graphs */
TEST_ENTRY(graph_strerror, "")
TEST_ENTRY(graph_build_errors, "concurrency")
TEST_ENTRY(graph_cycles, "concurrency")
TEST_ENTRY(graph_random_dags, "concurrency")
TEST_ENTRY(graph_strategy_choice, "concurrency")
TEST_ENTRY(graph_big, "stress concurrency")
TEST_ENTRY(graph_small_stack, "concurrency")
TEST_ENTRY(graph_deferred_paths, "concurrency")
TEST_ENTRY(graph_deep_default_stack, "stress")
TEST_ENTRY(graph_node_failure, "concurrency")
TEST_ENTRY(graph_cancel, "concurrency")
TEST_ENTRY(graph_cancel_from_node, "concurrency")
TEST_ENTRY(graph_nested, "concurrency")
TEST_ENTRY(graph_run_from_task, "concurrency")
TEST_ENTRY(graph_run_n_until, "concurrency")
TEST_ENTRY(graph_concurrent, "concurrency")
TEST_ENTRY(graph_busy, "concurrency")
TEST_ENTRY(graph_rerun_no_alloc, "concurrency")
TEST_ENTRY(graph_grow_after_run, "concurrency")
TEST_ENTRY(graph_dot, "")
TEST_ENTRY(graph_names_arena, "")
TEST_ENTRY(graph_args_sizes, "concurrency")
TEST_ENTRY(graph_kept_memory, "concurrency")
TEST_ENTRY(graph_kept_named_bytes, "")

/* threading modes: POOL / CALLER (one-thread) / HOST (host-owned threads) */
TEST_ENTRY(modes_fork_join, "concurrency modes")
TEST_ENTRY(modes_overflow, "concurrency modes")
TEST_ENTRY(modes_roots, "concurrency modes")
TEST_ENTRY(modes_loops, "concurrency modes")
TEST_ENTRY(modes_graph, "concurrency modes")
TEST_ENTRY(modes_stats, "concurrency modes")
TEST_ENTRY(caller_config, "modes")
TEST_ENTRY(caller_shared_by_threads, "concurrency modes")
TEST_ENTRY(caller_cross_pool, "concurrency modes")
TEST_ENTRY(caller_profiler, "modes")
TEST_ENTRY(host_enter_errors, "concurrency modes")
TEST_ENTRY(host_enter_late, "concurrency modes")
TEST_ENTRY(host_threads_run_pool, "concurrency modes")
TEST_ENTRY(host_destroy, "concurrency modes")
TEST_ENTRY(worker_stacks, "concurrency modes")

/* launched tasks */
TEST_ENTRY(task_basic, "concurrency")
TEST_ENTRY(task_shapes, "concurrency")
TEST_ENTRY(task_completed_prereq, "concurrency")
TEST_ENTRY(task_stale_handles, "concurrency")
TEST_ENTRY(task_bad_input, "")
TEST_ENTRY(task_events, "concurrency")
TEST_ENTRY(task_event_check, "")
TEST_ENTRY(progress_all_asleep, "concurrency")
TEST_ENTRY(progress_wait_in_pool, "concurrency")
TEST_ENTRY(progress_failed_event, "concurrency")
TEST_ENTRY(progress_busy_stream, "concurrency")
TEST_ENTRY(task_failure_propagates, "concurrency")
TEST_ENTRY(task_failure_races, "concurrency")
TEST_ENTRY(task_cancel, "concurrency")
TEST_ENTRY(task_many_prereqs, "concurrency")
TEST_ENTRY(task_prereq_counts, "concurrency")
TEST_ENTRY(task_pipes, "concurrency")
TEST_ENTRY(task_pipe_cancel, "concurrency")
TEST_ENTRY(task_children, "concurrency")
TEST_ENTRY(task_children_many, "concurrency")
TEST_ENTRY(task_wait_inside, "concurrency")
TEST_ENTRY(task_modes, "concurrency")
TEST_ENTRY(task_memory_bounded, "stress")
TEST_ENTRY(task_throttle_elsewhere, "concurrency")
TEST_ENTRY(task_random_dags, "concurrency")
TEST_ENTRY(task_host_never_entered, "")

/* timeline traces (the JSON of real runs: ctest trace_check) */
TEST_ENTRY(trace_errors, "concurrency")
