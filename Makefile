# onsendo: every database target passes --env $(ENV) to the tools.
#
# ENV comes from make's command line (make db-init ENV=prod), else $ONSENDO_ENV, else dev; an ENV
# in the shell's environment (sh reads it as its start-up file) does not count. It is checked
# before anything runs.
#
# Every other value (ID, FILE, SQL, NOTES, ...) counts only when given on make's command line, and
# reaches the tools byte for byte: make takes its text unexpanded, and the recipes read it from the
# environment as "$$VAR", so neither make nor the shell parses `$`, quotes, `;` or newlines in it.
# ARGS (for `make app`) is a list of words: make splits it at whitespace and each word is passed
# quoted, as typed. ONSENDO and XTASK are the commands that run the two programs.

# The values the targets read.
VALUES := ID FILE SQL NOTES NAME ONSEN DATE RATING FEE MINUTES TO STEPS KEEP OLDER_THAN OUTPUT FROM \
  VISITS SEED TAIL FOR ARGS FORMAT SIZE_MB COMPACT THOROUGH LATEST QUICK CROSS_ENV DRY_RUN YES FORCE \
  CHECK ALL WRITE SKIP_INVALID ALL_ENVS REBUILD SNAPSHOT

# The letters of dev, prod and test, lowercased, for matching ENV case-insensitively.
env_lower = $(subst D,d,$(subst E,e,$(subst V,v,$(subst P,p,$(subst R,r,$(subst O,o,$(subst T,t,$(subst S,s,$(1)))))))))

ifeq ($(origin ENV),command line)
  ENV_TEXT := $(value ENV)
  ENV_FROM := ENV on the command line
else ifneq ($(strip $(value ONSENDO_ENV)),)
  ENV_TEXT := $(value ONSENDO_ENV)
  ENV_FROM := ONSENDO_ENV
else
  ENV_TEXT := dev
  ENV_FROM := default
endif
ENV_NAME := $(strip $(call env_lower,$(ENV_TEXT)))
ifneq ($(words $(ENV_NAME))$(filter dev prod test,$(ENV_NAME)),1$(ENV_NAME))
  $(error unknown ENV `$(ENV_TEXT)` from $(ENV_FROM); valid: dev, prod, test (e.g. make db-init ENV=dev))
endif
override ENV := $(ENV_NAME)
unexport ENV

# A value from the shell's environment is not one the user gave this make: drop it.
$(foreach v,$(VALUES),$(if $(filter environment%,$(origin $(v))),$(eval override $(v) :=)$(eval unexport $(v))))
# Every variable given on the command line keeps its text unexpanded (make would expand `$` in it
# when exporting it to the recipes), and is exported to them.
$(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $(v))),$(if $(findstring $$,$(v)),,$(eval override $(v) := $$(value $(v)))$(eval export $(v)))))

# The tools' hints name make targets (make db-migrate ENV=prod YES=1) instead of cargo commands.
export ONSENDO_HINT := make

ONSENDO ?= cargo run --quiet --bin onsendo --
XTASK ?= cargo xtask

# A recipe's first step for a value it cannot do without: stops with the make form to give it in,
# e.g. $(call need,ID,3) → "error: ID is missing: give it as `make onsen-show ID=3`" (exit 2).
need = test -n "$${$(1)}" || { printf 'error: %s is missing: give it as `make %s %s=%s`\n' '$(1)' '$@' '$(1)' '$(2)' >&2; exit 2; }

# The words of ARGS, each quoted for the shell.
shell_words = $(foreach word,$(1),'$(subst ','\'',$(word))')

.DEFAULT_GOAL := help
.PHONY: help show-env db-path use-prod use-dev db-init backup backups verify restore compact prune prune-offsite migrate-to-envs db-status db-migrate db-rollback db-new db-lint db-prepare db-redo db-history db-renumber db-doctor db-audit db-seed db-reset db-mock db-exec db-sql db-shell config bench onsen-list onsen-show location-list visit-list visit-show visit-add visit-modify visit-delete app visit-import visit-export stats completions test lint fmt ci

