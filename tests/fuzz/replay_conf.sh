#!/bin/sh
# Every seed and regression input of fuzz_conf, without libFuzzer.
exec "${top_builddir:-.}/tests/fuzz/replay_conf" "${top_srcdir:-.}/tests/fuzz/corpus/conf"
