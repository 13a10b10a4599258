#!/bin/sh
# Every seed and regression input of fuzz_pp, without libFuzzer.
exec "${top_builddir:-.}/tests/fuzz/replay_pp" "${top_srcdir:-.}/tests/fuzz/corpus/pp"
