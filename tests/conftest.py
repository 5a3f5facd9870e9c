"""Shared fixtures: real voices and models, loaded once per test session."""
from __future__ import annotations

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# torch threads spin while waiting; beside ONNX Runtime on 2 cores that slows both 5-20x.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402

THREADS = 2


@pytest.fixture(scope="session")
def heart():
    from enunciate import load_voice

    return load_voice("heart", THREADS)


@pytest.fixture(scope="session")
def joe():
    from enunciate import load_voice

    return load_voice("joe", THREADS)


@pytest.fixture(scope="session")
def kokoro():
    from enunciate import load_voice

    return load_voice("kokoro", THREADS)


@pytest.fixture(scope="session")
def voices(heart, joe, kokoro):
    return {"heart": heart, "joe": joe, "kokoro": kokoro}


# `make test` must stay under 15 minutes on a slow 2-core machine. These end-to-end tests (each 5-60 s
# there) run in `make test-heavy`, which CI runs after `make test`; every capability keeps at least
# one real-model test in `make test`.
HEAVY = {
    "test_serve.py::test_loudness_is_one_gain_for_the_whole_output",
    "test_serve.py::test_shutdown_finishes_requests_in_flight",
    "test_serve.py::test_api_key_and_capacity",
    "test_serve.py::test_enunciate_endpoint_gives_words_tied_to_the_input_and_captions",
    "test_clone.py::test_clone_with_cmaes_saves_a_folder_that_speaks",
    "test_clone.py::test_low_rate_noise_and_different_speakers_warn",
    "test_clone.py::test_train_encoder_lowers_the_loss_separates_speakers_and_resumes",
    "test_clone.py::test_style_space_and_cmaes",
    "test_clone.py::test_voices_map_cli",
    "test_voice_mix.py::test_pitch_like_a_reference_clip",
    "test_voice_mix.py::test_a_pitch_shift_moves_the_sound_and_keeps_the_rhythm",
    "test_optimize_onnx.py::test_joe_variant_is_a_complete_voice_folder_that_speaks[ort-int8-static]",
    "test_optimize_onnx.py::test_kokoro_int8_only_on_matmul_turns_its_convolutions_back_to_fp32",
    "test_optimize_onnx.py::test_joe_variant_is_a_complete_voice_folder_that_speaks[ort-fp16]",
    "test_optimize_onnx.py::test_joe_variant_is_a_complete_voice_folder_that_speaks[ort-prune]",
    "test_optimize_onnx.py::test_joe_variant_is_a_complete_voice_folder_that_speaks[ort-optimize]",
    "test_optimize_torch.py::test_kokoro_int8_variant_quantizes_its_linear_and_lstm_layers",
    "test_optimize_torch.py::test_recipe_reproduces_the_documents_and_reaches_pointwise_layers",
    "test_optimize_torch.py::test_pruned_variant_speaks_on_both_engines_close_to_its_parent",
    "test_voice_folders.py::test_same_seed_same_samples_for_every_voice[kokoro]",
    "test_batch.py::test_ray_and_local_executors_give_the_same_files",
    "test_batch.py::test_ray_serve_answers_the_openai_client",
    "test_batch.py::test_a_killed_driver_then_a_rerun_leaves_every_item_once_and_no_temp_files",
    "test_batch.py::test_ray_actors_write_to_a_file_url",
    "test_batch_limits.py::test_a_100_mb_jsonl_is_streamed_and_its_id_check_is_bounded",
    "test_batch_limits.py::test_a_cluster_started_with_ray_start_head_makes_the_local_executors_files",
    "test_make_dataset.py::test_two_local_workers_make_the_dataset_one_worker_makes",
    "test_make_dataset.py::test_ray_actors_make_the_dataset_one_worker_makes",
    "test_make_dataset.py::test_two_workers_killed_then_rerun_leave_every_clip_once",
    "test_train.py::test_vits_finetune_writes_a_voice_that_speaks_and_its_adapter_merges_to_it",
    "test_train.py::test_make_dataset_resumes_after_sigkill",
    "test_train.py::test_vits_steps_lower_the_loss[full]",
    "test_train.py::test_kept_parts_do_not_move[full-timing]",
    "test_train.py::test_kept_parts_do_not_move[lora-decoder]",
    "test_bench.py::test_every_column_is_there_and_sane",
    "test_bench.py::test_machine_threads_and_settings_are_recorded",
    "test_bench.py::test_json_csv_and_markdown_are_written",
    "test_bench.py::test_native_batches_give_throughput",
    "test_bench.py::test_default_texts_come_from_the_dev_set",
    "test_bench.py::test_cli_writes_and_refuses_bad_input",
    "test_optimize_onnx.py::test_quantized_joe_holds_int8_weights[ort-int8-static-QuantizeLinear]",
    "test_clone.py::test_clone_cli_into_the_voice_store",
    "test_optimize_onnx.py::test_cli_makes_a_variant_and_refuses_an_existing_folder_unless_forced",
    "test_eval_command.py::test_compare_onnx_and_torch_engines_of_one_voice",
    "test_eval_command.py::test_compare_cli_folders_and_seeds",
    "test_eval_command.py::test_cli_subprocess",
    "test_kokoro_torch.py::test_batch_matches_one_at_a_time",
    "test_kokoro_torch.py::test_length_buckets_change_no_item",
    "test_kokoro_torch.py::test_bf16_keeps_durations_and_stays_close",
    "test_quality_robust.py::test_dnsmos_of_the_speech_region_ignores_the_low_bits",
    "test_optimize_onnx.py::test_fp16_joe_is_half_the_size_and_keeps_the_duration_predictor_fp32",
    "test_optimize_onnx.py::test_offline_optimized_joe_says_the_same_as_joe",
}


def pytest_collection_modifyitems(config, items):
    collected = {f"{item.path.name}::{item.name}" for item in items}
    files = {key.split("::")[0] for key in collected}
    for item in items:
        if f"{item.path.name}::{item.name}" in HEAVY:
            item.add_marker(pytest.mark.heavy)
    stale = {key for key in HEAVY if key.split("::")[0] in files and key not in collected}
    if stale and not config.option.keyword:  # a renamed test would silently move back into make test
        raise pytest.UsageError(f"tests/conftest.py HEAVY names tests that do not exist: {sorted(stale)}")