# The optional flags the app's visit and destructive targets share.
VISIT_DETAILS = $${FEE:+--fee="$$FEE"} $${MINUTES:+--minutes="$$MINUTES"} $${NOTES:+--notes="$$NOTES"}
APP_FLAGS = $${DRY_RUN:+--dry-run} $${YES:+--yes}

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

backup: ## Back up ENV's database, checked equal to it (prints its path; COMPACT=1, THOROUGH=1, OUTPUT=dir)
	@$(XTASK) database backup --env $(ENV) $${COMPACT:+--compact} $${THOROUGH:+--thorough} $${OUTPUT:+--output="$$OUTPUT"}

backups: ## List the backups from their manifests (CHECK=1 also hashes each against its manifest)
	@$(XTASK) database backups --env $(ENV) $${CHECK:+--check}

verify: ## Check ENV's database (FILE=path a backup or file instead, LATEST=1 the newest backup; QUICK=1)
	@$(XTASK) database verify --env $(ENV) $${LATEST:+--latest} $${QUICK:+--quick} $${FILE:+-- "$$FILE"}

restore: ## Restore FILE=backup (default: ENV's latest) into ENV's database (CROSS_ENV=1, DRY_RUN=1; YES=1 on prod)
	@$(XTASK) database restore --env $(ENV) $${CROSS_ENV:+--cross-env} $${DRY_RUN:+--dry-run} $${YES:+--yes} $${FILE:+--} "$${FILE:---latest}"

backup-offsite: ## Back up ENV's database, then send the backup to the restic repository (ONSENDO_RESTIC_REPOSITORY)
	@$(XTASK) database backup --offsite --env $(ENV)

backups-offsite: ## List the restic repository's snapshots of ENV, newest first
	@$(XTASK) database backups --offsite --env $(ENV)

restore-offsite: ## Restore SNAPSHOT=id (default: ENV's latest) from the restic repository into ENV's database (CROSS_ENV=1, DRY_RUN=1; YES=1 on prod)
	@$(XTASK) database restore --offsite --env $(ENV) $${CROSS_ENV:+--cross-env} $${DRY_RUN:+--dry-run} $${YES:+--yes} $${SNAPSHOT:+--} "$${SNAPSHOT:---latest}"

compact: ## Give ENV's free pages back to the disk through a checked vacuumed copy (DRY_RUN=1; YES=1 on prod)
	@$(XTASK) database compact --env $(ENV) $${DRY_RUN:+--dry-run} $${YES:+--yes}

prune: ## Remove ENV's old backups (KEEP=N, default 10; OLDER_THAN=days; ALL_ENVS=1 every environment's; DRY_RUN=1; the newest that matches its manifest stays)
	@$(XTASK) database prune --env $(ENV) $${KEEP:+--keep="$$KEEP"} $${OLDER_THAN:+--older-than="$$OLDER_THAN"} $${ALL_ENVS:+--all-envs} $${DRY_RUN:+--dry-run} $${YES:+--yes}

prune-offsite: ## Forget ENV's old snapshots in the restic repository, then restic prune (KEEP=N, default 10; OLDER_THAN=days; DRY_RUN=1; YES=1 on prod; the newest stays)
	@$(XTASK) database prune --offsite --env $(ENV) $${KEEP:+--keep="$$KEEP"} $${OLDER_THAN:+--older-than="$$OLDER_THAN"} $${DRY_RUN:+--dry-run} $${YES:+--yes}

migrate-to-envs: ## Split the legacy data/db/onsen.db (FROM=path) into prod and dev (YES=1, FORCE=1, DRY_RUN=1)
	@$(XTASK) database migrate-to-envs $${FROM:+--from="$$FROM"} $${FORCE:+--force} $${DRY_RUN:+--dry-run} $${YES:+--yes}

