# onsendo: every database target passes --env $(ENV) to the tools.
# ENV comes from the command line (make db-init ENV=prod), else $ONSENDO_ENV, else dev.

ONSENDO ?= cargo run --quiet --bin onsendo --
XTASK ?= cargo xtask

ifeq ($(origin ENV),undefined)
  ifneq ($(strip $(ONSENDO_ENV)),)
    ENV := $(ONSENDO_ENV)
    ENV_FROM := ONSENDO_ENV
  else
    ENV := dev
    ENV_FROM := default
  endif
else
  ENV_FROM := ENV on the $(origin ENV)
endif

override ENV := $(strip $(shell printf '%s' '$(ENV)' | tr '[:upper:]' '[:lower:]'))
ifeq ($(filter $(ENV),dev prod test),)
  $(error unknown ENV `$(ENV)`; valid: dev, prod, test (e.g. make db-init ENV=dev))
endif

.DEFAULT_GOAL := help
.PHONY: help show-env db-path use-prod use-dev db-init backup backups verify restore prune migrate-to-envs db-status db-migrate db-rollback db-new db-lint db-doctor db-audit db-seed db-reset db-mock db-exec db-sql db-shell config bench onsen-list onsen-show location-list visit-list visit-show visit-add visit-modify visit-delete app visit-import visit-export stats completions test lint fmt ci

# The optional flags the app's visit and destructive targets share. Free text (SQL, NOTES) reaches
# the shell as an environment variable, so `$`, quotes and backslashes in it stay as typed.
VISIT_DETAILS = $(if $(FEE),--fee "$(FEE)") $(if $(MINUTES),--minutes "$(MINUTES)") $(if $(NOTES),--notes "$$NOTES")
APP_FLAGS = $(if $(DRY_RUN),--dry-run) $(if $(YES),--yes)

help: ## List the targets
	@echo "ENV=$(ENV) (from $(ENV_FROM)); override with ENV=dev|prod|test"
	@grep -E '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | sed 's/:.*## /\t/' | awk -F'\t' '{ printf "  %-16s %s\n", $$1, $$2 }'

show-env: ## Show the environment, where it came from, and its database
	@echo "environment: $(ENV) (from $(ENV_FROM))"
	@$(XTASK) database env --env $(ENV) | tail -n +2

db-path: ## Print the database path of ENV
	@$(XTASK) database path --env $(ENV)

use-prod: ## Print the export line for prod: eval "$$(make -s use-prod)"
	@echo "export ONSENDO_ENV=prod"

use-dev: ## Print the export line for dev: eval "$$(make -s use-dev)"
	@echo "export ONSENDO_ENV=dev"

db-init: ## Create the database of ENV (idempotent)
	@$(XTASK) database init --env $(ENV)

backup: ## Make a verified backup of ENV's database (prints its path; COMPACT=1, THOROUGH=1, OUTPUT=dir)
	@$(XTASK) database backup --env $(ENV) $(if $(COMPACT),--compact) $(if $(THOROUGH),--thorough) $(if $(OUTPUT),--output "$(OUTPUT)")

backups: ## List the backups and whether each still matches its manifest
	@$(XTASK) database backups --env $(ENV)

verify: ## Check ENV's database (FILE=path a backup or file instead, LATEST=1 the newest backup; QUICK=1)
	@$(XTASK) database verify --env $(ENV) $(if $(FILE),"$(FILE)",$(if $(LATEST),--latest)) $(if $(QUICK),--quick)

restore: ## Restore FILE=backup (default: ENV's latest) into ENV's database (CROSS_ENV=1, DRY_RUN=1; YES=1 on prod)
	@$(XTASK) database restore --env $(ENV) $(if $(FILE),"$(FILE)",--latest) $(if $(CROSS_ENV),--cross-env) $(if $(DRY_RUN),--dry-run) $(if $(YES),--yes)

prune: ## Remove old backups (KEEP=N per environment, default 10; OLDER_THAN=days; DRY_RUN=1; the newest verified one stays)
	@$(XTASK) database prune --env $(ENV) $(if $(KEEP),--keep $(KEEP)) $(if $(OLDER_THAN),--older-than $(OLDER_THAN)) $(if $(DRY_RUN),--dry-run)

migrate-to-envs: ## Split the legacy data/db/onsen.db (FROM=path) into prod and dev (YES=1, FORCE=1, DRY_RUN=1)
	@$(XTASK) database migrate-to-envs $(if $(FROM),--from "$(FROM)") $(if $(FORCE),--force) $(if $(DRY_RUN),--dry-run) $(if $(YES),--yes)

db-status: ## Show ENV's schema version, pending and edited migrations (CHECK=1 exits 4 on any)
	@$(XTASK) database status --env $(ENV) $(if $(CHECK),--check)

db-migrate: ## Back up ENV, then apply pending migrations (DRY_RUN=1 previews; YES=1 confirms on prod)
	@$(XTASK) database migrate --env $(ENV) $(if $(TO),--to $(TO)) $(if $(DRY_RUN),--dry-run) $(if $(YES),--yes)

db-rollback: ## Back up ENV, then undo the newest migration (STEPS=N or TO=N; DRY_RUN=1; YES=1 on prod)
	@$(XTASK) database rollback --env $(ENV) $(if $(TO),--to $(TO),--steps $(or $(STEPS),1)) $(if $(DRY_RUN),--dry-run) $(if $(YES),--yes)

