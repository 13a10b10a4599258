#!/bin/sh
# Every seed and regression input of fuzz_addr, without libFuzzer.
exec "${top_builddir:-.}/tests/fuzz/replay_addr" "${top_srcdir:-.}/tests/fuzz/corpus/addr"