db-status: ## Show ENV's schema version, pending and edited migrations (CHECK=1 exits 4 on any)
	@$(XTASK) database status --env $(ENV) $${CHECK:+--check}

db-migrate: ## Back up ENV, then apply pending migrations (TO=N; DRY_RUN=1 previews; YES=1 confirms on prod)
	@$(XTASK) database migrate --env $(ENV) $${TO:+--to="$$TO"} $${DRY_RUN:+--dry-run} $${YES:+--yes}

db-rollback: ## Back up ENV, then undo the newest migration (STEPS=N or TO=N; DRY_RUN=1; YES=1 on prod)
	@if [ -n "$$TO" ]; then set -- --to="$$TO"; else set -- --steps="$${STEPS:-1}"; fi; \
	$(XTASK) database rollback --env $(ENV) "$$@" $${DRY_RUN:+--dry-run} $${YES:+--yes}

db-new: ## Create the next migration folder: make db-new NAME="add visit notes" (REBUILD=table: SQLite's rebuild procedure for it)
	@$(call need,NAME,add-visit-moods) && $(XTASK) database new $${REBUILD:+--rebuild="$$REBUILD"} -- "$$NAME"

db-lint: ## List destructive statements in ENV's pending migrations (ALL=1: every migration)
	@$(XTASK) database lint --env $(ENV) $${ALL:+--all}

db-prepare: ## Deploy step: create ENV's database if missing, else back up and migrate it (DRY_RUN=1; YES=1 on prod)
	@$(XTASK) database prepare --env $(ENV) $${DRY_RUN:+--dry-run} $${YES:+--yes}

db-redo: ## Undo ENV's newest migration and apply it again (dev and test only; DRY_RUN=1)
	@$(XTASK) database redo --env $(ENV) $${DRY_RUN:+--dry-run}

db-history: ## Show ENV's migration ledger: when each was applied, how long it took, how recorded
	@$(XTASK) database history --env $(ENV)

db-renumber: ## Move migrations that share a number and no database applied to the next free ones (DRY_RUN=1)
	@$(XTASK) database renumber $${DRY_RUN:+--dry-run}

db-doctor: ## Is ENV's database ready? One line per check; exit 4 when not
	@$(XTASK) database doctor --env $(ENV)

db-audit: ## Show the newest prod audit records (TAIL=20)
	@$(XTASK) database audit --tail="$${TAIL:-20}"

db-seed: ## Add the reference onsens missing from ENV's database (DRY_RUN=1 previews)
	@$(XTASK) database seed --env $(ENV) $${DRY_RUN:+--dry-run}

db-reset: ## Back up ENV (dev or test), then empty and rebuild it fresh (DRY_RUN=1 previews; prod refused)
	@$(XTASK) database reset --env $(ENV) $${DRY_RUN:+--dry-run}

db-mock: ## Add VISITS=1000 deterministic mock visits to ENV (dev or test; SEED=N; DRY_RUN=1; prod refused)
	@$(XTASK) database mock-data --env $(ENV) --visits="$${VISITS:-1000}" $${SEED:+--seed="$$SEED"} $${DRY_RUN:+--dry-run}

db-exec: ## Run SQL="…" on ENV's database, read-only (WRITE=1 allows changes; DRY_RUN=1; YES=1 on prod)
	@$(call need,SQL,"SELECT count(*) FROM visits") && $(XTASK) database exec --env $(ENV) $${WRITE:+--write} $${DRY_RUN:+--dry-run} $${YES:+--yes} -- "$$SQL"

db-sql: ## Run FILE=script.sql on ENV's database in one transaction (DRY_RUN=1 previews; YES=1 on prod)
	@$(call need,FILE,fix.sql) && $(XTASK) database sql --env $(ENV) $${DRY_RUN:+--dry-run} $${YES:+--yes} -- "$$FILE"

