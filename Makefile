# Everyday targets. FLINKGEN can point at an installed binary: make check FLINKGEN=flinkgen
FLINKGEN ?= cargo run --release --quiet --
OUT ?= out

.PHONY: render check diff test image

render:
	$(FLINKGEN) render

check:
	$(FLINKGEN) check

# make diff [BASE=origin/main] [FORMAT=markdown]: what the specs as they are now would do to the
# jobs deployed from the committed out/ at BASE; exit 3 when a job loses or cannot restore state.
BASE ?= HEAD
FORMAT ?= text
diff:
	$(FLINKGEN) diff --base $(BASE) --format $(FORMAT)

test:
	cargo test

# make image JOB=<job> [ENV=<environment>]: builds the job image from the project root (the
# Dockerfile copies the jar from there), tagged as the manifests reference it.
image:
	@test -n "$(JOB)" || { echo "usage: make image JOB=<job> [ENV=<environment>]"; exit 2; }
	$(eval DOCKERFILE := $(OUT)/$(if $(ENV),$(ENV)/)$(JOB)/Dockerfile)
	@test -f "$(DOCKERFILE)" || { echo "no $(DOCKERFILE): run make render"; exit 2; }
	docker build -f $(DOCKERFILE) -t $$(sed -n 's/^#   docker build -f [^ ]* -t \([^ ]*\) \.$$/\1/p' $(DOCKERFILE)) .