db-new: ## Create the next migration folder: make db-new NAME="add visit notes"
	@$(XTASK) database new "$(NAME)"

db-lint: ## List destructive statements in ENV's pending migrations (ALL=1: every migration)
	@$(XTASK) database lint --env $(ENV) $(if $(ALL),--all)

db-doctor: ## Is ENV's database ready? One line per check; exit 4 when not
	@$(XTASK) database doctor --env $(ENV)

db-audit: ## Show the newest prod audit records (TAIL=20)
	@$(XTASK) database audit --tail $(or $(TAIL),20)

db-seed: ## Add the reference onsens missing from ENV's database (DRY_RUN=1 previews)
	@$(XTASK) database seed --env $(ENV) $(if $(DRY_RUN),--dry-run)

db-reset: ## Back up ENV (dev or test), then empty and rebuild it fresh (DRY_RUN=1 previews; prod refused)
	@$(XTASK) database reset --env $(ENV) $(if $(DRY_RUN),--dry-run)

db-mock: ## Add VISITS=1000 deterministic mock visits to ENV (dev or test; SEED=N; DRY_RUN=1; prod refused)
	@$(XTASK) database mock-data --env $(ENV) --visits $(or $(VISITS),1000) $(if $(SEED),--seed $(SEED)) $(if $(DRY_RUN),--dry-run)

db-exec: ## Run SQL="…" on ENV's database, read-only (WRITE=1 allows changes; DRY_RUN=1; YES=1 on prod)
	@$(XTASK) database exec --env $(ENV) $(if $(WRITE),--write) $(if $(DRY_RUN),--dry-run) $(if $(YES),--yes) "$$SQL"

db-sql: ## Run FILE=script.sql on ENV's database in one transaction (DRY_RUN=1 previews; YES=1 on prod)
	@$(XTASK) database sql --env $(ENV) $(if $(DRY_RUN),--dry-run) $(if $(YES),--yes) "$(FILE)"

db-shell: ## Open the sqlite3 shell on ENV's database (prod read-only unless WRITE=1; YES=1 confirms)
	@$(XTASK) database shell --env $(ENV) $(if $(WRITE),--write) $(if $(YES),--yes)

config: ## Show every setting for ENV and where it comes from (secrets redacted)
	@$(XTASK) config show --env $(ENV)

bench: ## Benchmark the copy engine against cp and sqlite3 (SIZE_MB=1024)
	$(XTASK) bench --size-mb $(or $(SIZE_MB),1024)

onsen-list: ## List the onsens in ENV
	@$(ONSENDO) onsen list --env $(ENV)

onsen-show: ## Show onsen ID=N in ENV
	@$(ONSENDO) onsen show --env $(ENV) "$(ID)"

location-list: ## List the named places in ENV
	@$(ONSENDO) location list --env $(ENV)

visit-list: ## List the visits in ENV
	@$(ONSENDO) visit list --env $(ENV)

visit-show: ## Show visit ID=N in ENV
	@$(ONSENDO) visit show --env $(ENV) "$(ID)"

visit-add: ## Record a visit: ONSEN=1 DATE=2026-11-22 RATING=8 (FEE, MINUTES, NOTES optional)
	@$(ONSENDO) visit add --env $(ENV) --onsen "$(ONSEN)" --date "$(DATE)" --rating "$(RATING)" $(VISIT_DETAILS) $(APP_FLAGS)

visit-modify: ## Change visit ID=N: any of ONSEN, DATE, RATING, FEE, MINUTES, NOTES (DRY_RUN=1; YES=1 on prod)
	@$(ONSENDO) visit modify --env $(ENV) "$(ID)" $(if $(ONSEN),--onsen "$(ONSEN)") $(if $(DATE),--date "$(DATE)") $(if $(RATING),--rating "$(RATING)") $(VISIT_DETAILS) $(APP_FLAGS)

visit-delete: ## Delete visit ID=N (DRY_RUN=1; YES=1 on prod)
	@$(ONSENDO) visit delete --env $(ENV) "$(ID)" $(APP_FLAGS)

visit-import: ## Import FILE=visits.csv into ENV (all rows valid or nothing; SKIP_INVALID=1; DRY_RUN=1)
	@$(ONSENDO) visit import --env $(ENV) $(if $(SKIP_INVALID),--skip-invalid) $(if $(DRY_RUN),--dry-run) "$(FILE)"

visit-export: ## Export ENV's visits as CSV on stdout (FORMAT=json for JSON)
	@$(ONSENDO) visit export --env $(ENV) --format $(or $(FORMAT),csv)

stats: ## Visits per month, favourite onsens, average rating in ENV
	@$(ONSENDO) stats --env $(ENV)

app: ## Run any app command on ENV: make app ARGS='onsen modify 9 --region Kannawa' (DRY_RUN=1; YES=1)
	@$(ONSENDO) --env $(ENV) $(ARGS) $(APP_FLAGS)

completions: ## Print the completion scripts of both programs (FOR=bash|zsh|fish; default bash)
	@$(ONSENDO) completions $(or $(FOR),bash)
	@$(XTASK) completions $(or $(FOR),bash)

test: ## Run every test
	cargo test --workspace

lint: ## rustfmt check and clippy with -D warnings
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt: ## Format the code
	cargo fmt --all

ci: ## Everything CI checks
	$(XTASK) ci