db-shell: ## Open the sqlite3 shell on ENV's database (prod read-only unless WRITE=1; YES=1 confirms)
	@$(XTASK) database shell --env $(ENV) $${WRITE:+--write} $${YES:+--yes}

config: ## Show every setting for ENV and where it comes from (secrets redacted)
	@$(XTASK) config show --env $(ENV)

bench: ## Benchmark the copy engine against cp and sqlite3 (SIZE_MB=1024)
	$(XTASK) bench --size-mb="$${SIZE_MB:-1024}"

onsen-list: ## List the onsens in ENV
	@$(ONSENDO) onsen list --env $(ENV)

onsen-show: ## Show onsen ID=N in ENV
	@$(call need,ID,3) && $(ONSENDO) onsen show --env $(ENV) -- "$$ID"

location-list: ## List the named places in ENV
	@$(ONSENDO) location list --env $(ENV)

visit-list: ## List ENV's newest 50 visits (LIMIT=N or ALL=1; ONSEN, SINCE, UNTIL filter)
	@$(ONSENDO) visit list --env $(ENV) $${ONSEN:+--onsen="$$ONSEN"} $${SINCE:+--since="$$SINCE"} $${UNTIL:+--until="$$UNTIL"} $${LIMIT:+--limit="$$LIMIT"} $${ALL:+--all}

visit-show: ## Show visit ID=N in ENV
	@$(call need,ID,3) && $(ONSENDO) visit show --env $(ENV) -- "$$ID"

visit-add: ## Record a visit: ONSEN=1 DATE=2026-11-22 RATING=8 (FEE, MINUTES, NOTES optional)
	@$(ONSENDO) visit add --env $(ENV) --onsen="$$ONSEN" --date="$$DATE" --rating="$$RATING" $(VISIT_DETAILS) $${DRY_RUN:+--dry-run}

visit-modify: ## Change visit ID=N: any of ONSEN, DATE, RATING, FEE, MINUTES, NOTES (DRY_RUN=1; YES=1 on prod)
	@$(call need,ID,3) && $(ONSENDO) visit modify --env $(ENV) $${ONSEN:+--onsen="$$ONSEN"} $${DATE:+--date="$$DATE"} $${RATING:+--rating="$$RATING"} $(VISIT_DETAILS) $(APP_FLAGS) -- "$$ID"

visit-delete: ## Delete visit ID=N (DRY_RUN=1; YES=1 on prod)
	@$(call need,ID,3) && $(ONSENDO) visit delete --env $(ENV) $(APP_FLAGS) -- "$$ID"

visit-import: ## Import FILE=visits.csv into ENV (all rows valid or nothing; SKIP_INVALID=1; ALLOW_DUPLICATES=1; DRY_RUN=1)
	@$(call need,FILE,visits.csv) && $(ONSENDO) visit import --env $(ENV) $${SKIP_INVALID:+--skip-invalid} $${ALLOW_DUPLICATES:+--allow-duplicates} $${DRY_RUN:+--dry-run} -- "$$FILE"

visit-export: ## Export ENV's visits as CSV on stdout (FORMAT=json for JSON)
	@$(ONSENDO) visit export --env $(ENV) --format="$${FORMAT:-csv}"

stats: ## Visits per month, favourite onsens, average rating in ENV
	@$(ONSENDO) stats --env $(ENV)

app: ## Run any app command on ENV: make app ARGS='onsen modify 9 --region Kannawa' (words split at spaces; DRY_RUN=1; YES=1)
	@$(ONSENDO) --env $(ENV) $(call shell_words,$(ARGS)) $(APP_FLAGS)

completions: ## Print the completion scripts of both programs (FOR=bash|zsh|fish; default bash)
	@$(ONSENDO) completions "$${FOR:-bash}"
	@$(XTASK) completions "$${FOR:-bash}"

test: ## Run every test
	cargo test --workspace

lint: ## rustfmt check and clippy with -D warnings
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt: ## Format the code
	cargo fmt --all

ci: ## Everything CI checks
	$(XTASK) ci
