# rustgpt — build, test, benchmark.
#
#   make                 build ./rustgpt (OpenMP on; OMP=0 for a serial build)
#   make test            build and run every test; ends with "N passed, N failed"
#   make test SANITIZE=1 the same under AddressSanitizer + UBSan (in build-asan/)
#   make bench           the speed table of `rustgpt bench`
#   make fuzz            run each libFuzzer target (needs clang) for FUZZ_SECONDS
#
# The default build targets generic x86-64 / aarch64: SIMD kernels are compiled
# with per-file target flags and chosen at run time (src/kernels/dispatch.c).

CC       ?= cc
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WARNINGS  = -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CPPFLAGS += -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
LDLIBS   += -lcjson -lcsv -lm
OMP      ?= 1
SANITIZE ?= 0
BUILD    ?= build

ifeq ($(OMP),1)
  CFLAGS  += -fopenmp
  LDFLAGS += -fopenmp
endif

ifeq ($(SANITIZE),1)
  BUILD    = build-asan
  CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
endif

# Line editing for `rustgpt chat` when libedit is installed.
HAVE_LIBEDIT := $(shell pkg-config --exists libedit 2>/dev/null && echo 1)
ifeq ($(HAVE_LIBEDIT),1)
  CPPFLAGS += -DHAVE_LIBEDIT $(shell pkg-config --cflags libedit)
  LDLIBS   += $(shell pkg-config --libs libedit)
endif

ARCH := $(shell uname -m)

LIB_SRC  := $(sort $(filter-out src/main.c, $(wildcard src/*.c src/layers/*.c src/kernels/*.c)))
ifneq ($(ARCH),x86_64)
  LIB_SRC := $(filter-out src/kernels/avx2.c src/kernels/avx512.c, $(LIB_SRC))
endif
ifneq ($(ARCH),aarch64)
  LIB_SRC := $(filter-out src/kernels/neon.c, $(LIB_SRC))
endif
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

# Per-file instruction sets for the SIMD kernels.
$(BUILD)/kernels/avx2.o:   CFLAGS += -mavx2 -mfma
$(BUILD)/kernels/avx512.o: CFLAGS += -mavx512f -mavx512vl -mavx2 -mfma

.PHONY: all test bench fuzz clean
all: rustgpt

ifeq ($(SANITIZE),1)
all: $(BUILD)/rustgpt
endif

rustgpt: $(BUILD)/rustgpt
	@if [ "$(BUILD)" = build ]; then cp $< $@; fi

$(BUILD)/rustgpt: $(BUILD)/main.o $(BUILD)/librustgpt.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/librustgpt.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/%.o: src/%.c $(wildcard src/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARNINGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c tests/test.h $(BUILD)/librustgpt.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARNINGS) -Isrc -o $@ $< $(BUILD)/librustgpt.a $(LDFLAGS) $(LDLIBS)

test: $(BUILD)/rustgpt $(TEST_BIN)
	@RUSTGPT=$(abspath $(BUILD)/rustgpt) TEST_BIN_DIR=$(abspath $(BUILD)/tests) sh tests/run.sh

bench: rustgpt
	./rustgpt bench

clean:
	rm -rf build build-asan build-fuzz rustgpt
